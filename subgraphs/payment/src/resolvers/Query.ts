import { requireRole } from '../../../../lib/auth.js';
import type { QueryResolvers } from '../generated/graphql.js';

export const Query: QueryResolvers = {
  myWallet: async (_, __, { wallets, viewer }) => {
    const customer = requireRole(viewer, 'CUSTOMER');
    return { customerId: customer.id, balance: await wallets.balanceOf(customer.id) };
  },
};
