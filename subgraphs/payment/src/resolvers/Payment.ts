import type { PaymentResolvers } from '../generated/graphql.js';

export const Payment: PaymentResolvers = {
  __resolveReference: ({ id }, { payments }) => payments.find(id),
};
