/**
 * GraphiQL playground served by the gateway, fully offline.
 *
 * The browser bundle (GraphiQL 4 + React 19 + graphql-ws client, see `client.tsx`)
 * is made once: by `npm run build` for the compiled gateway (`./assets/`), or with
 * esbuild on the first visit when the gateway runs from source (`./bundle.ts`). It is kept in memory,
 * one per process, shared by every router. Nothing is fetched from
 * a CDN: the HTML, the JS and the CSS (which embeds its fonts as data: URLs) all
 * come from this router, and a Content-Security-Policy on the page makes the
 * browser refuse anything else.
 *
 * Mount it on the app root BEFORE the Apollo middleware:
 *
 *   app.use(playgroundRouter({ endpoint: '/graphql', defaultHeaders }));
 *   app.use('/graphql', express.json(), apolloHandler(server, context));
 *
 * It answers GET/HEAD `endpoint` only for browsers asking for HTML that are not
 * GraphQL GET requests (no `query`/`extensions` in the query string); everything
 * else falls through with `next()`. Subscriptions are sent by the page over
 * graphql-ws to ws(s)://<same host><endpoint>, so the HTTP server must also have
 * a graphql-ws server (`useServer` from 'graphql-ws/use/ws') on that path.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import express from 'express';
import type { NextFunction, Request, Response, Router } from 'express';

export interface PlaygroundOptions {
  /** Path of the GraphQL endpoint, e.g. '/graphql'. The page is served there and queries go there (HTTP POST and WS). */
  endpoint: string;
  /** Prefilled in GraphiQL's headers editor, e.g. `{ Authorization: 'Bearer <demo token>' }` in development. Omit in production. */
  defaultHeaders?: Record<string, string>;
  /** Page title. */
  title?: string;
  /** Initial query of the first tab (when the browser has no saved tabs). */
  defaultQuery?: string;
  /** Where the JS/CSS are served. Default '/playground'. */
  assetsPath?: string;
}

export interface PlaygroundAsset {
  body: Buffer;
  gzip: Buffer;
  contentType: string;
}

export interface PlaygroundBundle {
  hash: string;
  js: PlaygroundAsset;
  css: PlaygroundAsset;
}

const DEFAULT_QUERY = `# Ctrl-Enter runs the operation.
# Headers tab: the Authorization header, sent with
# queries and as connectionParams of subscriptions.
query Products {
  products {
    nodes {
      sku
      name
    }
  }
}
`;

let bundlePromise: Promise<PlaygroundBundle> | undefined;

/** Where `npm run build` writes the bundle, beside the compiled module. */
const BUILT_ASSETS = { js: new URL('./assets/playground.js', import.meta.url), css: new URL('./assets/playground.css', import.meta.url) };

function asset(body: Uint8Array, contentType: string): PlaygroundAsset {
  const buffer = Buffer.from(body);
  return { body: buffer, gzip: gzipSync(buffer), contentType };
}

/** The bundle made by `npm run build` when there is one; from source, bundled here with esbuild. */
async function loadBundle(): Promise<PlaygroundBundle> {
  const files = existsSync(BUILT_ASSETS.js)
    ? { js: await readFile(BUILT_ASSETS.js), css: await readFile(BUILT_ASSETS.css) }
    : await (await import('./bundle.js')).bundlePlayground();
  const hash = createHash('sha256').update(files.js).update(files.css).digest('hex').slice(0, 16);
  return {
    hash,
    js: asset(files.js, 'text/javascript; charset=utf-8'),
    css: asset(files.css, 'text/css; charset=utf-8'),
  };
}

/** Whether `npm run build` made the bundle (a compiled gateway) or it is to be made here (source). */
export const playgroundIsBuilt = (): boolean => existsSync(BUILT_ASSETS.js);

/**
 * Loads the browser bundle (once per process) and returns it. A built gateway calls it at start;
 * from source it runs on the first visit, so the many short-lived test gateways never bundle.
 */
export function preparePlayground(): Promise<PlaygroundBundle> {
  if (!bundlePromise) {
    bundlePromise = loadBundle().catch((error: unknown) => {
      bundlePromise = undefined; // let a later request retry
      throw error;
    });
  }
  return bundlePromise;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/** JSON that is safe inside a <script> element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  // React/Radix/framer-motion set inline style attributes.
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  // 'self' covers ws:/wss: to the same host in CSP level 3 browsers.
  "connect-src 'self'",
  "worker-src 'self' blob:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'self'",
].join('; ');

function isGraphQLGetRequest(req: Request): boolean {
  const query = req.query as Record<string, unknown>;
  return query['query'] !== undefined || query['extensions'] !== undefined;
}

function wantsHtml(req: Request): boolean {
  // Best match among what the endpoint can answer: a browser's Accept prefers
  // text/html, curl's */* and GraphQL clients' application/json do not.
  return req.accepts(['application/graphql-response+json', 'application/json', 'text/html']) === 'text/html';
}

function sendAsset(req: Request, res: Response, bundle: PlaygroundBundle, item: PlaygroundAsset): void {
  res.setHeader('Content-Type', item.contentType);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Vary', 'Accept-Encoding');
  res.setHeader('Cache-Control', req.query['v'] === bundle.hash ? 'public, max-age=31536000, immutable' : 'no-cache');
  res.setHeader('ETag', `"${bundle.hash}"`);
  if (req.fresh) {
    res.status(304).end();
    return;
  }
  if (req.acceptsEncodings('gzip', 'identity') === 'gzip') {
    res.setHeader('Content-Encoding', 'gzip');
    res.end(req.method === 'HEAD' ? undefined : item.gzip);
  } else {
    res.end(req.method === 'HEAD' ? undefined : item.body);
  }
}

function renderHtml(opts: PlaygroundOptions, assetsPath: string, bundle: PlaygroundBundle): string {
  const title = opts.title ?? 'GraphQL playground';
  const config = {
    endpoint: opts.endpoint,
    title,
    defaultQuery: opts.defaultQuery ?? DEFAULT_QUERY,
    ...(opts.defaultHeaders ? { defaultHeaders: opts.defaultHeaders } : {}),
  };
  const v = encodeURIComponent(bundle.hash);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${escapeHtml(title)}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${escapeHtml(`${assetsPath}/playground.css?v=${v}`)}">
</head>
<body>
<div id="graphiql"><p class="playground-loading">Loading ${escapeHtml(title)}…</p></div>
<script id="playground-config" type="application/json">${scriptJson(config)}</script>
<script src="${escapeHtml(`${assetsPath}/playground.js?v=${v}`)}" defer></script>
</body>
</html>
`;
}

export function playgroundRouter(opts: PlaygroundOptions): Router {
  if (!opts.endpoint.startsWith('/')) {
    throw new Error(`playground: endpoint must be a path starting with '/', got ${JSON.stringify(opts.endpoint)}`);
  }
  const assetsPath = (opts.assetsPath ?? '/playground').replace(/\/+$/, '');
  const router = express.Router();

  const fail = (res: Response, error: unknown): void => {
    const message = error instanceof Error ? error.message : String(error);
    res.status(500).type('text/plain').send(`GraphQL playground unavailable: ${message}\n`);
  };

  router.get(opts.endpoint, (req: Request, res: Response, next: NextFunction) => {
    if (!wantsHtml(req) || isGraphQLGetRequest(req)) {
      next();
      return;
    }
    preparePlayground().then(
      (bundle) => {
        res.setHeader('Content-Type', 'text/html; charset=utf-8');
        // The page may carry a (demo) token: never cache it.
        res.setHeader('Cache-Control', 'no-store');
        res.setHeader('Vary', 'Accept');
        res.setHeader('Content-Security-Policy', CSP);
        res.setHeader('X-Content-Type-Options', 'nosniff');
        res.setHeader('Referrer-Policy', 'no-referrer');
        res.end(req.method === 'HEAD' ? undefined : renderHtml(opts, assetsPath, bundle));
      },
      (error: unknown) => fail(res, error),
    );
  });

  router.get(`${assetsPath}/playground.js`, (req: Request, res: Response) => {
    preparePlayground().then(
      (bundle) => sendAsset(req, res, bundle, bundle.js),
      (error: unknown) => fail(res, error),
    );
  });
  router.get(`${assetsPath}/playground.css`, (req: Request, res: Response) => {
    preparePlayground().then(
      (bundle) => sendAsset(req, res, bundle, bundle.css),
      (error: unknown) => fail(res, error),
    );
  });

  return router;
}
