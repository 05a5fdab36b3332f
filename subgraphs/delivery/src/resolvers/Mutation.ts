import { requireRole, requireService } from '../../../../lib/auth.js';
import type { StaffAction } from '../domain/delivery.js';
import type { DeliveryContext } from '../context.js';
import type { MutationResolvers } from '../generated/graphql.js';

/** Staff only; the answer is the order by id, the gateway resolves its other fields at the order subgraph. */
const staffMove =
  (action: StaffAction) =>
  async (_: unknown, { orderId }: { orderId: string }, { progress, loaders, viewer, requestId, log }: DeliveryContext) => {
    requireRole(viewer, 'STAFF');
    const order = await progress.advance(action, orderId, { requestId, log });
    // A later field of this request (the answer's delivery, the next mutation's) reads it anew.
    loaders.delivery.clearAll();
    return order;
  };

export const Mutation: MutationResolvers = {
  startBaking: staffMove('startBaking'),
  markReady: staffMove('markReady'),
  dispatchOrder: staffMove('dispatchOrder'),
  completeOrder: staffMove('completeOrder'),

  withdrawDelivery: async (_, { orderId, fulfilment }, { progress, loaders, viewer }) => {
    requireService(viewer);
    const delivery = await progress.withdraw(orderId, fulfilment);
    loaders.delivery.clearAll();
    return delivery;
  },
};
