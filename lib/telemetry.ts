/**
 * Traces with OpenTelemetry, configured only by the standard OTEL_* variables and off unless an
 * OTLP endpoint is set (OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT).
 * Spans go out as OTLP over HTTP: protobuf by default, JSON with OTEL_EXPORTER_OTLP_PROTOCOL (or
 * ..._TRACES_PROTOCOL) = http/json. OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES override the
 * process's own service name; OTEL_TRACES_SAMPLER and OTEL_BSP_* are read by the SDK.
 *
 * One trace follows an operation everywhere it goes: W3C trace context in the HTTP headers from
 * the gateway to each subgraph and between subgraphs, and in the outbox event (so in the BullMQ
 * job) to the workers that handle what the operation caused. The request id travels with it.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes } from '@opentelemetry/api';
import type { ApolloServerPlugin } from '@apollo/server';
import type { RequestHandler } from 'express';
import { Kind, type OperationDefinitionNode } from 'graphql';

const tracer = trace.getTracer('bakery-supergraph');

export interface Telemetry {
  readonly enabled: boolean;
  /** Sends what is still buffered and stops; safe to call twice. */
  shutdown(): Promise<void>;
}

const OFF: Telemetry = { enabled: false, shutdown: async () => {} };

/**
 * Starts tracing for this process when the environment asks for it. The SDK is loaded only then,
 * so a process without OTEL_* settings carries none of it.
 */
export async function startTelemetry(service: string, env: NodeJS.ProcessEnv = process.env): Promise<Telemetry> {
  const endpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT;
  const exporterName = env.OTEL_TRACES_EXPORTER ?? 'otlp';
  if (!endpoint || env.OTEL_SDK_DISABLED === 'true' || exporterName === 'none') return OFF;
  if (exporterName !== 'otlp') throw new Error(`OTEL_TRACES_EXPORTER must be otlp or none, got ${JSON.stringify(exporterName)}`);
  const protocol = env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL || env.OTEL_EXPORTER_OTLP_PROTOCOL || 'http/protobuf';
  if (protocol !== 'http/protobuf' && protocol !== 'http/json') {
    throw new Error(`OTEL_EXPORTER_OTLP_PROTOCOL must be http/protobuf or http/json (OTLP over HTTP), got ${JSON.stringify(protocol)}`);
  }

  const [{ NodeTracerProvider, BatchSpanProcessor }, { detectResources, envDetector, resourceFromAttributes }] = await Promise.all([
    import('@opentelemetry/sdk-trace-node'),
    import('@opentelemetry/resources'),
  ]);
  // Both exporters read the endpoint, headers and timeout from the OTEL_EXPORTER_OTLP_* variables.
  const exporter =
    protocol === 'http/json'
      ? new (await import('@opentelemetry/exporter-trace-otlp-http')).OTLPTraceExporter()
      : new (await import('@opentelemetry/exporter-trace-otlp-proto')).OTLPTraceExporter();
  // The environment's service name and attributes win over the process's own.
  const resource = resourceFromAttributes({ 'service.name': service }).merge(detectResources({ detectors: [envDetector] }));
  const provider = new NodeTracerProvider({ resource, spanProcessors: [new BatchSpanProcessor(exporter)] });
  // Global tracer provider, AsyncLocalStorage context, W3C trace context and baggage propagation.
  provider.register();
  let stopping: Promise<void> | undefined;
  return {
    enabled: true,
    shutdown: () => (stopping ??= provider.shutdown()),
  };
}

/** What carries a trace across a queue: W3C trace context and the gateway's request id. */
export interface TraceCarrier {
  traceparent?: string;
  tracestate?: string;
  requestId?: string;
}

const requestIds = new AsyncLocalStorage<string>();

/** The request id of the work in hand: the HTTP request, or the job that an event of it caused. */
export const currentRequestId = (): string | undefined => requestIds.getStore();

/**
 * Serves each request in a server span that continues the caller's trace (its `traceparent`), with
 * the request id as an attribute; everything the request does runs inside it. `requestIdOf` picks
 * or makes the request id; it is kept in `res.locals.requestId`.
 */
export function traceRequests(requestIdOf: (header: string | undefined) => string): RequestHandler {
  return (req, res, next) => {
    const requestId = requestIdOf(req.header('x-request-id'));
    res.locals.requestId = requestId;
    const parent = propagation.extract(ROOT_CONTEXT, req.headers);
    const route = `${req.method} ${req.baseUrl || req.path}`;
    const span = tracer.startSpan(
      route,
      { kind: SpanKind.SERVER, attributes: { 'http.request.method': req.method, 'http.route': req.baseUrl || req.path, 'request.id': requestId } },
      parent,
    );
    res.once('close', () => {
      span.setAttribute('http.response.status_code', res.statusCode);
      if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    });
    requestIds.run(requestId, () => context.with(trace.setSpan(parent, span), next));
  };
}

/**
 * Names the current server span after the GraphQL operation it serves: `mutation PlaceOrder`, or
 * for an anonymous operation its first root field (`mutation reserveStock`).
 */
function nameOperationSpan(operation: OperationDefinitionNode | null | undefined, operationName: string | null | undefined): void {
  const span = trace.getActiveSpan();
  if (!span || !operation) return;
  const operationType = operation.operation;
  span.updateName(`${operationType} ${operationName ?? rootField(operation)}`);
  span.setAttributes({ 'graphql.operation.type': operationType, ...(operationName ? { 'graphql.operation.name': operationName } : {}) });
}

/** Adds the current trace context to outgoing HTTP headers. */
export function injectTraceHeaders(set: (name: string, value: string) => void): void {
  propagation.inject(context.active(), undefined, { set: (_carrier, name, value) => set(name, value) });
}

/** The trace context and request id of the work in hand, to store in an event; none outside any. */
export function captureTrace(): TraceCarrier | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  const requestId = currentRequestId();
  const captured: TraceCarrier = {
    ...(carrier.traceparent ? { traceparent: carrier.traceparent } : {}),
    ...(carrier.tracestate ? { tracestate: carrier.tracestate } : {}),
    ...(requestId ? { requestId } : {}),
  };
  return Object.keys(captured).length > 0 ? captured : undefined;
}

/**
 * Runs `work` in a span of its own, a child of `carrier`'s trace when there is one (a job caused
 * by a traced request), with the carrier's request id as the current one.
 */
export function inSpan<T>(
  name: string,
  kind: 'client' | 'consumer',
  carrier: TraceCarrier | undefined,
  attributes: Attributes,
  work: () => Promise<T>,
): Promise<T> {
  const parent = carrier ? propagation.extract(context.active(), carrier) : context.active();
  const span = tracer.startSpan(
    name,
    {
      kind: kind === 'client' ? SpanKind.CLIENT : SpanKind.CONSUMER,
      attributes: { ...attributes, ...(carrier?.requestId ? { 'request.id': carrier.requestId } : {}) },
    },
    parent,
  );
  const run = () =>
    context.with(trace.setSpan(parent, span), async () => {
      try {
        return await work();
      } catch (error) {
        span.recordException(error instanceof Error ? error : String(error));
        span.setStatus({ code: SpanStatusCode.ERROR, ...(error instanceof Error ? { message: error.message } : {}) });
        throw error;
      } finally {
        span.end();
      }
    });
  return carrier?.requestId ? requestIds.run(carrier.requestId, run) : run();
}

/** An Apollo Server plugin that names the request's server span after its operation. */
export function operationSpanNames<TContext extends object>(): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, operationName }) {
          nameOperationSpan(operation, operationName);
        },
      };
    },
  };
}

function rootField(operation: OperationDefinitionNode): string {
  const first = operation.selectionSet.selections[0];
  return first?.kind === Kind.FIELD ? first.name.value : 'anonymous';
}
