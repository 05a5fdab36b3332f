import { maySee } from '../../../../lib/auth.js';
import type { DeliveryResolvers } from '../generated/graphql.js';

export const Delivery: DeliveryResolvers = {
  // Someone else's delivery looks exactly like a missing one.
  __resolveReference: async ({ id }, { loaders, viewer }) => {
    const delivery = await loaders.delivery.load(id);
    return delivery && maySee(viewer, delivery.customerId) ? delivery : null;
  },
  baker: (delivery, _, { loaders }) => (delivery.bakerId ? loaders.baker.load(delivery.bakerId) : null),
  delayed: (delivery) => delivery.delayed,
};
