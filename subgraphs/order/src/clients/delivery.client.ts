import type { ServiceClient } from '../../../../lib/service-client.js';
import type { DeliveryStatus, Fulfilment } from '../domain/order.js';

/** Where an order's delivery stands, as the delivery context keeps it. */
export interface DeliveryState {
  status: DeliveryStatus;
  bakerName: string | null;
}

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

  /** The deliveries of these orders, in one call (null: the order has none yet). For the recovery sweep. */
  async deliveriesOf(orderIds: readonly string[]): Promise<Map<string, DeliveryState | null>> {
    type Entity = { id: string; delivery: { status: DeliveryStatus; baker: { name: string } | null } | null } | null;
    const data = await this.client.request<{ _entities: Entity[] }>(
      'query($representations: [_Any!]!) { _entities(representations: $representations) { ... on Order { id delivery { status baker { name } } } } }',
      { representations: orderIds.map((id) => ({ __typename: 'Order', id })) },
    );
    return new Map(
      orderIds.map((id, index) => {
        const delivery = data._entities[index]?.delivery;
        return [id, delivery ? { status: delivery.status, bakerName: delivery.baker?.name ?? null } : null];
      }),
    );
  }
}
