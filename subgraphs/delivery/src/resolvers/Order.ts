import { maySee } from '../../../../lib/auth.js';
import type { OrderResolvers } from '../generated/graphql.js';

// The order subgraph decides who may see an order; delivery still shows a delivery only to whose
// order it is (or staff), so a representation for someone else's order resolves to no delivery.
export const Order: OrderResolvers = {
  __resolveReference: ({ id }) => ({ id }),
  delivery: async ({ id }, _, { loaders, viewer }) => {
    const delivery = await loaders.delivery.load(id);
    return delivery && maySee(viewer, delivery.customerId) ? delivery : null;
  },
};
