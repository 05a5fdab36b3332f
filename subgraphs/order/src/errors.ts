import { notFound } from '../../../lib/errors.js';

/** Every error the order context raises, in one place. */
export const OrderErrors = {
  orderNotFound: (id: string) => notFound('order', id),
};
