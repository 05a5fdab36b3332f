import { DateTime } from '../../../../lib/scalars.js';
import type { Resolvers } from '../generated/graphql.js';
import { Delivery } from './Delivery.js';
import { Order } from './Order.js';
import { Query } from './Query.js';

export const resolvers: Resolvers = { DateTime, Query, Order, Delivery };
