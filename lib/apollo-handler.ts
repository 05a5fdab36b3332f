import { HeaderMap, type ApolloServer, type ApolloServerPlugin, type BaseContext } from '@apollo/server';
import type { Request, RequestHandler, Response } from 'express';
import { ErrorCode } from './errors.js';
import { FirstSight } from './first-sight.js';

/**
 * Serves Apollo at an Express path as `expressMiddleware` of @as-integrations/express5 did (the
 * body parsed by the JSON middleware before it; the same request, headers, status and answer),
 * minus two costs it added to every request: it read the query string with the legacy
 * `url.parse`, and it answered through `res.send`, which hashes the whole answer for an ETag that
 * no GraphQL client revalidates with (every answer is uncacheable). A few percent of each
 * service's CPU per request.
 *
 * With `firstSight`, a request whose operation text is being prepared by another waits for it
 * (lib/first-sight.ts); the server marks the text prepared (`firstSightPlugin`, or at the gateway
 * once it is planned).
 */
export function apolloHandler<TContext extends BaseContext>(
  server: ApolloServer<TContext>,
  context: (args: { req: Request; res: Response }) => Promise<TContext>,
  firstSight?: FirstSight,
): RequestHandler {
  server.assertStarted('apolloHandler()');
  return async (req, res) => {
    if (!('body' in req)) {
      // A wiring mistake, not the caller's: still answered as JSON, as every error is.
      res.status(500).json({ errors: [{ message: 'the JSON body parser must run before Apollo', extensions: { code: ErrorCode.Internal } }] });
      return;
    }
    const headers = new HeaderMap();
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
    }
    const query = req.url.indexOf('?');
    const done = firstSight ? await firstSight.enter(FirstSight.keyOf(req.body)) : undefined;
    let response: Awaited<ReturnType<typeof server.executeHTTPGraphQLRequest>>;
    try {
      response = await server.executeHTTPGraphQLRequest({
        httpGraphQLRequest: { method: req.method.toUpperCase(), headers, search: query === -1 ? '' : req.url.slice(query), body: req.body },
        context: () => context({ req, res }),
      });
    } finally {
      done?.();
    }
    for (const [key, value] of response.headers) res.setHeader(key, value);
    res.statusCode = response.status ?? 200;
    if (response.body.kind === 'complete') {
      res.setHeader('content-length', Buffer.byteLength(response.body.string));
      res.end(response.body.string);
      return;
    }
    // Incremental delivery (@defer): each part as it comes.
    for await (const chunk of response.body.asyncIterator) res.write(chunk);
    res.end();
  };
}

/** Marks each operation text prepared once Apollo has parsed and validated it (a subgraph's `firstSight`). */
export function firstSightPlugin<TContext extends BaseContext>(firstSight: FirstSight): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ source, request }) {
          const key = FirstSight.keyOf({ query: source, operationName: request.operationName });
          if (key !== undefined) firstSight.markPrepared(key);
        },
      };
    },
  };
}
