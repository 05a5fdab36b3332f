/**
 * The whole system for end-to-end tests: every service as a real process on free ports, on the
 * FerretDB and Redis that `npm test` provides (MONGODB_URL, REDIS_URL), with database names and
 * Redis prefixes of the stack's own, dropped afterwards.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import mongoose from 'mongoose';
import { serviceTokenSource, signCallerToken, signUserToken, type Role, type Viewer } from '../../lib/auth.js';
import { EnvReader, readCommonConfig } from '../../lib/config.js';
import { freePort, ROOT, Services, START_ORDER, type ServiceName } from '../../scripts/services.js';

export interface GraphQLResponse<TData = Record<string, unknown>> {
  data?: TData | null;
  errors?: Array<{ message: string; path?: Array<string | number>; extensions?: Record<string, unknown> }>;
}

export interface Stack {
  gatewayUrl: string;
  services: Services;
  /** The stack's own database names are `${dbPrefix}_stock` and so on. */
  dbPrefix: string;
  redisPrefix: string;
  /** Where each process's output goes: `${logDir}/<service>.log`. */
  logDir: string;
  staffToken: string;
  customerToken(sub: string): Promise<string>;
  serviceToken(): Promise<string>;
  /**
   * What the gateway sends a subgraph for this caller (`null`: anonymous). Subgraphs take nothing
   * else, so tests that call one directly present themselves as the gateway. Short-lived: mint one
   * per request.
   */
  callerToken(caller: Viewer | null): Promise<string>;
  /** A GraphQL request through the gateway (or another URL), as a client sends it. */
  graphql<TData = Record<string, unknown>>(
    query: string,
    options?: { variables?: Record<string, unknown>; token?: string; url?: string },
  ): Promise<GraphQLResponse<TData>>;
  stop(): Promise<void>;
}

export interface StackOptions {
  services?: ServiceName[];
  env?: Record<string, string>;
  /** Run the processes from a folder made by `npm run build` instead of from source. */
  buildDir?: string;
  /** Restart a process that exits on its own, as `npm start` does. */
  restartCrashed?: boolean;
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const runId = randomUUID().slice(0, 8);
  const dbPrefix = `t${runId}`;
  const redisPrefix = `test:${runId}`;
  const mongoUrl = requiredEnv('MONGODB_URL');
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'test',
    LOG_LEVEL: 'info',
    MONGODB_URL: mongoUrl,
    REDIS_URL: requiredEnv('REDIS_URL'),
    DB_PREFIX: dbPrefix,
    REDIS_PREFIX: redisPrefix,
    SEED_DEMO_DATA: 'true',
    // Tests poll and burst from one address; the limit has a test of its own.
    RATE_LIMIT_POINTS: '1000000',
    ...options.env,
  };
  const ports = Object.fromEntries(await Promise.all(START_ORDER.map(async (name) => [name, await freePort()]))) as Record<ServiceName, number>;
  const logDir = `${ROOT}.data/test-logs/${dbPrefix}`;
  const services = new Services({
    env,
    ports,
    output: { kind: 'files', dir: logDir },
    ...(options.buildDir ? { buildDir: options.buildDir } : {}),
    ...(options.restartCrashed ? { restartCrashed: true } : {}),
  });

  const reader = new EnvReader(env);
  const auth = readCommonConfig(reader).auth;
  reader.done();
  const token = (sub: string, roles: Role[]) => signUserToken(auth, { subject: sub, roles, expiresIn: '1h' });
  const serviceToken = serviceTokenSource(auth, 'tests');

  try {
    await services.start(options.services ?? START_ORDER);
  } catch (error) {
    await services.stopAll();
    throw error;
  }
  const gatewayUrl = services.url('gateway');

  return {
    gatewayUrl,
    services,
    dbPrefix,
    redisPrefix,
    logDir,
    staffToken: await token('staff-1', ['STAFF']),
    customerToken: (sub) => token(sub, ['CUSTOMER']),
    serviceToken,
    callerToken: (caller) => signCallerToken(auth, caller),
    async graphql<TData>(query: string, { variables, token: bearer, url }: { variables?: Record<string, unknown>; token?: string; url?: string } = {}) {
      const response = await fetch(url ?? gatewayUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
        body: JSON.stringify({ query, variables }),
      });
      return (await response.json()) as GraphQLResponse<TData>;
    },
    async stop() {
      await services.stopAll();
      await dropDatabases(mongoUrl, dbPrefix);
      await dropRedisKeys(env.REDIS_URL ?? requiredEnv('REDIS_URL'), redisPrefix);
    },
  };
}

async function dropDatabases(url: string, prefix: string): Promise<void> {
  const connection = await mongoose.createConnection(url, { serverSelectionTimeoutMS: 5_000 }).asPromise();
  try {
    for (const name of ['stock', 'order', 'payment', 'delivery']) {
      await connection.useDb(`${prefix}_${name}`).dropDatabase();
    }
  } finally {
    await connection.close();
  }
}

async function dropRedisKeys(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the tests with \`npm test\`, which starts FerretDB and Redis`);
  return value;
}
