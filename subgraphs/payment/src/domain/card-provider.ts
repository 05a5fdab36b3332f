/**
 * The port to the card payment provider. The payment context asks it to authorize an order's amount
 * on a card token and to release that authorization again; adapters speak to a real provider or
 * simulate one (`provider/simulated-card-provider.ts`).
 */

export type CardDecision = { outcome: 'APPROVED' } | { outcome: 'DECLINED'; reason: 'CARD_DECLINED' | 'INVALID_TOKEN' };

export interface CardAuthorization {
  /** The provider's idempotency key: the order id. A repeat under one key never charges twice. */
  key: string;
  amount: number;
  /** The card token the client got from the provider; null when none was sent. */
  token: string | null;
}

export interface CardProvider {
  /**
   * Authorizes the amount on the card. Idempotent per key: a repeat answers the first decision.
   * Rejects when the provider cannot be reached or gives no usable answer; the caller then cannot
   * know whether the card was authorized, and must try again or release.
   */
  authorize(request: CardAuthorization): Promise<CardDecision>;
  /**
   * Releases whatever was authorized under the key (a refund or a void at the provider). Idempotent,
   * and a no-op when nothing was. Rejects when the provider cannot be reached.
   */
  release(key: string): Promise<void>;
}
