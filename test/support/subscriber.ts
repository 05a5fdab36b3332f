/** A graphql-ws client for tests: collects messages, and waits for them or for the socket to close. */
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { eventually } from './wait.js';

export interface Message<T = Record<string, unknown>> {
  data?: T | null;
  errors?: Array<{ message: string; path?: Array<string | number>; extensions?: Record<string, unknown> }>;
}

export class Subscriber<T = Record<string, unknown>> {
  readonly messages: Array<Message<T>> = [];
  error: unknown;
  completed = false;
  closeCode: number | undefined;
  private readonly client: Client;
  private unsubscribe: (() => void) | undefined;

  constructor(url: string, token?: string) {
    this.client = createClient({
      url: url.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: token ? { authorization: `Bearer ${token}` } : {},
      retryAttempts: 0,
      lazy: false,
      onNonLazyError: () => {},
      on: { closed: (event) => (this.closeCode = (event as { code?: number }).code) },
    });
  }

  subscribe(query: string, variables: Record<string, unknown> = {}): this {
    this.unsubscribe = this.client.subscribe<T>(
      { query, variables },
      {
        next: (message) => void this.messages.push(message as Message<T>),
        error: (error) => (this.error = error),
        complete: () => (this.completed = true),
      },
    );
    return this;
  }

  /** Waits for at least `count` messages and returns them. */
  async received(count: number, what = `${count} messages`): Promise<Array<Message<T>>> {
    await eventually(async () => this.messages.length >= count || this.error !== undefined, { what, timeoutMs: 30_000 });
    if (this.error !== undefined && this.messages.length < count) throw new Error(`subscription failed: ${JSON.stringify(this.error)}`);
    return this.messages.slice(0, count);
  }

  /** Waits until the subscription ends with an error, and returns it. */
  async failed(): Promise<Array<{ message: string; extensions?: Record<string, unknown> }>> {
    await eventually(async () => this.error !== undefined, { what: 'the subscription to be refused' });
    return this.error as Array<{ message: string; extensions?: Record<string, unknown> }>;
  }

  async closed(): Promise<number> {
    return eventually(async () => this.closeCode, { what: 'the socket to close' });
  }

  async dispose(): Promise<void> {
    this.unsubscribe?.();
    await this.client.dispose();
  }
}
