import { readFileSync } from 'node:fs';
import { parse } from 'graphql';
import type { GraphQLResolverMap } from '@apollo/subgraph';
import type { Connection } from 'mongoose';
import type { Redis } from 'ioredis';
import { DEFAULT_PORTS, portVariable, type SubgraphName } from './addresses.js';
import { createServiceTokenVerifier } from './auth.js';
import { PORT_RANGE, readCommonConfig, readConfigOrExit, type CommonConfig, type EnvReader } from './config.js';
import { Shutdown, runMain } from './lifecycle.js';
import { createLogger, type Logger } from './logger.js';
import { closeDatabase, connectDatabase, pingDatabase } from './mongo.js';
import { closeRedis, connectRedis, pingRedis } from './redis.js';
import { startSubgraphServer, type RequestContext } from './subgraph-server.js';
import { startTelemetry } from './telemetry.js';

export interface SubgraphDependencies<TSettings = undefined> {
  config: CommonConfig;
  /** The subgraph's own settings, read and validated with the common ones. */
  settings: TSettings;
  db: Connection;
  redis: Redis;
  log: Logger;
  shutdown: Shutdown;
}

export interface SubgraphParts<TContext extends RequestContext> {
  resolvers: GraphQLResolverMap<TContext>;
  context: (base: RequestContext) => TContext;
}

export interface SubgraphDefinition<TContext extends RequestContext, TSettings = undefined> {
  /** Names the database, the port (lib/addresses.ts) and the logs. */
  name: SubgraphName;
  /** The subgraph's schema file. */
  schema: URL;
  /** Reads the subgraph's own settings; problems are reported with the common ones. */
  settings?: (reader: EnvReader, common: CommonConfig) => TSettings;
  /** Builds the subgraph's stores and services on its connections. */
  build(deps: SubgraphDependencies<TSettings>): Promise<SubgraphParts<TContext>>;
}

/**
 * The entry every subgraph shares: read config once, connect to its own database and Redis, build
 * the subgraph, serve it, and shut it all down in order on SIGTERM.
 */
export function runSubgraph<TContext extends RequestContext, TSettings = undefined>(definition: SubgraphDefinition<TContext, TSettings>): void {
  const { config, port, settings } = readConfigOrExit(definition.name, (reader) => {
    const common = readCommonConfig(reader);
    return {
      config: common,
      port: reader.int(portVariable(definition.name), DEFAULT_PORTS[definition.name], PORT_RANGE),
      settings: definition.settings ? definition.settings(reader, common) : (undefined as TSettings),
    };
  });
  const log = createLogger(definition.name, config.logLevel);

  runMain(log, async () => {
    const shutdown = new Shutdown(log);
    shutdown.onSignals();
    // First in, so last out: spans of the shutdown itself are still sent.
    const telemetry = await startTelemetry(definition.name);
    shutdown.add('telemetry', () => telemetry.shutdown());
    const db = await connectDatabase(config.mongoUrl, `${config.dbPrefix}_${definition.name}`);
    shutdown.add('database', () => closeDatabase(db));
    const redis = connectRedis(config.redisUrl, definition.name);
    shutdown.add('redis', () => closeRedis(redis));

    const parts = await definition.build({ config, settings, db, redis, log, shutdown });
    const server = await startSubgraphServer<TContext>({
      name: definition.name,
      typeDefs: parse(readFileSync(definition.schema, 'utf8')),
      resolvers: parts.resolvers,
      host: config.host,
      port,
      log,
      verifier: createServiceTokenVerifier(config.auth),
      readiness: { database: () => pingDatabase(db), redis: () => pingRedis(redis) },
      database: db,
      context: parts.context,
    });
    shutdown.add('http', () => server.close());
  });
}
