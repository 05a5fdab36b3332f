import type { ApolloServerPlugin } from '@apollo/server';
import type { Logger } from './logger.js';

/**
 * One log line per GraphQL request, on the request's own logger (so it carries the request id the
 * gateway gave it and forwarded to every subgraph): which operation, how long, how many errors.
 * `quiet` operations log at debug: the gateway's own per-subscriber queries for live messages.
 */
export function requestLogging<TContext extends { log: Logger }>(
  quiet: (operationName: string | null | undefined) => boolean = () => false,
): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart({ contextValue }) {
      const started = performance.now();
      return {
        async willSendResponse({ operationName, errors }) {
          const level = quiet(operationName) ? 'debug' : 'info';
          contextValue.log[level]({ operationName, ms: Math.round(performance.now() - started), errors: errors?.length ?? 0 }, 'graphql request');
        },
      };
    },
  };
}
