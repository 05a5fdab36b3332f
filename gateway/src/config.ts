import { EnvReader, PORT_RANGE, readCommonConfig, type CommonConfig } from '../../lib/config.js';
import { SUBGRAPHS, type SubgraphName } from './subgraphs.js';

export interface QueryLimits {
  maxDepth: number;
  maxAliases: number;
  maxTokens: number;
}

export interface GatewayConfig extends CommonConfig {
  port: number;
  subgraphUrls: Record<SubgraphName, string>;
  limits: QueryLimits;
  /** Introspection and the playground; off in production unless asked for. */
  introspection: boolean;
  playground: boolean;
  /** How long a subgraph may take to answer one fetch. */
  subgraphTimeoutMs: number;
  /** Subscription sockets are pinged this often, and dropped when a ping goes unanswered as long. */
  keepAliveMs: number;
}

export function readGatewayConfig(reader: EnvReader): GatewayConfig {
  const common = readCommonConfig(reader);
  const production = common.environment === 'production';
  const subgraphUrls = Object.fromEntries(
    SUBGRAPHS.map(({ name, urlVariable, defaultUrl }) => [name, reader.url(urlVariable, defaultUrl, ['http:', 'https:'])]),
  ) as Record<SubgraphName, string>;
  const config: GatewayConfig = {
    ...common,
    port: reader.int('GATEWAY_PORT', 4000, PORT_RANGE),
    subgraphUrls,
    limits: {
      maxDepth: reader.int('QUERY_MAX_DEPTH', 12, { min: 2, max: 100 }),
      maxAliases: reader.int('QUERY_MAX_ALIASES', 30, { min: 0, max: 1000 }),
      maxTokens: reader.int('QUERY_MAX_TOKENS', 3000, { min: 100, max: 100_000 }),
    },
    introspection: reader.bool('GRAPHQL_INTROSPECTION', !production),
    playground: reader.bool('PLAYGROUND', !production),
    subgraphTimeoutMs: reader.int('SUBGRAPH_TIMEOUT_MS', 10_000, { min: 100, max: 120_000 }),
    keepAliveMs: reader.int('SUBSCRIPTION_KEEPALIVE_MS', 12_000, { min: 1_000, max: 300_000 }),
  };
  return config;
}
