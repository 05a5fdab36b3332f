import type { ServiceClient } from '../../../../lib/service-client.js';
import type { PaymentMethod, PaymentStatus } from '../domain/order.js';

export interface PaymentOutcome {
  id: string;
  status: PaymentStatus;
  declineReason: string | null;
}

export interface AuthorizeRequest {
  orderId: string;
  customerId: string;
  amount: number;
  method: PaymentMethod;
  token: string | null;
}

/** The payment subgraph's operations the order saga calls, idempotent per order id. */
export class PaymentClient {
  constructor(private readonly client: ServiceClient) {}

  async authorize(request: AuthorizeRequest, requestId?: string): Promise<PaymentOutcome> {
    const data = await this.client.request<{ authorizePayment: PaymentOutcome }>(
      'mutation($input: AuthorizePaymentInput!) { authorizePayment(input: $input) { id status declineReason } }',
      { input: request },
      requestId,
    );
    return data.authorizePayment;
  }

  async refund(orderId: string): Promise<PaymentOutcome> {
    const data = await this.client.request<{ refundPayment: PaymentOutcome }>(
      'mutation($orderId: ID!) { refundPayment(orderId: $orderId) { id status declineReason } }',
      { orderId },
    );
    return data.refundPayment;
  }
}
