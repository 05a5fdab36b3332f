import { requireRole } from '../../../../lib/auth.js';
import type { QueryResolvers } from '../generated/graphql.js';

export const Query: QueryResolvers = {
  myWallet: (_, __, { wallets, viewer }) => {
    const customer = requireRole(viewer, 'CUSTOMER');
    return wallets.of(customer.id);
  },
};
