import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import express from 'express';
import { GraphQLError, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import { callerTokenSource, createUserTokenVerifier, signUserToken } from '../../lib/auth.js';
import { ErrorCode } from '../../lib/errors.js';
import { makeFormatError } from '../../lib/graphql-errors.js';
import { healthRouter } from '../../lib/health.js';
import { closeRedis, connectRedis } from '../../lib/redis.js';
import { apolloHandler } from '../../lib/apollo-handler.js';
import { FirstSight } from '../../lib/first-sight.js';
import { withDeadline } from '../../lib/deadline.js';
import { jsonBody, jsonErrors, notFoundJson, requestIdFrom } from '../../lib/http-guards.js';
import { requestLogging } from '../../lib/request-logging.js';
import { operationSpanNames, traceRequests } from '../../lib/telemetry.js';
import type { Logger } from '../../lib/logger.js';
import { createMetrics, metricsRouter, observedGauge, operationMetrics, subgraphFetchMetrics } from '../../lib/metrics.js';
import { verify } from '../../lib/subgraph-server.js';
import type { GatewayConfig } from './config.js';
import type { GatewayContext } from './context.js';
import { corsPolicy, redisRateLimit } from './edge.js';
import { costLimit, maskSuggestions, queryLimitRules } from './limits.js';
import { playgroundIsBuilt, playgroundRouter, preparePlayground } from './playground/index.js';
import { queueBoard } from './queue-board.js';
import { PlacementLine } from './placement-line.js';
import { SubgraphBreaker } from './subgraph-breaker.js';
import { SubgraphDataSource } from './subgraph-data-source.js';
import { type SubgraphRequestInit, SubgraphTransport } from './subgraph-transport.js';
import { SUBGRAPHS, type SubgraphName } from './subgraphs.js';
import { LiveFeed } from './subscriptions/live-feed.js';
import { SubscriptionServer } from './subscriptions/subscription-server.js';
import { LIVE_TOPICS } from './subscriptions/topics.js';

export interface RunningGateway {
  url: string;
  httpServer: http.Server;
  subscriptions: SubscriptionServer;
  close(): Promise<void>;
}

const SUPERGRAPH = new URL('../supergraph.graphql', import.meta.url);

export async function startGateway(config: GatewayConfig, log: Logger): Promise<RunningGateway> {
  const verifier = createUserTokenVerifier(config.auth);
  const credential = callerTokenSource(config.auth);
  const metrics = createMetrics('gateway');
  const timedFetch = subgraphFetchMetrics(metrics);
  const breakers: SubgraphBreaker[] = [];
  const placements = new PlacementLine(config.placements);
  const transport = new SubgraphTransport();
  // A rush of an operation text not seen yet is parsed, validated and planned once (lib/first-sight.ts).
  const firstSight = new FirstSight();
  const gateway = new ApolloGateway({
    // Composed at build time (`npm run compose`): no introspection of subgraphs at run time.
    supergraphSdl: readFileSync(SUPERGRAPH, 'utf8'),
    buildService: ({ name, url }) => {
      const target = config.subgraphUrls[name as SubgraphName] ?? url ?? '';
      const breaker = new SubgraphBreaker({
        service: name,
        url: target,
        timeoutMs: config.subgraphTimeoutMs,
        resetMs: config.subgraphBreakerResetMs,
        probeAfterMs: config.subgraphProbeAfterMs,
        transport,
        log: log.child({ component: 'subgraph-breaker' }),
      });
      breakers.push(breaker);
      // The subgraph learns when we give up, so it never starts what it could not finish by then.
      const send = (input: string, init: SubgraphRequestInit | undefined) =>
        timedFetch(name, () => breaker.fetch(input, withDeadline(init, config.subgraphTimeoutMs)));
      // Signs every fetch with the gateway's credential naming the caller verified at the edge.
      // Placements wait their turn before they are sent: their deadline starts when they are.
      return new SubgraphDataSource(target, credential, name === 'order' ? (input, init) => placements.send(init.body, () => send(input, init)) : send);
    },
    logger: log.child({ component: 'apollo-gateway' }),
    // Planned, and so in every cache a repeat of the text needs: those waiting for it go on.
    experimental_didResolveQueryPlan: ({ requestContext }) => {
      const key = FirstSight.keyOf({ query: requestContext.source, operationName: requestContext.request.operationName });
      if (key !== undefined) firstSight.markPrepared(key);
    },
  });
  let apiSchema: GraphQLSchema | undefined;
  gateway.onSchemaLoadOrUpdate(({ apiSchema: loaded }) => (apiSchema = loaded));

  const app = express();
  const httpServer = http.createServer(app);
  const formatError = makeFormatError(log);
  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    introspection: config.introspection,
    includeStacktraceInErrorResponses: false,
    validationRules: queryLimitRules(config.limits),
    parseOptions: { maxTokens: config.limits.maxTokens },
    hideSchemaDetailsFromClientErrors: config.hideSchemaDetails,
    formatError: (formatted, error) => formatError(unreachableSubgraph({ ...formatted, message: maskSuggestions(formatted.message) }), error),
    // Apollo's default landing page loads from a CDN; ours is served from the project's own assets.
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      ApolloServerPluginLandingPageDisabled(),
      // Nothing carries a cache hint (subgraphs send none either): no per-field cache policy work.
      ApolloServerPluginCacheControlDisabled(),
      subscriptionsOverWebSocket(),
      costLimit<GatewayContext>(config.limits),
      requestLogging<GatewayContext>((name) => name === 'BakeryLive'),
      operationMetrics<GatewayContext>(metrics),
      operationSpanNames<GatewayContext>(),
    ],
  });
  await apollo.start();

  // Subscriptions: graphql-ws on the same path and port, fed by the live notices in Redis.
  const feed = new LiveFeed(config.redisUrl, config.redisPrefix, LIVE_TOPICS, log.child({ component: 'live-feed' }));
  await feed.start();
  const subscriptions = new SubscriptionServer({
    httpServer,
    path: '/graphql',
    apollo,
    schema: () => apiSchema,
    verifier,
    limits: config.limits,
    feed,
    topics: LIVE_TOPICS,
    log: log.child({ component: 'subscriptions' }),
    keepAliveMs: config.keepAliveMs,
    maxSubscriptionsPerSocket: config.maxSubscriptionsPerSocket,
  });

  const limiterRedis = connectRedis(config.redisUrl, 'gateway-rate-limit');
  const rateLimit = redisRateLimit(limiterRedis, config.redisPrefix, config.edge, log.child({ component: 'rate-limit' }));

  observedGauge(metrics, 'gateway_placements_waiting', 'Placements waiting their turn to be sent to the order subgraph', () => placements.waiting);
  observedGauge(metrics, 'gateway_open_subscriptions', 'Subscriptions open on this gateway', () => subscriptions.openSubscriptions);

  app.disable('x-powered-by');
  app.use(metricsRouter(metrics));
  app.set('trust proxy', config.trustProxyHops);
  // Before everything at /graphql (the playground too), so a preflight is answered by the policy.
  app.use('/graphql', corsPolicy(config.edge));
  app.use(
    // Ready on its own feed alone: a subgraph that is down makes partial answers, and must not take
    // every gateway out of rotation at once. The subgraphs are reported beside it.
    healthRouter(
      { 'live feed': () => feed.check() },
      { details: () => ({ subscriptions: subscriptions.openSubscriptions }), reported: subgraphChecks(config) },
    ),
  );
  // Bull Board for staff, on its own Redis connection (the live feed's only subscribes).
  const boardRedis = connectRedis(config.redisUrl, 'gateway-queue-board');
  const board = queueBoard({ connection: boardRedis, prefix: config.redisPrefix, verifier });
  app.use(board.router);
  if (config.playground) {
    if (playgroundIsBuilt()) await preparePlayground(); // read once at start, so no request waits
    app.use(playgroundRouter({ endpoint: '/graphql', defaultHeaders: await demoHeaders(config, log) }));
  }
  app.use(
    '/graphql',
    jsonBody(),
    // After the body parser: its stream callbacks would lose the request's trace context.
    traceRequests(requestIdFrom),
    apolloHandler(
      apollo,
      async ({ req, res }) => {
        const requestId = res.locals.requestId as string;
        res.setHeader('x-request-id', requestId);
        const authorization = req.header('authorization');
        const viewer = await verify(verifier, authorization);
        await rateLimit.consume(viewer, req.ip);
        return { viewer, requestId, log: log.child({ requestId }), ...(authorization ? { authorization } : {}) };
      },
      firstSight,
    ),
  );
  app.use(notFoundJson());
  app.use(jsonErrors(log));

  // A drop opens thousands of connections in the same second: a deep accept queue keeps them
  // waiting for their turn instead of refused (Node's default is 511; the kernel caps it at somaxconn).
  await new Promise<void>((resolve) => httpServer.listen({ port: config.port, host: config.host, backlog: 8_192 }, resolve));
  const { port } = httpServer.address() as AddressInfo;
  const url = `http://${config.host}:${port}/graphql`;
  return {
    url,
    httpServer,
    subscriptions,
    async close() {
      // Placements still waiting their turn are refused (TOO_BUSY: never sent), so draining HTTP
      // waits only for those already sent. Then sockets (after their in-flight messages), the
      // feed, and HTTP.
      placements.close();
      await subscriptions.close();
      await feed.close();
      await apollo.stop();
      for (const breaker of breakers) breaker.shutdown();
      transport.close();
      limiterRedis.disconnect();
      await board.close();
      await closeRedis(boardRedis);
    },
  };
}

/** Whether each subgraph says it is alive, for the gateway's readiness report. */
function subgraphChecks(config: GatewayConfig) {
  return Object.fromEntries(
    SUBGRAPHS.map(({ name }) => [
      name,
      async () => {
        const response = await fetch(new URL('/health/live', config.subgraphUrls[name]), { signal: AbortSignal.timeout(1_500) });
        if (!response.ok) throw new Error(`answered ${response.status}`);
      },
    ]),
  );
}

/**
 * A subgraph that cannot be reached leaves its fields null with an error the client can act on:
 * SERVICE_UNAVAILABLE, not an internal error.
 */
function unreachableSubgraph(formatted: GraphQLFormattedError): GraphQLFormattedError {
  const fetchFailed = /^Error while fetching subquery|fetch failed|ECONNREFUSED|aborted due to timeout|operation was aborted/i;
  if (formatted.extensions?.code === 'INTERNAL_SERVER_ERROR' && fetchFailed.test(formatted.message)) {
    return { ...formatted, message: 'a service behind the gateway did not answer', extensions: { code: ErrorCode.ServiceUnavailable } };
  }
  return formatted;
}

/** A subscription sent over HTTP gets told where subscriptions are served, not an internal error. */
function subscriptionsOverWebSocket(): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation }) {
          if (operation?.operation === 'subscription') {
            throw new GraphQLError('subscriptions are served over graphql-ws (WebSocket) at this same URL', {
              extensions: { code: 'BAD_REQUEST', http: { status: 400 } },
            });
          }
        },
      };
    },
  };
}

/** In development the playground opens as a demo customer, so trying the API needs no setup. */
async function demoHeaders(config: GatewayConfig, log: Logger): Promise<Record<string, string> | undefined> {
  if (config.environment === 'production' || !config.auth.jwtSecret) return undefined;
  const token = await signUserToken(config.auth, {
    subject: 'demo-customer',
    roles: ['CUSTOMER'],
    expiresIn: `${Math.min(12 * 3600, config.auth.maxTokenLifetimeSeconds)}s`,
  });
  log.debug('playground opens as demo-customer');
  return { Authorization: `Bearer ${token}` };
}
