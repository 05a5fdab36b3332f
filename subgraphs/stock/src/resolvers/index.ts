import type { Resolvers } from '../generated/graphql.js';
import { Mutation } from './Mutation.js';
import { Product } from './Product.js';
import { Query } from './Query.js';
import { StockReservation } from './StockReservation.js';

export const resolvers: Resolvers = { Query, Mutation, Product, StockReservation };
