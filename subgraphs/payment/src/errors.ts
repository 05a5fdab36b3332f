import { notFound, serviceUnavailable } from '../../../lib/errors.js';

/** Every error the payment context raises, in one place. Bad input comes from the domain's checks. */
export const PaymentErrors = {
  paymentNotFound: (id: string) => notFound('payment', id),
  /** The card provider could not be reached: nothing settled, the same call may be repeated. */
  providerUnavailable: (orderId: string) => serviceUnavailable(`the card provider could not be reached for order ${orderId}; nothing was settled, try again`),
};
