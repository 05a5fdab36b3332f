import { isObjectIdString } from '../../../../lib/ids.js';
import { isCancellableByCustomer, isPublic } from '../domain/order.js';
import type { OrderResolvers } from '../generated/graphql.js';

export const Order: OrderResolvers = {
  __resolveReference: ({ id }, { orderQueries, viewer }) => (isObjectIdString(id) ? orderQueries.order(viewer, id) : null),
  lines: (order) => order.lines.map((line) => ({ ...line, product: { __typename: 'Product' as const, id: line.productId } })),
  // Internal statuses never reach a client: queries only return public ones.
  status: (order) => (isPublic(order.status) ? order.status : 'CANCELLED'),
  cancellable: (order) => isCancellableByCustomer(order.status),
};
