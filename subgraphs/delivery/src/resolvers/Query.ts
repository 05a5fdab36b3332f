import { requireRole } from '../../../../lib/auth.js';
import type { QueryResolvers } from '../generated/graphql.js';

export const Query: QueryResolvers = {
  bakers: (_, __, { bakers, viewer }) => {
    requireRole(viewer, 'STAFF');
    return bakers.all();
  },
};
