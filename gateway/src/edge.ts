/**
 * The gateway's policy toward browsers and busy clients: a CORS policy and a rate limit per client,
 * both configured from the environment. The limit's counters live in Redis, so every gateway
 * replica counts against the same budget.
 */
import cors from 'cors';
import type { RequestHandler } from 'express';
import { GraphQLError } from 'graphql';
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { Viewer } from '../../lib/auth.js';
import { ErrorCode } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';

export interface EdgePolicy {
  /** Origins a browser may call from; `*` for any; empty for none (same origin only). */
  corsOrigins: string[];
  /** Requests one client may send per window. */
  rateLimitPoints: number;
  rateLimitWindowSeconds: number;
}

/** CORS for the GraphQL endpoint. Bearer tokens, not cookies, so credentials are never allowed. */
export function corsPolicy(policy: EdgePolicy): RequestHandler {
  const anyOrigin = policy.corsOrigins.includes('*');
  return cors({
    origin: anyOrigin ? '*' : policy.corsOrigins.length > 0 ? policy.corsOrigins : false,
    methods: ['GET', 'POST', 'OPTIONS'],
    allowedHeaders: ['content-type', 'authorization', 'x-request-id', 'apollo-require-preflight'],
    exposedHeaders: ['x-request-id', 'retry-after'],
    maxAge: 600,
  });
}

export interface RateLimit {
  /** Takes one request from the client's budget; throws RATE_LIMITED (429) when it is spent. */
  consume(viewer: Viewer | null, ip: string | undefined): Promise<void>;
}

/**
 * A signed-in client is counted by who it is, an anonymous one by its address. When Redis cannot
 * answer, each replica counts in memory for the while (rate-limiter-flexible's insurance limiter),
 * so an outage of Redis neither stops the shop nor lifts the limit.
 */
export function redisRateLimit(redis: Redis, prefix: string, policy: EdgePolicy, log: Logger): RateLimit {
  const limiter = new RateLimiterRedis({
    storeClient: redis,
    keyPrefix: `${prefix}:rate-limit`,
    points: policy.rateLimitPoints,
    duration: policy.rateLimitWindowSeconds,
    insuranceLimiter: new RateLimiterMemory({ points: policy.rateLimitPoints, duration: policy.rateLimitWindowSeconds }),
  });
  return {
    async consume(viewer, ip) {
      const key = viewer ? `user:${viewer.id}` : `ip:${ip ?? 'unknown'}`;
      try {
        await limiter.consume(key);
      } catch (rejection) {
        if (!(rejection instanceof RateLimiterRes)) {
          log.warn({ err: rejection }, 'rate limit could not be checked; request let through');
          return;
        }
        const retryAfterSeconds = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
        throw new GraphQLError(
          `too many requests: at most ${policy.rateLimitPoints} every ${policy.rateLimitWindowSeconds} s; try again in ${retryAfterSeconds} s`,
          {
            extensions: {
              code: ErrorCode.RateLimited,
              retryAfterSeconds,
              http: { status: 429, headers: new Map([['retry-after', String(retryAfterSeconds)]]) },
            },
          },
        );
      }
    },
  };
}
