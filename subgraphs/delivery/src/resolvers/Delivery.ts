import { isObjectIdString } from '../../../../lib/ids.js';
import type { DeliveryResolvers } from '../generated/graphql.js';

export const Delivery: DeliveryResolvers = {
  __resolveReference: ({ id }, { deliveries }) => (isObjectIdString(id) ? deliveries.find(id) : null),
  baker: (delivery, _, { bakers }) => (delivery.bakerId ? bakers.find(delivery.bakerId) : null),
  delayed: (delivery) => delivery.delayed,
};
