/**
 * The placement line: in a drop, thousands of customers press "order" in the same second. The
 * gateway sends the order subgraph at most `concurrency` placements at once; the others wait their
 * turn here, first come first served, up to `maxQueue` of them and each for at most `maxWaitMs`.
 *
 * Why at the gateway: the subgraph fetch timeout (and the deadline the subgraph is told, see
 * lib/deadline.ts) starts when a placement is *sent*, not when it arrived. Sent all at once, five
 * thousand placements would each start their ten seconds at once, and whatever the bakery could
 * not answer in those ten seconds would fail together. Sent at the pace the bakery answers them,
 * each is answered well inside its timeout, and a placement is only refused when it has waited
 * its whole turn: TOO_BUSY, having never reached the order subgraph, so a retry is always safe.
 *
 * Only `placeOrder` waits in line: everything else (reads, cancels, staff moves) goes straight on.
 */
import { GraphQLError } from 'graphql';
import { AdmissionGate, AdmissionRefused, type AdmissionGateOptions } from '../../lib/admission-gate.js';
import { ErrorCode } from '../../lib/errors.js';
import { requestedFields } from './subgraph-breaker.js';

export class PlacementLine {
  private readonly gate: AdmissionGate;

  constructor(private readonly options: AdmissionGateOptions) {
    this.gate = new AdmissionGate(options);
  }

  /** Placements waiting their turn, and those sent and not yet answered. */
  get waiting(): number {
    return this.gate.waiting;
  }

  get sent(): number {
    return this.gate.running;
  }

  /** Sends one subgraph fetch: a placement in its turn, anything else at once. */
  async send<T>(body: RequestInit['body'], fetch: () => Promise<T>): Promise<T> {
    if (!isPlacement(body)) return fetch();
    try {
      return await this.gate.run(fetch, this.options.maxWaitMs);
    } catch (error) {
      if (!(error instanceof AdmissionRefused)) throw error;
      throw new GraphQLError('the bakery is taking more orders than it can answer in time; nothing was placed, send the order again', {
        extensions: { code: ErrorCode.TooBusy, retryAfterSeconds: Math.max(1, Math.ceil(error.retryAfterMs / 1_000)) },
      });
    }
  }

  /** Refuses the placements still waiting (shutdown); those sent are answered. */
  close(): void {
    this.gate.close();
  }
}

/** Whether a fetch to the order subgraph is a placement (the gateway sends each operation's text as `query`). */
export function isPlacement(body: RequestInit['body']): boolean {
  // Most fetches are reads: only a mutation's text is parsed.
  return typeof body === 'string' && /"query":"\s*mutation\b/.test(body) && requestedFields(body).includes('Mutation.placeOrder');
}
