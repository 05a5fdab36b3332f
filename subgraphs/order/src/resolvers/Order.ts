import { isCancellableByCustomer, isPublic } from '../domain/order.js';
import type { OrderResolvers } from '../generated/graphql.js';

export const Order: OrderResolvers = {
  // Every order of a request's representations is read in one query; each is then shown or not
  // to this caller as one looked up alone would be.
  __resolveReference: async ({ id }, { orderQueries, loaders, viewer }) => orderQueries.visibleTo(viewer, await loaders.order.load(id)),
  lines: (order) => order.lines.map((line) => ({ ...line, product: { __typename: 'Product' as const, id: line.productId } })),
  // Internal statuses never reach a client: queries only return public ones.
  status: (order) => (isPublic(order.status) ? order.status : 'CANCELLED'),
  cancellable: (order) => isCancellableByCustomer(order.status),
};
