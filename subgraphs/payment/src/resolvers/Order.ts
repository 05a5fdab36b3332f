import type { OrderResolvers } from '../generated/graphql.js';

// The order subgraph decides who may see an order; payment only adds to one it was asked about.
export const Order: OrderResolvers = {
  __resolveReference: ({ id }) => ({ id }),
  payment: ({ id }, _, { payments }) => payments.forOrder(id),
};
