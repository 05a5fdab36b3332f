/**
 * The gateway's circuit breaker toward one subgraph (opossum). A subgraph that is down, or frozen,
 * or cut off, must not hold every request that touches it for the gateway's whole timeout:
 * - a fetch that cannot connect or times out counts as a failure; enough of them open the breaker;
 * - a fetch still unanswered after `probeAfterMs` has the subgraph's /health/live asked; a liveness
 *   check that does not answer in time means the process is not running its event loop (SIGSTOP,
 *   a partition, a hang), and opens the breaker at once, without waiting for the timeouts;
 * - when it opens, the reads still waiting on the subgraph are given up at once (a read can be asked
 *   again); a mutation in flight keeps waiting to its timeout, since the subgraph may yet do it;
 * - while open, every fetch fails in milliseconds with SERVICE_UNAVAILABLE naming the service and
 *   the fields it could not give; the other subgraphs' parts of the query still answer;
 * - after `resetMs` one trial fetch is let through (half-open): its success closes the breaker.
 * A subgraph that answers slowly but is alive is left to its timeout: slowness is not death. Nor
 * is the gateway's own slowness: a liveness check during which the gateway's event loop ran late
 * (a rush coming in), or during which the subgraph answered other fetches (a rush queued in it),
 * proves nothing, and opens nothing.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { GraphQLError, Kind, parse, type SelectionSetNode } from 'graphql';
import CircuitBreaker from 'opossum';
import { ErrorCode } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import { isMutationBody, type SubgraphRequestInit, type SubgraphResponse, type SubgraphTransport } from './subgraph-transport.js';

export interface SubgraphBreakerOptions {
  service: string;
  /** The subgraph's GraphQL URL; its /health/live is asked when a fetch is slow. */
  url: string;
  /** The bound of one fetch. */
  timeoutMs: number;
  /** How long the breaker stays open before one trial fetch. */
  resetMs: number;
  /** A fetch unanswered this long has the subgraph's liveness checked. */
  probeAfterMs: number;
  /** What sends the fetches (the gateway's keep-alive HTTP client). */
  transport: SubgraphTransport;
  log: Logger;
}

/**
 * Liveness answers at once from a live process. The bound is generous, so that a subgraph (or a
 * gateway) busy with a rush, its event loop late, is not taken for a dead one: load is shed by the
 * subgraphs' own admission control, not by a breaker that opens on a live service.
 */
const PROBE_TIMEOUT_MS = 3_000;

/**
 * How late this process's own event loop may run during a liveness check for a missing answer to
 * count against the subgraph. A gateway taking in thousands of requests at once can run a second
 * or more behind: an answer that arrived may then sit unread while the check's timer fires, and a
 * live subgraph would be taken for a dead one (and every request to it refused for nothing).
 */
const OWN_LAG_LIMIT_MS = 500;

export class SubgraphBreaker {
  private readonly breaker: CircuitBreaker<[input: string, init: SubgraphRequestInit | undefined], SubgraphResponse>;
  private probing: Promise<void> | undefined;
  /** When the subgraph last answered a fetch (performance.now()). */
  private lastAnswerAt = Number.NEGATIVE_INFINITY;
  /** Reads in flight, given up when the breaker opens. */
  private readonly reads = new Set<AbortController>();

  constructor(private readonly options: SubgraphBreakerOptions) {
    this.breaker = new CircuitBreaker((input: string, init: SubgraphRequestInit | undefined) => this.send(input, init), {
      // Each fetch carries its own timeout (an AbortSignal): opossum's would leave the fetch running.
      timeout: false,
      resetTimeout: options.resetMs,
      errorThresholdPercentage: 50,
      volumeThreshold: 3,
      rollingCountTimeout: 10_000,
    });
    const where = { subgraph: options.service };
    this.breaker.on('open', () => {
      options.log.warn(where, `circuit breaker to ${options.service} opened: its fetches fail fast for ${options.resetMs} ms`);
      for (const read of this.reads) read.abort(new Error('circuit breaker opened'));
    });
    this.breaker.on('halfOpen', () => options.log.info(where, `circuit breaker to ${options.service} half-open: trying one fetch`));
    this.breaker.on('close', () => options.log.info(where, `circuit breaker to ${options.service} closed`));
  }

  get opened(): boolean {
    return this.breaker.opened;
  }

  /** The liveness check under way, if any (it settles once it has decided). */
  get livenessCheck(): Promise<void> | undefined {
    return this.probing;
  }

  /**
   * Sends one subgraph fetch through the breaker. A fetch that fails for want of the subgraph
   * throws SERVICE_UNAVAILABLE; an answer of any HTTP status is the subgraph's, and passes.
   */
  async fetch(input: string, init?: SubgraphRequestInit): Promise<SubgraphResponse> {
    try {
      return await this.breaker.fire(input, init);
    } catch (error) {
      throw this.unavailable(error, init?.body);
    }
  }

  shutdown(): void {
    this.breaker.shutdown();
  }

  /**
   * One fetch with its timeout; a slow one has the subgraph's liveness checked. One controller
   * aborts it, on timeout (a TimeoutError, as AbortSignal.timeout gives) or, for a read, when the
   * breaker opens: cheaper per fetch than combining signals with AbortSignal.any.
   */
  private async send(input: string, init: SubgraphRequestInit | undefined): Promise<SubgraphResponse> {
    const controller = new AbortController();
    const read = !isMutationBody(init?.body);
    if (read) this.reads.add(controller);
    const timeout = setTimeout(() => controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')), this.options.timeoutMs);
    timeout.unref();
    const timer = setTimeout(() => this.probe(), this.options.probeAfterMs);
    try {
      const response = await this.options.transport.fetch(input, { ...init, signal: controller.signal });
      this.lastAnswerAt = performance.now();
      return response;
    } finally {
      clearTimeout(timeout);
      clearTimeout(timer);
      if (read) this.reads.delete(controller);
    }
  }

  private probe(): void {
    if (this.probing || this.breaker.opened) return;
    this.probing = (async () => {
      const askedAt = performance.now();
      const ownDelay = monitorEventLoopDelay({ resolution: 20 });
      ownDelay.enable();
      try {
        const response = await fetch(new URL('/health/live', this.options.url), { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
        await response.body?.cancel();
        if (response.ok) return;
      } catch {
        // no answer: handled below
      } finally {
        ownDelay.disable();
      }
      // A subgraph that answered other fetches meanwhile is alive, only busy (a rush queued in it).
      if (this.lastAnswerAt > askedAt) {
        this.options.log.info(
          { subgraph: this.options.service },
          `no liveness answer from ${this.options.service}, but it answered other fetches meanwhile: busy, not dead`,
        );
        return;
      }
      const ownLagMs = ownDelay.max / 1e6;
      if (ownLagMs > OWN_LAG_LIMIT_MS) {
        this.options.log.info(
          { subgraph: this.options.service, ownLagMs },
          `no liveness answer from ${this.options.service}, but the gateway itself ran late: not counted`,
        );
        return;
      }
      if (!this.breaker.opened) {
        this.options.log.warn({ subgraph: this.options.service }, `${this.options.service} does not answer its liveness check`);
        this.breaker.open();
      }
    })().finally(() => (this.probing = undefined));
  }

  private unavailable(error: unknown, body: SubgraphRequestInit['body']): GraphQLError {
    const open = typeof error === 'object' && error !== null && 'code' in error && error.code === 'EOPENBREAKER';
    const reason = open
      ? 'its circuit breaker is open'
      : typeof error === 'object' && error !== null && 'name' in error && error.name === 'TimeoutError' // a DOMException, from whichever realm
        ? 'it did not answer in time'
        : 'it cannot be reached';
    const fields = typeof body === 'string' ? requestedFields(body) : [];
    // An open breaker says so once, when it opens; each other failure is worth a line of its own.
    if (!open) this.options.log.warn({ subgraph: this.options.service, reason, fields, err: error }, `a fetch to ${this.options.service} failed: ${reason}`);
    const missing = fields.length > 0 ? `; these fields are null: ${fields.join(', ')}` : '';
    return new GraphQLError(`the ${this.options.service} service is unavailable (${reason})${missing}`, {
      extensions: { code: ErrorCode.ServiceUnavailable, service: this.options.service, fields },
    });
  }
}

/**
 * The fields a subgraph fetch asked for, as `Type.field`: the root fields of the operation, or the
 * fields of each entity type for an `_entities` fetch. Empty when the body cannot be read.
 */
export function requestedFields(body: string): string[] {
  try {
    const { query } = JSON.parse(body) as { query?: unknown };
    if (typeof query !== 'string') return [];
    const fields = new Set<string>();
    for (const definition of parse(query).definitions) {
      if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
      const root = definition.operation === 'mutation' ? 'Mutation' : definition.operation === 'subscription' ? 'Subscription' : 'Query';
      for (const selection of definition.selectionSet.selections) {
        if (selection.kind !== Kind.FIELD || selection.name.value === '__typename') continue;
        if (selection.name.value === '_entities' && selection.selectionSet) entityFields(selection.selectionSet, fields);
        else fields.add(`${root}.${selection.name.value}`);
      }
    }
    return [...fields];
  } catch {
    return [];
  }
}

function entityFields(selectionSet: SelectionSetNode, fields: Set<string>): void {
  for (const selection of selectionSet.selections) {
    if (selection.kind !== Kind.INLINE_FRAGMENT || !selection.typeCondition) continue;
    const type = selection.typeCondition.name.value;
    for (const field of selection.selectionSet.selections) {
      if (field.kind === Kind.FIELD && field.name.value !== '__typename') fields.add(`${type}.${field.name.value}`);
    }
  }
}
