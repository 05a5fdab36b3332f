import { notFound } from '../../../lib/errors.js';

/** Every error the payment context raises, in one place. */
export const PaymentErrors = {
  paymentNotFound: (id: string) => notFound('payment', id),
};
