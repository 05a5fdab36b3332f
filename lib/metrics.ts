/**
 * Prometheus metrics, one registry per process, served as text at `/metrics` (prom-client).
 * Every series carries `service` (gateway, stock, ..., workers); each process adds what it alone
 * knows: the gateway its operations, subgraph fetches and open subscriptions, a subgraph its
 * resolver errors, the workers their jobs.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import { Queue, type Worker } from 'bullmq';
import { Router } from 'express';
import type { GraphQLFormattedError } from 'graphql';
import type { Redis } from 'ioredis';
import type { Connection } from 'mongoose';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** A process's metrics: default process metrics (CPU, memory, event loop, GC) and its own. */
export function createMetrics(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  return registry;
}

/** `GET /metrics` in the Prometheus text format. */
export function metricsRouter(registry: Registry): Router {
  const router = Router();
  router.get('/metrics', async (_req, res) => {
    res.type(registry.contentType).send(await registry.metrics());
  });
  return router;
}

/** Seconds, from a few milliseconds (a cached read) to the gateway's longest deadline. */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Operation names come from clients; past this many distinct ones, the rest count as `other`. */
const MAX_OPERATION_NAMES = 200;

/**
 * Operation count and duration by operation name and outcome (`success`, or `error` when the
 * response carries any error). An Apollo Server plugin.
 */
export function operationMetrics<TContext extends object>(registry: Registry): ApolloServerPlugin<TContext> {
  const labelNames = ['operation', 'outcome'] as const;
  const count = new Counter({
    name: 'graphql_operations_total',
    help: 'GraphQL operations answered, by operation name and outcome',
    labelNames,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'graphql_operation_duration_seconds',
    help: 'Time from receiving a GraphQL operation to sending its response',
    labelNames,
    buckets: DURATION_BUCKETS,
    registers: [registry],
  });
  const parsed = new Counter({
    name: 'graphql_documents_parsed_total',
    help: 'Operation texts parsed and validated because they were not prepared yet (seen for the first time, or gone from the cache)',
    registers: [registry],
  });
  const seen = new Set<string>();
  const operationLabel = (name: string | null | undefined): string => {
    if (!name) return 'anonymous';
    if (seen.has(name)) return name;
    if (seen.size >= MAX_OPERATION_NAMES) return 'other';
    seen.add(name);
    return name;
  };
  return {
    async requestDidStart() {
      const stop = duration.startTimer();
      return {
        async parsingDidStart() {
          parsed.inc();
        },
        async willSendResponse({ operationName, errors }) {
          const labels = { operation: operationLabel(operationName), outcome: errors?.length ? 'error' : 'success' };
          stop(labels);
          count.inc(labels);
        },
      };
    },
  };
}

/**
 * Counts the errors resolvers raised (those with a path), by the `extensions.code` the client
 * sees. Wraps a subgraph's `formatError`, so the code is the final one.
 */
export function countResolverErrors(registry: Registry, format: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError) {
  const errors = new Counter({
    name: 'graphql_resolver_errors_total',
    help: 'Errors raised by resolvers, by extensions.code',
    labelNames: ['code'],
    registers: [registry],
  });
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const result = format(formatted, error);
    if (result.path) errors.inc({ code: typeof result.extensions?.code === 'string' ? result.extensions.code : 'INTERNAL_SERVER_ERROR' });
    return result;
  };
}

/** The gateway's fetches to subgraphs, by subgraph and outcome (`ok`, the HTTP status, or `failed`). */
export function subgraphFetchMetrics(registry: Registry) {
  const duration = new Histogram({
    name: 'gateway_subgraph_fetch_duration_seconds',
    help: 'Time of one gateway request to a subgraph',
    labelNames: ['subgraph', 'outcome'],
    buckets: DURATION_BUCKETS,
    registers: [registry],
  });
  return async <TResponse extends { ok: boolean; status: number }>(subgraph: string, fetching: () => Promise<TResponse>): Promise<TResponse> => {
    const stop = duration.startTimer({ subgraph });
    try {
      const response = await fetching();
      stop({ outcome: response.ok ? 'ok' : String(response.status) });
      return response;
    } catch (error) {
      stop({ outcome: 'failed' });
      throw error;
    }
  };
}

/**
 * Operations this process sent to its database (a find, an aggregate, an updateOne...), by
 * operation and collection, counted as mongoose hands each one to the driver: how many store round
 * trips a request or a page really costs. Counted there, not through the driver's command
 * monitoring: monitoring decodes every reply a second time, whole, for its "succeeded" event, which
 * cost a subgraph up to a tenth of its CPU per request (the order page's fat order documents most).
 */
export function storeCommandMetrics(registry: Registry, connection: Connection): void {
  // One counter for every database of the process (the workers process has one per context).
  const commands =
    (registry.getSingleMetric('store_commands_total') as Counter<'command' | 'collection'> | undefined) ??
    new Counter({
      name: 'store_commands_total',
      help: 'Operations sent to the database, by operation (find, aggregate, updateOne, ...) and collection',
      labelNames: ['command', 'collection'],
      registers: [registry],
    });
  connection.on('operation-start', ({ method, collectionName }: { method: string; collectionName: string }) => {
    commands.inc({ command: method, collection: collectionName });
  });
}

/** A gauge read when scraped. */
export function observedGauge(registry: Registry, name: string, help: string, read: () => number): void {
  new Gauge({
    name,
    help,
    registers: [registry],
    collect() {
      this.set(read());
    },
  });
}

const JOB_STATES = ['waiting', 'active', 'delayed', 'failed'] as const;

/**
 * The workers' jobs: completed and failed attempts counted by this process, and how many jobs each
 * queue holds per state, read from Redis when scraped (so every replica reports the same queue).
 */
export class JobMetrics {
  private readonly completed: Counter<'queue'>;
  private readonly failed: Counter<'queue'>;
  private readonly queues = new Map<string, Queue>();

  constructor(
    registry: Registry,
    private readonly connection: Redis,
    private readonly prefix: string,
  ) {
    this.completed = new Counter({
      name: 'bullmq_jobs_completed_total',
      help: 'Jobs this process completed, by queue',
      labelNames: ['queue'],
      registers: [registry],
    });
    this.failed = new Counter({
      name: 'bullmq_jobs_failed_total',
      help: 'Job attempts that failed in this process (retried or not), by queue',
      labelNames: ['queue'],
      registers: [registry],
    });
    const queues = this.queues;
    new Gauge({
      name: 'bullmq_queue_jobs',
      help: 'Jobs in a queue, by state',
      labelNames: ['queue', 'state'],
      registers: [registry],
      async collect() {
        for (const [name, queue] of queues) {
          const counts = await queue.getJobCounts(...JOB_STATES);
          for (const state of JOB_STATES) this.set({ queue: name, state }, counts[state] ?? 0);
        }
      },
    });
  }

  /** Counts what `worker` does on `queue`, and reports that queue's jobs. */
  watch(queue: string, worker: Worker): void {
    if (!this.queues.has(queue)) this.queues.set(queue, new Queue(queue, { connection: this.connection, prefix: this.prefix }));
    worker.on('completed', () => this.completed.inc({ queue }));
    worker.on('failed', () => this.failed.inc({ queue }));
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((queue) => queue.close()));
  }
}
