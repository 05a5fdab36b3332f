import { isObjectIdString } from '../../../../lib/ids.js';
import { isCancellableByCustomer } from '../domain/order.js';
import type { OrderResolvers } from '../generated/graphql.js';

export const Order: OrderResolvers = {
  __resolveReference: ({ id }, { orderQueries, viewer }) => (isObjectIdString(id) ? orderQueries.order(viewer, id) : null),
  lines: (order) => order.lines.map((line) => ({ ...line, product: { __typename: 'Product' as const, id: line.productId } })),
  cancellable: (order) => isCancellableByCustomer(order.status),
};
