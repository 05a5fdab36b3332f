/**
 * Browser entry of the GraphQL playground (bundled by esbuild in ./index.ts,
 * type-checked with ./tsconfig.client.json; excluded from the Node tsconfig).
 *
 * Queries and mutations: POST <endpoint> with the headers editor's headers.
 * Subscriptions: graphql-ws to ws(s)://<same host><endpoint>, with
 * connectionParams { authorization } taken from the headers editor's
 * Authorization header (any case).
 */
import { GraphiQL } from 'graphiql';
import type { GraphiQLProps } from 'graphiql';
import { Kind, OperationTypeNode, getOperationAST, parse } from 'graphql';
import type { DocumentNode, OperationDefinitionNode } from 'graphql';
import { createClient } from 'graphql-ws';
import type { Client, ExecutionResult } from 'graphql-ws';
import { createRoot } from 'react-dom/client';
import 'graphiql/style.css';
import './client.css';

interface PlaygroundConfig {
  endpoint: string;
  title?: string;
  defaultQuery?: string;
  defaultHeaders?: Record<string, string>;
}

type Fetcher = GraphiQLProps['fetcher'];
type FetcherParams = Parameters<Fetcher>[0];
interface Observer {
  next: (value: ExecutionResult) => void;
  error: (error: unknown) => void;
  complete: () => void;
}

function readConfig(): PlaygroundConfig {
  const element = document.getElementById('playground-config');
  const parsed: unknown = JSON.parse(element?.textContent ?? '{}');
  const config = (parsed ?? {}) as Partial<PlaygroundConfig>;
  return { ...config, endpoint: config.endpoint ?? '/graphql' };
}

function headerValue(headers: Record<string, unknown> | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
  const value = key === undefined ? undefined : headers[key];
  return value === undefined || value === null ? undefined : String(value);
}

function stringHeaders(headers: Record<string, unknown> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(headers ?? {})) {
    if (value !== undefined && value !== null) out[key] = String(value);
  }
  return out;
}

/**
 * Parses the operation text afresh: GraphiQL can hand over an operationName (and
 * documentAST) from before the latest edit when Run is pressed right after
 * typing. A name that is not in the document is replaced by the name (or none) of
 * its only operation, so the server is not asked for an operation that no longer exists.
 */
function prepare(params: FetcherParams): { params: FetcherParams; kind: OperationTypeNode | undefined } {
  let doc: DocumentNode;
  try {
    doc = parse(params.query);
  } catch {
    return { params, kind: undefined }; // let the server report the syntax error
  }
  const operations = doc.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  let operationName = params.operationName ?? undefined;
  if (operationName && operations.length === 1 && !operations.some((op) => op.name?.value === operationName)) {
    operationName = operations[0]?.name?.value;
  }
  const kind = getOperationAST(doc, operationName)?.operation;
  return {
    params: {
      query: params.query,
      ...(params.variables !== undefined && params.variables !== null ? { variables: params.variables } : {}),
      ...(operationName ? { operationName } : {}),
    },
    kind,
  };
}

function describeError(error: unknown): Error {
  if (error instanceof Error) return error;
  if (error && typeof error === 'object' && 'code' in error) {
    // CloseEvent from the WebSocket
    const { code, reason } = error as { code: number; reason?: string };
    return new Error(`WebSocket closed (${code}${reason ? `: ${reason}` : ''})`);
  }
  if (error && typeof error === 'object' && 'type' in error) {
    return new Error(`WebSocket error (${String((error as { type: unknown }).type)})`);
  }
  return new Error(String(error));
}

function createFetcher(endpoint: string): Fetcher {
  const httpUrl = new URL(endpoint, window.location.href);
  const wsUrl = new URL(httpUrl.href);
  wsUrl.protocol = httpUrl.protocol === 'https:' ? 'wss:' : 'ws:';
  wsUrl.hash = '';

  // One graphql-ws client per Authorization value: editing the header opens a new
  // connection with the new connectionParams on the next subscription.
  let ws: { authorization: string | undefined; client: Client } | undefined;
  const wsClient = (authorization: string | undefined): Client => {
    if (ws && ws.authorization === authorization) return ws.client;
    void ws?.client.dispose();
    const client = createClient({
      url: wsUrl.href,
      lazy: true,
      retryAttempts: 2,
      connectionParams: authorization ? { authorization } : {},
    });
    ws = { authorization, client };
    return client;
  };

  const subscribe = (params: FetcherParams, authorization: string | undefined) => ({
    subscribe(observerOrNext?: Partial<Observer> | ((value: ExecutionResult) => void), error?: ((e: unknown) => void) | null, complete?: () => void) {
      const observer: Partial<Observer> =
        typeof observerOrNext === 'function'
          ? { next: observerOrNext, ...(error ? { error } : {}), ...(complete ? { complete } : {}) }
          : (observerOrNext ?? {});
      const unsubscribe = wsClient(authorization).subscribe(
        {
          query: params.query,
          ...(params.operationName ? { operationName: params.operationName } : {}),
          ...(params.variables ? { variables: params.variables as Record<string, unknown> } : {}),
        },
        {
          next: (value) => observer.next?.(value as ExecutionResult),
          error: (err) => {
            if (Array.isArray(err)) {
              // graphql-ws "error" message: GraphQL errors of the operation itself
              observer.next?.({ errors: err } as ExecutionResult);
              observer.complete?.();
            } else {
              observer.error?.(describeError(err));
            }
          },
          complete: () => observer.complete?.(),
        },
      );
      return { unsubscribe };
    },
  });

  const fetcher: Fetcher = async (rawParams, opts) => {
    const headers = opts?.headers as Record<string, unknown> | undefined;
    const { params, kind } = prepare(rawParams);
    if (kind === OperationTypeNode.SUBSCRIPTION) {
      return subscribe(params, headerValue(headers, 'authorization'));
    }
    const response = await fetch(httpUrl.href, {
      method: 'POST',
      headers: {
        accept: 'application/graphql-response+json, application/json',
        ...stringHeaders(headers),
        'content-type': 'application/json',
      },
      body: JSON.stringify(params),
    });
    const text = await response.text();
    try {
      return JSON.parse(text) as ExecutionResult;
    } catch {
      throw new Error(`${response.status} ${response.statusText}: ${text.slice(0, 1000)}`);
    }
  };
  return fetcher;
}

const config = readConfig();
const root = document.getElementById('graphiql');
if (!root) throw new Error('playground: #graphiql element missing');

createRoot(root).render(
  <GraphiQL
    fetcher={createFetcher(config.endpoint)}
    defaultQuery={config.defaultQuery}
    // Never written to localStorage: the default headers (demo token in
    // development) come back on every load instead of a stale copy.
    shouldPersistHeaders={false}
    {...(config.defaultHeaders ? { defaultHeaders: JSON.stringify(config.defaultHeaders, null, 2), defaultEditorToolsVisibility: 'headers' as const } : {})}
  />,
);
