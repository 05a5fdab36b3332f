import type { CardAuthorization, CardDecision, CardProvider } from '../domain/card-provider.js';

/** On the global timer, which tests can fake (Jest's fake timers leave node:timers/promises alone). */
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** How the simulated provider behaves; read once at start (see `settings.ts`). */
export interface SimulatedProviderSettings {
  /** Added before every answer, to play a slow provider. @defaultValue 0 */
  delayMs: number;
  /** `failing`: the provider cannot be reached at all; every call rejects. @defaultValue 'normal' */
  mode: 'normal' | 'failing';
  /** How long `tok_timeout` makes an authorize wait before approving. @defaultValue 2000 */
  slowTokenDelayMs?: number;
}

/**
 * The built-in card provider for development and tests, in the manner of a provider's test tokens:
 *
 * - `tok_visa`: approved.
 * - `tok_chargeDeclined`: declined, CARD_DECLINED.
 * - `tok_timeout`: approved after 2000 ms, longer than the order saga's 1 s timeout, so a caller
 *   sees a timeout while this process finishes the authorization (no restart needed to test it).
 * - `tok_unavailableOnce`: the provider is unreachable on the first attempt for an order and
 *   approves the next, like a short outage: the payment stays PENDING and a retry authorizes it.
 * - anything else, or no token: declined, INVALID_TOKEN.
 *
 * Like a real provider it keeps a decision per idempotency key, so a repeat never charges twice.
 * The ledger lives in this process's memory: it is a simulation, not a record.
 */
export class SimulatedCardProvider implements CardProvider {
  private readonly decisions = new Map<string, CardDecision>();
  private readonly unreachableOnce = new Set<string>();
  private readonly released = new Set<string>();

  constructor(private readonly settings: SimulatedProviderSettings) {}

  async authorize({ key, token }: CardAuthorization): Promise<CardDecision> {
    await this.reach();
    const known = this.decisions.get(key);
    if (known) return known;
    if (token === 'tok_unavailableOnce' && !this.unreachableOnce.has(key)) {
      this.unreachableOnce.add(key);
      throw new Error('simulated card provider: connection refused (tok_unavailableOnce)');
    }
    if (token === 'tok_timeout') await sleep(this.settings.slowTokenDelayMs ?? 2_000);
    const decision = decide(token);
    this.decisions.set(key, decision);
    return decision;
  }

  async release(key: string): Promise<void> {
    await this.reach();
    if (this.decisions.get(key)?.outcome === 'APPROVED') this.released.add(key);
  }

  /** Whether an approved authorization under the key is still held (for tests of this adapter). */
  holds(key: string): boolean {
    return this.decisions.get(key)?.outcome === 'APPROVED' && !this.released.has(key);
  }

  private async reach(): Promise<void> {
    if (this.settings.delayMs > 0) await sleep(this.settings.delayMs);
    if (this.settings.mode === 'failing') throw new Error('simulated card provider: unreachable (PAYMENT_PROVIDER_MODE=failing)');
  }
}

function decide(token: string | null): CardDecision {
  switch (token) {
    case 'tok_visa':
    case 'tok_timeout':
    case 'tok_unavailableOnce':
      return { outcome: 'APPROVED' };
    case 'tok_chargeDeclined':
      return { outcome: 'DECLINED', reason: 'CARD_DECLINED' };
    default:
      return { outcome: 'DECLINED', reason: 'INVALID_TOKEN' };
  }
}
