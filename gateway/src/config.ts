import { DEFAULT_PORTS, portVariable } from '../../lib/addresses.js';
import { EnvReader, PORT_RANGE, readCommonConfig, type CommonConfig } from '../../lib/config.js';
import type { EdgePolicy } from './edge.js';
import { SUBGRAPHS, type SubgraphName } from './subgraphs.js';

export interface QueryLimits {
  /** Levels of selection, fragments flattened. */
  maxDepth: number;
  /** Aliases, counted each time their fragment is spread. */
  maxAliases: number;
  /** Lexical tokens in the document (the parser stops at this many). */
  maxTokens: number;
  /** Directives in the document. */
  maxDirectives: number;
  /** Cost of the operation as it would execute (see limits.ts: every field 1, lists as many times as they are long). */
  maxCost: number;
}

export interface GatewayConfig extends CommonConfig {
  port: number;
  subgraphUrls: Record<SubgraphName, string>;
  limits: QueryLimits;
  /** No "did you mean" and no schema hints in client errors (production). */
  hideSchemaDetails: boolean;
  /** Introspection and the playground; off in production unless asked for. */
  introspection: boolean;
  playground: boolean;
  /** How long a subgraph may take to answer one fetch. */
  subgraphTimeoutMs: number;
  /** How long a subgraph's circuit breaker stays open before one trial fetch (see subgraph-breaker.ts). */
  subgraphBreakerResetMs: number;
  /** A subgraph fetch unanswered this long has the subgraph's liveness checked; no answer opens its breaker. */
  subgraphProbeAfterMs: number;
  /**
   * The placement line (placement-line.ts): placeOrder fetches the order subgraph answers at once;
   * how many more may wait their turn, and for how long. A customer hears back within
   * `maxWaitMs` + `subgraphTimeoutMs` at worst (30 + 10 s by default), usually far sooner.
   * 128 sent at once keep the order subgraph busy and its refusals' writes full; more only queue
   * inside it, where they slow the placements that call stock and payment (measured with
   * bench:drop: 256 at once let payments run past their timeout; 32 to 128 answered alike).
   */
  placements: { concurrency: number; maxQueue: number; maxWaitMs: number };
  /** Subscription sockets are pinged this often, and dropped when a ping goes unanswered as long. */
  keepAliveMs: number;
  /** Subscriptions one socket may hold open at once. */
  maxSubscriptionsPerSocket: number;
  /** CORS origins and the rate limit per client. */
  edge: EdgePolicy;
  /** Express's `trust proxy`: how many proxies in front set X-Forwarded-For (0: use the socket's address). */
  trustProxyHops: number;
}

export function readGatewayConfig(reader: EnvReader): GatewayConfig {
  const common = readCommonConfig(reader);
  const production = common.environment === 'production';
  const subgraphUrls = Object.fromEntries(
    SUBGRAPHS.map(({ name, urlVariable, defaultUrl }) => [name, reader.url(urlVariable, defaultUrl, ['http:', 'https:'])]),
  ) as Record<SubgraphName, string>;
  const config: GatewayConfig = {
    ...common,
    port: reader.int(portVariable('gateway'), DEFAULT_PORTS.gateway, PORT_RANGE),
    subgraphUrls,
    limits: {
      maxDepth: reader.int('QUERY_MAX_DEPTH', 12, { min: 2, max: 100 }),
      maxAliases: reader.int('QUERY_MAX_ALIASES', 30, { min: 0, max: 1000 }),
      maxTokens: reader.int('QUERY_MAX_TOKENS', 3000, { min: 100, max: 100_000 }),
      maxDirectives: reader.int('QUERY_MAX_DIRECTIVES', 20, { min: 0, max: 1000 }),
      maxCost: reader.int('QUERY_MAX_COST', 10_000, { min: 100, max: 10_000_000 }),
    },
    hideSchemaDetails: production,
    introspection: reader.bool('GRAPHQL_INTROSPECTION', !production),
    playground: reader.bool('PLAYGROUND', !production),
    subgraphTimeoutMs: reader.int('SUBGRAPH_TIMEOUT_MS', 10_000, { min: 100, max: 120_000 }),
    subgraphBreakerResetMs: reader.int('SUBGRAPH_BREAKER_RESET_MS', 2_000, { min: 100, max: 600_000 }),
    subgraphProbeAfterMs: reader.int('SUBGRAPH_PROBE_AFTER_MS', 1_000, { min: 100, max: 120_000 }),
    placements: {
      concurrency: reader.int('GATEWAY_PLACEMENT_CONCURRENCY', 128, { min: 1, max: 10_000 }),
      maxQueue: reader.int('GATEWAY_PLACEMENT_QUEUE_LIMIT', 20_000, { min: 0, max: 1_000_000 }),
      maxWaitMs: reader.int('GATEWAY_PLACEMENT_QUEUE_WAIT_MS', 30_000, { min: 0, max: 300_000 }),
    },
    keepAliveMs: reader.int('SUBSCRIPTION_KEEPALIVE_MS', 12_000, { min: 1_000, max: 300_000 }),
    maxSubscriptionsPerSocket: reader.int('SUBSCRIPTION_MAX_PER_SOCKET', 20, { min: 1, max: 10_000 }),
    edge: {
      corsOrigins: (reader.string('CORS_ORIGINS', production ? '' : '*') ?? '')
        .split(',')
        .map((origin) => origin.trim())
        .filter(Boolean),
      rateLimitPoints: reader.int('RATE_LIMIT_POINTS', 600, { min: 1, max: 10_000_000 }),
      rateLimitWindowSeconds: reader.int('RATE_LIMIT_WINDOW_SECONDS', 60, { min: 1, max: 86_400 }),
    },
    trustProxyHops: reader.int('TRUST_PROXY_HOPS', 0, { min: 0, max: 10 }),
  };
  return config;
}
