import { requireRole, requireService } from '../../../../lib/auth.js';
import type { MutationResolvers } from '../generated/graphql.js';

export const Mutation: MutationResolvers = {
  depositToWallet: (_, { amount }, { wallets, viewer }) => {
    const customer = requireRole(viewer, 'CUSTOMER');
    return wallets.deposit(customer.id, amount);
  },

  authorizePayment: (_, { input }, { payments, viewer }) => {
    requireService(viewer);
    return payments.authorize(input);
  },
  refundPayment: (_, { orderId }, { payments, viewer }) => {
    requireService(viewer);
    return payments.refund(orderId);
  },
};
