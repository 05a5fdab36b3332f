import { isObjectIdString } from '../../../../lib/ids.js';
import type { PaymentResolvers } from '../generated/graphql.js';

export const Payment: PaymentResolvers = {
  __resolveReference: ({ id }, { payments }) => (isObjectIdString(id) ? payments.find(id) : null),
};
