/**
 * Calls from one subgraph to another's internal operations: straight to its /graphql, with a
 * service token, a timeout, and an opossum circuit breaker. The caller's idempotency key (the order
 * id) travels in the operation's variables, so a retried call never acts twice.
 */
import CircuitBreaker from 'opossum';
import { AppError, ErrorCode, isAppError, serviceUnavailable } from './errors.js';
import type { Logger } from './logger.js';
import { injectTraceHeaders, inSpan } from './telemetry.js';

export interface ServiceClientOptions {
  /** The called subgraph's name, for logs and errors. */
  service: string;
  url: string;
  token: () => Promise<string>;
  log: Logger;
  /** @defaultValue 1000 */
  timeoutMs?: number;
  /** How long the breaker stays open before it lets a trial call through. @defaultValue 5000 */
  resetTimeoutMs?: number;
}

interface GraphQLBody<T> {
  data?: T | null;
  errors?: Array<{ message: string; extensions?: { code?: string; field?: string } }>;
}

const KNOWN_CODES = new Set<string>(Object.values(ErrorCode));

export class ServiceClient {
  private readonly breaker: CircuitBreaker<[query: string, variables: Record<string, unknown>, requestId?: string], unknown>;

  constructor(private readonly options: ServiceClientOptions) {
    const timeout = options.timeoutMs ?? 1_000;
    this.breaker = new CircuitBreaker(
      (query: string, variables: Record<string, unknown>, requestId?: string) => this.send(query, variables, timeout, requestId),
      {
        timeout,
        resetTimeout: options.resetTimeoutMs ?? 5_000,
        errorThresholdPercentage: 50,
        volumeThreshold: 3,
        // An answer the service gave on purpose (bad input, not found) says nothing about its health.
        errorFilter: (error: unknown) => isAppError(error) && error.code !== ErrorCode.ServiceUnavailable,
      },
    );
    this.breaker.on('open', () => options.log.warn({ calledService: options.service }, 'circuit breaker opened'));
    this.breaker.on('close', () => options.log.info({ calledService: options.service }, 'circuit breaker closed'));
  }

  /**
   * Runs one operation and returns its data. Throws SERVICE_UNAVAILABLE when the service cannot be
   * reached, answers too slowly or its breaker is open; otherwise the service's own error code.
   */
  async request<T>(query: string, variables: Record<string, unknown>, requestId?: string): Promise<T> {
    try {
      return (await this.breaker.fire(query, variables, requestId)) as T;
    } catch (error) {
      if (isAppError(error)) throw error;
      const reason = this.breaker.opened ? 'its circuit breaker is open' : error instanceof Error ? error.message : 'no answer';
      throw serviceUnavailable(`the ${this.options.service} service is unavailable: ${reason}`);
    }
  }

  get open(): boolean {
    return this.breaker.opened;
  }

  shutdown(): void {
    this.breaker.shutdown();
  }

  private send(query: string, variables: Record<string, unknown>, timeoutMs: number, requestId?: string): Promise<unknown> {
    // The operation's name, or its first root field (`reserveStock`) when it has none.
    const operation = /^\s*(?:query|mutation)\s*(\w+)?[^{]*\{\s*(\w+)/.exec(query)?.slice(1).find(Boolean) ?? 'graphql';
    return inSpan(
      `${this.options.service} ${operation}`,
      'client',
      undefined,
      { 'peer.service': this.options.service, 'graphql.operation.name': operation },
      () => this.post(query, variables, timeoutMs, requestId),
    );
  }

  private async post(query: string, variables: Record<string, unknown>, timeoutMs: number, requestId?: string): Promise<unknown> {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      authorization: `Bearer ${await this.options.token()}`,
      ...(requestId ? { 'x-request-id': requestId } : {}),
    };
    injectTraceHeaders((name, value) => (headers[name] = value));
    const response = await fetch(this.options.url, {
      method: 'POST',
      headers,
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    let body: GraphQLBody<unknown>;
    try {
      body = (await response.json()) as GraphQLBody<unknown>;
    } catch {
      throw serviceUnavailable(`the ${this.options.service} service answered ${response.status} without GraphQL`);
    }
    const error = body.errors?.[0];
    if (error) {
      const code = error.extensions?.code;
      if (code && KNOWN_CODES.has(code) && code !== ErrorCode.Internal) {
        throw new AppError(code as ErrorCode, error.message, error.extensions?.field);
      }
      throw serviceUnavailable(`the ${this.options.service} service failed: ${error.message}`);
    }
    if (!response.ok || body.data === undefined || body.data === null) {
      throw serviceUnavailable(`the ${this.options.service} service answered ${response.status}`);
    }
    return body.data;
  }
}
