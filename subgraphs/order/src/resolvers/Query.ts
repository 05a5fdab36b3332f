import type { QueryResolvers } from '../generated/graphql.js';

export const Query: QueryResolvers = {
  // Only the public roles: SERVICE is not something a client is.
  viewer: (_, __, { viewer }) => (viewer ? { id: viewer.id, roles: viewer.roles.filter((role) => role === 'CUSTOMER' || role === 'STAFF') } : null),
  order: (_, { id }, { orderQueries, viewer }) => orderQueries.order(viewer, id),
  myOrders: (_, args, { orderQueries, viewer }) => orderQueries.myOrders(viewer, args),
  orders: (_, args, { orderQueries, viewer }) => orderQueries.allOrders(viewer, args),
  myNotifications: (_, { first }, { orderQueries, viewer }) => orderQueries.myNotifications(viewer, first),
};
