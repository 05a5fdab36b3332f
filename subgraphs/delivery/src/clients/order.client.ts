import type { ServiceClient } from '../../../../lib/service-client.js';
import type { DeliveryStatus } from '../domain/delivery.js';

/** The order subgraph's internal operation delivery calls, with the order id as idempotency key. */
export class OrderClient {
  constructor(private readonly client: ServiceClient) {}

  /** Tells the order its delivery moved on; the order subgraph ignores a repeat. */
  async recordDeliveryProgress(orderId: string, status: DeliveryStatus, requestId?: string): Promise<void> {
    await this.client.request<{ recordDeliveryProgress: { id: string } }>(
      'mutation($orderId: ID!, $status: DeliveryStatus!) { recordDeliveryProgress(orderId: $orderId, status: $status) { id } }',
      { orderId, status },
      requestId,
    );
  }

  shutdown(): void {
    this.client.shutdown();
  }
}
