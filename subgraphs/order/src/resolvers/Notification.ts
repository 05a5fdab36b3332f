import type { NotificationResolvers } from '../generated/graphql.js';

export const Notification: NotificationResolvers = {
  id: (notification) => notification._id,
};
