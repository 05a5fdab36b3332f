import { maySee } from '../../../../lib/auth.js';
import { isObjectIdString } from '../../../../lib/ids.js';
import type { DeliveryResolvers } from '../generated/graphql.js';

export const Delivery: DeliveryResolvers = {
  // Someone else's delivery looks exactly like a missing one.
  __resolveReference: async ({ id }, { deliveries, viewer }) => {
    const delivery = isObjectIdString(id) ? await deliveries.find(id) : null;
    return delivery && maySee(viewer, delivery.customerId) ? delivery : null;
  },
  baker: (delivery, _, { bakers }) => (delivery.bakerId ? bakers.find(delivery.bakerId) : null),
  delayed: (delivery) => delivery.delayed,
};
