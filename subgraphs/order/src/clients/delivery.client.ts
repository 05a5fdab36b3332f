import type { ServiceClient } from '../../../../lib/service-client.js';
import type { Fulfilment } from '../domain/order.js';

/** The delivery subgraph's operation a customer's cancel calls, idempotent per order id. */
export class DeliveryClient {
  constructor(private readonly client: ServiceClient) {}

  /**
   * Withdraws the order's delivery before baking starts; INVALID_TRANSITION once it has. Answers
   * whether a baker had the order (false for the placeholder of an order not assigned yet).
   */
  async withdraw(orderId: string, fulfilment: Fulfilment, requestId?: string): Promise<{ wasAssigned: boolean }> {
    const data = await this.client.request<{ withdrawDelivery: { status: string; baker: { id: string } | null } }>(
      'mutation($orderId: ID!, $fulfilment: Fulfilment!) { withdrawDelivery(orderId: $orderId, fulfilment: $fulfilment) { status baker { id } } }',
      { orderId, fulfilment },
      requestId,
    );
    return { wasAssigned: data.withdrawDelivery.baker !== null };
  }
}
