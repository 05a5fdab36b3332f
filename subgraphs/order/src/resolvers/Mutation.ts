import { requireService } from '../../../../lib/auth.js';
import { parseId } from '../../../../lib/ids.js';
import type { MutationResolvers } from '../generated/graphql.js';

export const Mutation: MutationResolvers = {
  placeOrder: (_, { input }, { saga, viewer, requestId }) => saga.place(viewer, input, requestId),
  cancelOrder: (_, { id, reason }, { saga, viewer, requestId }) => saga.cancel(viewer, id, reason, requestId),
  rejectOrder: (_, { orderId, reason }, { saga, viewer }) => saga.reject(viewer, orderId, reason),
  recordDeliveryProgress: (_, { orderId, status }, { saga, viewer }) => {
    requireService(viewer);
    return saga.recordDeliveryProgress(parseId(orderId, 'orderId'), status);
  },
};
