import { DateTime } from '../../../../lib/scalars.js';
import type { Resolvers } from '../generated/graphql.js';
import { Baker } from './Baker.js';
import { Delivery } from './Delivery.js';
import { Mutation } from './Mutation.js';
import { Order } from './Order.js';
import { Query } from './Query.js';

export const resolvers: Resolvers = { DateTime, Query, Mutation, Order, Delivery, Baker };
