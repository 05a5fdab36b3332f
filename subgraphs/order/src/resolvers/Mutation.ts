import { requireService } from '../../../../lib/auth.js';
import { parseId } from '../../../../lib/ids.js';
import type { MutationResolvers } from '../generated/graphql.js';

export const Mutation: MutationResolvers = {
  placeOrder: (_, { input }, { placing, viewer, requestId }) => placing.place(viewer, input, requestId),
  cancelOrder: (_, { id, reason }, { endings, viewer, requestId }) => endings.cancel(viewer, id, reason, requestId),
  rejectOrder: (_, { orderId, reason }, { endings, viewer }) => endings.reject(viewer, orderId, reason),
  recordDeliveryProgress: (_, { orderId, status }, { delivery, viewer }) => {
    requireService(viewer);
    return delivery.recordProgress(parseId(orderId, 'orderId'), status);
  },
};
