import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph';
import express from 'express';
import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, Kind, type DocumentNode, type FragmentDefinitionNode, type GraphQLFormattedError, type SelectionSetNode } from 'graphql';
import type { Connection } from 'mongoose';
import type { TokenVerifier, Viewer } from './auth.js';
import { ErrorCode, isAppError } from './errors.js';
import { makeFormatError, toGraphQLError } from './graphql-errors.js';
import { healthRouter, type ReadinessCheck } from './health.js';
import { DEADLINE_HEADER, deadlineFrom } from './deadline.js';
import { isStoreUnreachable } from './mongo.js';
import { apolloHandler, firstSightPlugin } from './apollo-handler.js';
import { FirstSight } from './first-sight.js';
import { jsonBody, jsonErrors, notFoundJson, requestIdFrom } from './http-guards.js';
import { requestLogging } from './request-logging.js';
import type { Logger } from './logger.js';
import { operationSpanNames, traceRequests } from './telemetry.js';
import { countResolverErrors, createMetrics, metricsRouter, operationMetrics, storeCommandMetrics } from './metrics.js';

/** What every resolver of every subgraph receives; subgraphs add their own services to it. */
export interface RequestContext {
  viewer: Viewer | null;
  requestId: string;
  log: Logger;
  /** When the caller gives up on this request (epoch ms; see lib/deadline.ts), if it said. */
  deadline: number | null;
}

export interface SubgraphServerOptions<TContext extends RequestContext> {
  name: string;
  typeDefs: DocumentNode;
  resolvers: GraphQLResolverMap<TContext>;
  host: string;
  port: number;
  log: Logger;
  verifier: TokenVerifier;
  readiness: Record<string, ReadinessCheck>;
  /** The subgraph's database connection, whose commands its metrics count. */
  database?: Connection;
  /** Adds the subgraph's own services to the request context. */
  context: (base: RequestContext) => TContext;
}

export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

/**
 * The most entity representations one request may ask a subgraph to resolve. The gateway's cost
 * limit keeps every query it lets through well below this (a page is at most 100 orders); a
 * caller asking for more is refused before any is looked up.
 */
export const MAX_ENTITY_REPRESENTATIONS = 500;

/** One shape for all four subgraphs: express, health endpoints, Apollo at `/graphql`. */
export async function startSubgraphServer<TContext extends RequestContext>(options: SubgraphServerOptions<TContext>): Promise<RunningServer> {
  const app = express();
  const httpServer = http.createServer(app);
  const metrics = createMetrics(options.name);
  if (options.database) storeCommandMetrics(metrics, options.database);
  // The gateway's operation texts arrive hundreds at a time in a rush: each is prepared once.
  const firstSight = new FirstSight();
  const apollo = new ApolloServer<TContext>({
    // Apollo types resolver maps with an unknown context; the context function below builds TContext.
    schema: buildSubgraphSchema([{ typeDefs: options.typeDefs, resolvers: options.resolvers as GraphQLResolverMap<unknown> }]),
    formatError: countResolverErrors(metrics, storeOutage(makeFormatError(options.log))),
    includeStacktraceInErrorResponses: false,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      ApolloServerPluginLandingPageDisabled(),
      // No type or field carries a cache hint, so every answer is uncacheable; Apollo's cache
      // control plugin would still wrap every resolver to compute that, field by field.
      ApolloServerPluginCacheControlDisabled(),
      requestLogging<TContext>(),
      operationMetrics<TContext>(metrics),
      operationSpanNames<TContext>(),
      representationCap<TContext>(MAX_ENTITY_REPRESENTATIONS),
      firstSightPlugin<TContext>(firstSight),
    ],
  });
  await apollo.start();

  app.disable('x-powered-by');
  app.use(healthRouter(options.readiness));
  app.use(metricsRouter(metrics));
  app.use(
    '/graphql',
    jsonBody(),
    // After the body parser: its stream callbacks would lose the request's trace context.
    traceRequests(requestIdFrom),
    apolloHandler(
      apollo,
      async ({ req, res }) => {
        const requestId = res.locals.requestId as string;
        const log = options.log.child({ requestId });
        // Only the gateway and other services get in: no token, or a user's token, is refused.
        const viewer = await verify(options.verifier, req.header('authorization'));
        return options.context({ viewer, requestId, log, deadline: deadlineFrom(req.header(DEADLINE_HEADER)) });
      },
      firstSight,
    ),
  );
  app.use(notFoundJson());
  app.use(jsonErrors(options.log));

  await new Promise<void>((resolve) => httpServer.listen(options.port, options.host, resolve));
  const { port } = httpServer.address() as AddressInfo;
  const url = `http://${options.host}:${port}/graphql`;
  options.log.info({ url }, `${options.name} subgraph ready`);
  return {
    url,
    close: () => apollo.stop(),
  };
}

/** A bad token is refused with 401 before any resolver runs. */
export async function verify(verifier: TokenVerifier, header: string | undefined): Promise<Viewer | null> {
  try {
    return await verifier.viewerFromAuthorization(header);
  } catch (error) {
    throw isAppError(error) ? toGraphQLError(error, 401) : error;
  }
}

/**
 * Refuses an `_entities` request carrying more than `max` representations, before any is
 * resolved: one request must not be able to walk a whole collection.
 */
function representationCap<TContext extends RequestContext>(max: number): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, document, request }) {
          const fragments = new Map<string, FragmentDefinitionNode>();
          for (const definition of document.definitions) {
            if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
          }
          if (!operation) return;
          const count = countRepresentations(operation.selectionSet, fragments, request.variables ?? {}, new Set());
          if (count > max) {
            throw new GraphQLError(`at most ${max} representations may be resolved in one request, got ${count}`, {
              extensions: { code: ErrorCode.BadUserInput, field: 'representations', http: { status: 400 } },
            });
          }
        },
      };
    },
  };
}

/** Root `_entities` fields, through fragments and aliases, and the representations each asks for. */
function countRepresentations(
  selectionSet: SelectionSetNode,
  fragments: Map<string, FragmentDefinitionNode>,
  variables: Record<string, unknown>,
  seen: Set<string>,
): number {
  let count = 0;
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.INLINE_FRAGMENT) {
      count += countRepresentations(selection.selectionSet, fragments, variables, seen);
      continue;
    }
    if (selection.kind === Kind.FRAGMENT_SPREAD) {
      const fragment = fragments.get(selection.name.value);
      if (fragment && !seen.has(fragment.name.value)) {
        count += countRepresentations(fragment.selectionSet, fragments, variables, new Set([...seen, fragment.name.value]));
      }
      continue;
    }
    if (selection.name.value !== '_entities') continue;
    const value = selection.arguments?.find((arg) => arg.name.value === 'representations')?.value;
    if (value?.kind === Kind.LIST) count += value.values.length;
    else if (value?.kind === Kind.VARIABLE) {
      const given = variables[value.name.value];
      count += Array.isArray(given) ? given.length : 1;
    } else count += 1;
  }
  return count;
}

/**
 * While the store is down or restarting, a request fails with the driver's connection error: it is
 * answered SERVICE_UNAVAILABLE (retry later), not INTERNAL_SERVER_ERROR, and it is not logged as a
 * bug. The driver gives up after its server selection timeout (5 s), inside the gateway's.
 */
function storeOutage(format: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    if (!isStoreUnreachable(unwrapResolverError(error))) return format(formatted, error);
    return {
      message: 'the store is unavailable; send the request again shortly',
      ...(formatted.path ? { path: formatted.path } : {}),
      extensions: { code: ErrorCode.ServiceUnavailable },
    };
  };
}
