import type { OrderResolvers } from '../generated/graphql.js';

// The order subgraph decides who may see an order; delivery only adds to one it was asked about.
export const Order: OrderResolvers = {
  __resolveReference: ({ id }) => ({ id }),
  delivery: ({ id }, _, { deliveries }) => deliveries.forOrder(id),
};
