import { requireRole, requireService } from '../../../../lib/auth.js';
import type { MutationResolvers } from '../generated/graphql.js';

export const Mutation: MutationResolvers = {
  createProduct: (_, { input }, { catalogue, viewer }) => {
    requireRole(viewer, 'STAFF');
    return catalogue.create(input);
  },
  updateProduct: (_, { id, input }, { catalogue, viewer }) => {
    requireRole(viewer, 'STAFF');
    return catalogue.update(id, input);
  },
  archiveProduct: (_, { id }, { catalogue, viewer }) => {
    requireRole(viewer, 'STAFF');
    return catalogue.archive(id);
  },
  restockProduct: (_, { id, quantity }, { catalogue, viewer }) => {
    requireRole(viewer, 'STAFF');
    return catalogue.restock(id, quantity);
  },

  reserveStock: (_, { orderId, lines }, { reservations, viewer }) => {
    requireService(viewer);
    return reservations.reserve(orderId, lines);
  },
  releaseStock: (_, { orderId }, { reservations, viewer }) => {
    requireService(viewer);
    return reservations.release(orderId);
  },
  commitStock: (_, { orderId }, { reservations, viewer }) => {
    requireService(viewer);
    return reservations.commit(orderId);
  },
};
