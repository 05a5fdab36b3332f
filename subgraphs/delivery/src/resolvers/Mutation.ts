import { requireRole, requireService } from '../../../../lib/auth.js';
import type { StaffAction } from '../domain/delivery.js';
import type { DeliveryContext } from '../context.js';
import type { MutationResolvers } from '../generated/graphql.js';

/** Staff only; the answer is the order by id, the gateway resolves its other fields at the order subgraph. */
const staffMove =
  (action: StaffAction) =>
  (_: unknown, { orderId }: { orderId: string }, { progress, viewer, requestId, log }: DeliveryContext) => {
    requireRole(viewer, 'STAFF');
    return progress.advance(action, orderId, { requestId, log });
  };

export const Mutation: MutationResolvers = {
  startBaking: staffMove('startBaking'),
  markReady: staffMove('markReady'),
  dispatchOrder: staffMove('dispatchOrder'),
  completeOrder: staffMove('completeOrder'),

  withdrawDelivery: (_, { orderId, fulfilment }, { progress, viewer }) => {
    requireService(viewer);
    return progress.withdraw(orderId, fulfilment);
  },
};
