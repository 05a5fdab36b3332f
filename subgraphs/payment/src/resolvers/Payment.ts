import { maySee } from '../../../../lib/auth.js';
import type { PaymentResolvers } from '../generated/graphql.js';

export const Payment: PaymentResolvers = {
  // Someone else's payment looks exactly like a missing one.
  __resolveReference: async ({ id }, { loaders, viewer }) => {
    const payment = await loaders.payment.load(id);
    return payment && maySee(viewer, payment.customerId) ? payment : null;
  },
};
