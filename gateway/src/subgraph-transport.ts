/**
 * The gateway's HTTP client toward its subgraphs: node:http on a keep-alive agent, instead of the
 * WHATWG `fetch` (undici) the gateway used before. A page of four subgraphs costs the gateway a
 * handful of fetches per request, and `fetch` spent most of its CPU on what a subgraph call does
 * not need (a Request and a Response object each, web streams for a body of a few kilobytes,
 * header validation); this one writes the request in one go and reads the answer into one string.
 *
 * It keeps what the gateway relies on from `fetch`:
 * - an aborted `signal` ends the request (and the socket) and rejects with the signal's reason,
 *   so a timeout still fails as a `TimeoutError` and a breaker's abort as its own error;
 * - a request that cannot be sent rejects (connection refused, reset, a socket that closes);
 * - the answer has the `status`, `ok`, `headers`, `text()` and `json()` that Apollo's
 *   RemoteGraphQLDataSource reads, whatever the HTTP status.
 * Connections are kept open between fetches; the agent lets one go before the subgraph's
 * announced keep-alive timeout. A read whose reused connection turns out to have been closed by
 * the subgraph before it took the request (ECONNRESET before any answer) is sent once more on a
 * fresh one; a mutation never is.
 */
import http from 'node:http';

export interface SubgraphRequestInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  signal?: AbortSignal;
}

/** What the answer of a subgraph fetch offers: the part of a WHATWG Response that Apollo's data source reads. */
export class SubgraphResponse {
  readonly ok: boolean;
  readonly redirected = false;
  readonly headers: ResponseHeaders;
  private used = false;

  constructor(
    readonly url: string,
    readonly status: number,
    readonly statusText: string,
    headers: http.IncomingHttpHeaders,
    private readonly body: string,
  ) {
    this.ok = status >= 200 && status < 300;
    this.headers = new ResponseHeaders(headers);
  }

  get bodyUsed(): boolean {
    return this.used;
  }

  async text(): Promise<string> {
    return this.consume();
  }

  async json(): Promise<unknown> {
    return JSON.parse(this.consume());
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    const bytes = Buffer.from(this.consume(), 'utf8');
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  }

  clone(): SubgraphResponse {
    if (this.used) throw new TypeError('the body of this response was already read');
    return new SubgraphResponse(this.url, this.status, this.statusText, Object.fromEntries(this.headers), this.body);
  }

  private consume(): string {
    if (this.used) throw new TypeError('the body of this response was already read');
    this.used = true;
    return this.body;
  }
}

/** Response headers, by lower-case name; repeated ones joined with ", " as `fetch` joins them. */
export class ResponseHeaders implements Iterable<[string, string]> {
  private readonly byName = new Map<string, string>();

  constructor(headers: http.IncomingHttpHeaders) {
    for (const [name, value] of Object.entries(headers)) {
      if (value !== undefined) this.byName.set(name.toLowerCase(), Array.isArray(value) ? value.join(', ') : value);
    }
  }

  get(name: string): string | null {
    return this.byName.get(name.toLowerCase()) ?? null;
  }

  has(name: string): boolean {
    return this.byName.has(name.toLowerCase());
  }

  set(name: string, value: string): void {
    this.byName.set(name.toLowerCase(), value);
  }

  append(name: string, value: string): void {
    const key = name.toLowerCase();
    const had = this.byName.get(key);
    this.byName.set(key, had === undefined ? value : `${had}, ${value}`);
  }

  delete(name: string): void {
    this.byName.delete(name.toLowerCase());
  }

  entries(): IterableIterator<[string, string]> {
    return this.byName.entries();
  }

  keys(): IterableIterator<string> {
    return this.byName.keys();
  }

  values(): IterableIterator<string> {
    return this.byName.values();
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.byName.entries();
  }
}

export class SubgraphTransport {
  private readonly agent = new http.Agent({ keepAlive: true, scheduling: 'lifo' });
  private readonly targets = new Map<string, URL>();

  /** Sends one request; a read that meets a connection the subgraph had already closed is sent once more. */
  async fetch(url: string, init: SubgraphRequestInit = {}): Promise<SubgraphResponse> {
    try {
      return await this.send(url, init);
    } catch (error) {
      if (!(error instanceof StaleConnectionError)) throw error;
      if (init.signal?.aborted) throw init.signal.reason;
      if (isMutationBody(init.body)) throw error.cause;
      return this.send(url, init);
    }
  }

  /** Closes the kept connections. */
  close(): void {
    this.agent.destroy();
  }

  private target(url: string): URL {
    let target = this.targets.get(url);
    if (!target) {
      target = new URL(url);
      if (target.protocol !== 'http:') throw new TypeError(`subgraphs are reached over http, not ${target.protocol} (${url})`);
      this.targets.set(url, target);
    }
    return target;
  }

  private send(url: string, init: SubgraphRequestInit): Promise<SubgraphResponse> {
    const target = this.target(url);
    const { signal } = init;
    if (signal?.aborted) return Promise.reject(signal.reason);
    const body = init.body ?? '';
    const headers: http.OutgoingHttpHeaders = { ...init.headers, 'content-length': Buffer.byteLength(body) };
    return new Promise<SubgraphResponse>((resolve, reject) => {
      let settled = false;
      const finish = (error: unknown, response?: SubgraphResponse) => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener('abort', onAbort);
        if (response) resolve(response);
        else reject(error);
      };
      const request = http.request({
        agent: this.agent,
        host: target.hostname.replace(/^\[(.*)\]$/, '$1'), // an IPv6 literal without its brackets
        port: target.port,
        path: `${target.pathname}${target.search}`,
        method: init.method ?? 'POST',
        headers,
      });
      const onAbort = () => {
        finish(signal?.reason);
        request.destroy();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      let answered = false;
      request.on('response', (response) => {
        answered = true;
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          finish(
            undefined,
            new SubgraphResponse(url, response.statusCode ?? 0, response.statusMessage ?? '', response.headers, Buffer.concat(chunks).toString('utf8')),
          ),
        );
        response.on('error', (error) => finish(error));
        response.on('close', () => {
          if (!response.complete) finish(new Error(`the connection to ${target.host} closed before the whole answer came`));
        });
      });
      request.on('error', (error: NodeJS.ErrnoException) => {
        if (!answered && request.reusedSocket && error.code === 'ECONNRESET') finish(new StaleConnectionError(error));
        else finish(error);
      });
      request.end(body);
    });
  }
}

/** A kept connection the subgraph had closed before it read the request. */
class StaleConnectionError extends Error {
  constructor(override readonly cause: Error) {
    super(`a kept connection was closed by the subgraph: ${cause.message}`);
  }
}

/** Whether a fetch's body is a mutation (the gateway sends each operation's text as `query`); unknown counts as one. */
export function isMutationBody(body: unknown): boolean {
  if (typeof body !== 'string') return true;
  try {
    const { query } = JSON.parse(body) as { query?: unknown };
    return typeof query === 'string' && /^\s*mutation\b/.test(query);
  } catch {
    return true;
  }
}
