import { DateTime } from '../../../../lib/scalars.js';
import type { Resolvers } from '../generated/graphql.js';
import { Mutation } from './Mutation.js';
import { Order } from './Order.js';
import { Payment } from './Payment.js';
import { Query } from './Query.js';

export const resolvers: Resolvers = { DateTime, Query, Mutation, Order, Payment };
