import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/index.js';
import express from 'express';
import type { DocumentNode } from 'graphql';
import type { TokenVerifier, Viewer } from './auth.js';
import { isAppError, makeFormatError, toGraphQLError } from './errors.js';
import { healthRouter, type ReadinessCheck } from './health.js';
import { requestLogging } from './request-logging.js';
import type { Logger } from './logger.js';

/** What every resolver of every subgraph receives; subgraphs add their own services to it. */
export interface RequestContext {
  viewer: Viewer | null;
  requestId: string;
  log: Logger;
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
  /** Adds the subgraph's own services to the request context. */
  context: (base: RequestContext) => TContext;
}

export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

/** One shape for all four subgraphs: express, health endpoints, Apollo at `/graphql`. */
export async function startSubgraphServer<TContext extends RequestContext>(
  options: SubgraphServerOptions<TContext>,
): Promise<RunningServer> {
  const app = express();
  const httpServer = http.createServer(app);
  const apollo = new ApolloServer<TContext>({
    // Apollo types resolver maps with an unknown context; the context function below builds TContext.
    schema: buildSubgraphSchema({ typeDefs: options.typeDefs, resolvers: options.resolvers as GraphQLResolverMap<unknown> }),
    formatError: makeFormatError(options.log),
    includeStacktraceInErrorResponses: false,
    plugins: [ApolloServerPluginDrainHttpServer({ httpServer }), ApolloServerPluginLandingPageDisabled(), requestLogging<TContext>()],
  });
  await apollo.start();

  app.disable('x-powered-by');
  app.use(healthRouter(options.readiness));
  app.use(
    '/graphql',
    express.json({ limit: '1mb' }),
    expressMiddleware(apollo, {
      context: async ({ req }) => {
        const requestId = req.header('x-request-id') ?? randomUUID();
        const log = options.log.child({ requestId });
        const viewer = await verify(options.verifier, req.header('authorization'));
        return options.context({ viewer, requestId, log });
      },
    }),
  );

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
