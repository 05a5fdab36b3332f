import { notFound } from '../../../lib/errors.js';

/** Every error the delivery context raises, in one place. */
export const DeliveryErrors = {
  deliveryNotFound: (orderId: string) => notFound('delivery for order', orderId),
};
