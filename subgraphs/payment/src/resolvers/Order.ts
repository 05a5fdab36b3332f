import { maySee } from '../../../../lib/auth.js';
import type { OrderResolvers } from '../generated/graphql.js';

// The order subgraph decides who may see an order; payment still shows a payment only to whom it
// belongs (or staff), so a representation for someone else's order resolves to no payment.
export const Order: OrderResolvers = {
  __resolveReference: ({ id }) => ({ id }),
  payment: async ({ id }, _, { loaders, viewer }) => {
    const payment = await loaders.payment.load(id);
    return payment && maySee(viewer, payment.customerId) ? payment : null;
  },
};
