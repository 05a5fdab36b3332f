import type { ServiceClient } from '../../../../lib/service-client.js';

export interface CatalogueEntry {
  id: string;
  name: string;
  price: number;
  active: boolean;
  /** Units neither held nor sold when stock answered. */
  available: number;
}

export interface StockReservation {
  status: 'PENDING' | 'HELD' | 'REJECTED' | 'RELEASED' | 'COMMITTED';
  reason: string | null;
  rejectedProductId: string | null;
  lines: Array<{ productId: string; quantity: number; unitPrice: number; name: string }>;
}

const RESERVATION = 'status reason rejectedProductId lines { productId quantity unitPrice name }';

/** The stock subgraph's operations the order saga calls, with the order id as idempotency key. */
export class StockClient {
  constructor(private readonly client: ServiceClient) {}

  /** The named products as the catalogue has them; unknown ids are left out. */
  async products(ids: string[], requestId?: string): Promise<CatalogueEntry[]> {
    const data = await this.client.request<{ _entities: Array<CatalogueEntry | null> }>(
      'query($representations: [_Any!]!) { _entities(representations: $representations) { ... on Product { id name price active available } } }',
      { representations: ids.map((id) => ({ __typename: 'Product', id })) },
      requestId,
    );
    return data._entities.filter((entry): entry is CatalogueEntry => entry !== null);
  }

  async reserve(orderId: string, lines: Array<{ productId: string; quantity: number }>, requestId?: string): Promise<StockReservation> {
    const data = await this.client.request<{ reserveStock: StockReservation }>(
      `mutation($orderId: ID!, $lines: [StockLineInput!]!) { reserveStock(orderId: $orderId, lines: $lines) { ${RESERVATION} } }`,
      { orderId, lines },
      requestId,
    );
    return data.reserveStock;
  }

  async release(orderId: string): Promise<StockReservation> {
    const data = await this.client.request<{ releaseStock: StockReservation }>(
      `mutation($orderId: ID!) { releaseStock(orderId: $orderId) { ${RESERVATION} } }`,
      { orderId },
    );
    return data.releaseStock;
  }

  async commit(orderId: string): Promise<StockReservation> {
    const data = await this.client.request<{ commitStock: StockReservation }>(`mutation($orderId: ID!) { commitStock(orderId: $orderId) { ${RESERVATION} } }`, {
      orderId,
    });
    return data.commitStock;
  }
}
