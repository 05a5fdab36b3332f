/**
 * Subscriptions at the gateway, over graphql-ws on the same path and port as HTTP. `@apollo/gateway`
 * cannot execute subscriptions, so this does: each subscription listens to the live feed, and
 * every notice is resolved into a message by a query through the gateway itself, with the
 * subscriber's own token, so a message may select fields of any subgraph and shows only what the
 * subscriber may see. Messages are pinned to the change they report (see live-plan.ts), so a fast
 * run of changes gives one message each, in order, none skipped and none repeated.
 */
import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import type { ApolloServer } from '@apollo/server';
import { ApolloServerErrorCode } from '@apollo/server/errors';
import pLimit from 'p-limit';
import {
  GraphQLError,
  getOperationAST,
  getVariableValues,
  parse,
  print,
  specifiedRules,
  validate,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type GraphQLFormattedError,
  type GraphQLSchema,
} from 'graphql';
import type { Context } from 'graphql-ws';
import { useServer, type Extra } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { TokenVerifier, Viewer } from '../../../lib/auth.js';
import { ErrorCode } from '../../../lib/errors.js';
import { clipMessage } from '../../../lib/graphql-errors.js';
import { MAX_BODY_BYTES } from '../../../lib/http-guards.js';
import type { HistoryEntry, LiveNotice, LiveTopic } from '../../../lib/live.js';
import type { Logger } from '../../../lib/logger.js';
import type { QueryLimits } from '../config.js';
import { costError, maskSuggestions, queryLimitRules } from '../limits.js';
import type { GatewayContext } from '../context.js';
import type { LiveFeed } from './live-feed.js';
import { ENTITY_ID_VARIABLE, HISTORY_KEY, changeIndex, pin, planSubscription, type LivePlan } from './live-plan.js';
import { LiveStream } from './live-stream.js';

/**
 * Close codes this server sends itself (graphql-ws sends its own, such as 4403 Forbidden, and ws
 * 1009 for a frame past maxPayload).
 */
export const CloseCode = {
  /** The subscriber read too slowly and its messages piled up past the stream's limit (RFC 6455 1013, "try again later"). */
  TooManyMessages: 1013,
} as const;

export interface SubscriptionServerOptions {
  httpServer: http.Server;
  path: string;
  apollo: ApolloServer<GatewayContext>;
  /** The public (API) schema, once the gateway has loaded it. */
  schema: () => GraphQLSchema | undefined;
  verifier: TokenVerifier;
  limits: QueryLimits;
  feed: LiveFeed;
  /** The live topics served, each declared by the context that owns it. */
  topics: readonly LiveTopic[];
  log: Logger;
  /** Ping every this often; a client that does not answer in as long is dropped. @defaultValue 12000 */
  keepAliveMs?: number;
  /** Queries resolving live messages at once; more wait, so they never starve other requests. @defaultValue 32 */
  maxConcurrentExecutions?: number;
  /** Subscriptions one socket may hold open at once; one more is refused. @defaultValue 20 */
  maxSubscriptionsPerSocket?: number;
}

interface Session {
  viewer: Viewer | null;
  authorization?: string;
  streams: Set<LiveStream>;
  /** Subscriptions being opened (counted before their stream exists, so a burst cannot pass the cap). */
  opening: number;
}

type SocketExtra = Extra & Record<PropertyKey, unknown>;
type SocketContext = Context<Record<string, unknown> | undefined, SocketExtra>;
/** What onSubscribe hands to execute/subscribe. */
type Prepared = { kind: 'live'; stream: LiveStream } | { kind: 'operation'; context: GatewayContext };

const refuse = (code: string, message: string) => [new GraphQLError(message, { extensions: { code } })];

/**
 * Errors as a subscriber gets them: a stable code (the given one when graphql-js set none), a
 * clipped message without schema suggestions, and no path (a path would name the gateway's own
 * query, not the subscriber's).
 */
const forClient = (errors: readonly GraphQLError[], code: string) =>
  errors.map(
    (error) =>
      new GraphQLError(clipMessage(maskSuggestions(error.message)), {
        extensions: { ...error.extensions, code: typeof error.extensions.code === 'string' ? error.extensions.code : code },
      }),
  );

export class SubscriptionServer {
  private readonly wsServer: WebSocketServer;
  private readonly sessions = new WeakMap<SocketContext, Session>();
  private readonly streams = new Set<LiveStream>();
  private readonly inFlight = new Map<string, Promise<ExecutionResult>>();
  private readonly disposable: { dispose(): void | Promise<void> };
  private readonly executions: ReturnType<typeof pLimit>;
  private closing?: Promise<void>;

  constructor(private readonly options: SubscriptionServerOptions) {
    this.executions = pLimit(options.maxConcurrentExecutions ?? 32);
    // Frames as large as an HTTP body and no larger: ws closes the socket (1009) past it.
    this.wsServer = new WebSocketServer({ server: options.httpServer, path: options.path, maxPayload: MAX_BODY_BYTES });
    this.disposable = useServer<Record<string, unknown> | undefined, SocketExtra>(
      {
        connectionInitWaitTimeout: 5_000,
        onConnect: (ctx) => this.connect(ctx),
        onSubscribe: (ctx, _id, payload) => this.prepare(ctx, payload),
        subscribe: (args) => (args.contextValue as Prepared & { kind: 'live' }).stream,
        execute: (args) => this.executeOperation(args),
        onClose: (ctx) => {
          for (const stream of this.sessions.get(ctx)?.streams ?? []) void stream.return();
        },
      },
      this.wsServer,
      options.keepAliveMs ?? 12_000,
    );
  }

  get openSubscriptions(): number {
    return this.streams.size;
  }

  /**
   * Stops taking connections, lets every subscription send what it has in hand (bounded), then
   * closes each socket with 1001 Going Away.
   */
  close(timeoutMs = 2_000): Promise<void> {
    this.closing ??= (async () => {
      await Promise.all([...this.streams].map((stream) => stream.drained(timeoutMs)));
      await this.disposable.dispose();
    })();
    return this.closing;
  }

  // ---------------------------------------------------------------- connection_init

  /** A bad or expired token closes the socket with 4403; no token is an anonymous session. */
  private async connect(ctx: SocketContext): Promise<boolean> {
    const params = ctx.connectionParams ?? {};
    const header = params.authorization ?? params.Authorization;
    const authorization = typeof header === 'string' && header.trim() !== '' ? header : undefined;
    try {
      const viewer = await this.options.verifier.viewerFromAuthorization(authorization);
      this.sessions.set(ctx, { viewer, streams: new Set(), opening: 0, ...(authorization ? { authorization } : {}) });
      return true;
    } catch {
      return false;
    }
  }

  // ---------------------------------------------------------------- subscribe

  private async prepare(ctx: SocketContext, payload: { query: string; operationName?: string | null; variables?: Record<string, unknown> | null }) {
    const schema = this.options.schema();
    const session = this.sessions.get(ctx);
    if (!schema || !session) return refuse(ErrorCode.ServiceUnavailable, 'the gateway is not ready');

    let document: DocumentNode;
    try {
      document = parse(payload.query, { maxTokens: this.options.limits.maxTokens });
    } catch (error) {
      return forClient(
        [error instanceof GraphQLError ? error : new GraphQLError('the operation could not be parsed')],
        ApolloServerErrorCode.GRAPHQL_PARSE_FAILED,
      );
    }
    // The same limits as over HTTP, all checked before anything runs.
    const errors = validate(schema, document, [...specifiedRules, ...queryLimitRules(this.options.limits)]);
    if (errors.length > 0) return forClient(errors, ApolloServerErrorCode.GRAPHQL_VALIDATION_FAILED);
    const operation = getOperationAST(document, payload.operationName);
    if (!operation) return refuse(ErrorCode.BadRequest, 'name the operation to run');
    const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], payload.variables ?? {});
    if (coerced.errors) return forClient(coerced.errors, ErrorCode.BadUserInput);
    const tooCostly = costError(schema, document, operation, coerced.coerced, this.options.limits);
    if (tooCostly) return [tooCostly];

    const context: GatewayContext = {
      viewer: session.viewer,
      requestId: randomUUID(),
      log: this.options.log,
      ...(session.authorization ? { authorization: session.authorization } : {}),
    };
    const args = { schema, document, operationName: payload.operationName ?? null, variableValues: coerced.coerced };
    if (operation.operation !== 'subscription') {
      return { ...args, contextValue: { kind: 'operation', context } satisfies Prepared } as ExecutionArgs;
    }

    const plan = planSubscription(schema, document, operation, coerced.coerced, this.options.topics);
    if (!plan) return refuse(ErrorCode.BadUserInput, 'this subscription is not served here');
    const { audience } = plan.topic;
    if (!audience.public && !session.viewer) return refuse(ErrorCode.Unauthenticated, audience.signIn);
    const max = this.options.maxSubscriptionsPerSocket ?? 20;
    if (session.streams.size + session.opening >= max) {
      return refuse(ErrorCode.TooManySubscriptions, `one connection may hold at most ${max} subscriptions; complete one first`);
    }

    // The slot is held from here until the stream itself is counted in session.streams.
    session.opening += 1;
    let holding = true;
    const handOver = () => {
      if (holding) session.opening -= 1;
      holding = false;
    };
    const opened = await this.open(plan, context, session, ctx, handOver).finally(handOver);
    if (Array.isArray(opened)) return opened;
    return { ...args, contextValue: { kind: 'live', stream: opened } satisfies Prepared } as ExecutionArgs;
  }

  /**
   * Listens first, then (for one entity) sends its current state, then every change after it:
   * the feed's notices wait behind the snapshot, so none falls between the two.
   */
  private async open(plan: LivePlan, context: GatewayContext, session: Session, ctx: SocketContext, counted: () => void): Promise<LiveStream | GraphQLError[]> {
    let stopListening = () => {};
    const stream = new LiveStream(
      () => {
        stopListening();
        this.streams.delete(stream);
        session.streams.delete(stream);
      },
      () => {
        this.options.log.warn({ requestId: context.requestId }, 'subscriber too slow: closing its socket');
        ctx.extra.socket.close(CloseCode.TooManyMessages, 'Subscriber too slow');
      },
    );
    let openGate = () => {};
    const gate = new Promise<void>((resolve) => (openGate = resolve));
    stream.enqueue(() => gate.then(() => null));

    // Per entity with a history, the index of the last change sent: anything at or before it is a
    // repeat. Per entity without one, the pinned values last sent: a notice of the same values
    // (one announced just before this subscriber's first read, say) tells it nothing new.
    const sent = new Map<string, number | string>();
    const { topic } = plan;
    stopListening = this.options.feed.on(topic, (notice) => {
      // Following one entity, its read decides what the subscriber may see.
      const follows = plan.entityId ? topic.entityId(notice) === plan.entityId : topic.audience.public || topic.audience.mayFollow(notice, context.viewer);
      if (follows) stream.enqueue(() => this.noticeMessage(plan, context, notice, sent));
    });
    this.streams.add(stream);
    session.streams.add(stream);
    counted();

    if (plan.entityId) {
      const snapshot = await this.fetch(plan, context, plan.entityId);
      const entity = snapshot.data?.live as Record<string, unknown> | null | undefined;
      if (!entity) {
        void stream.return();
        // Someone else's order looks exactly like a missing one.
        return snapshot.errors?.length
          ? forClient(snapshot.errors, ErrorCode.Internal)
          : refuse(ErrorCode.NotFound, `${topic.name} ${plan.entityId} was not found`);
      }
      if (topic.history) {
        // The current state is pinned to its last history entry; notices of it are repeats.
        const history = historyOf(entity);
        sent.set(plan.entityId, history.length - 1);
        const last = history.at(-1);
        stream.push(this.message(plan, snapshot, last ? pin(entity, plan, topic.history.pinAt(last), history.length - 1) : pin(entity, plan, {})));
      } else {
        sent.set(plan.entityId, pinnedValues(plan, entity));
        stream.push(this.message(plan, snapshot, entity));
      }
    }
    openGate();
    return stream;
  }

  /** The message for one notice, pinned to its change; null when there is nothing (new) to send. */
  private async noticeMessage(
    plan: LivePlan,
    context: GatewayContext,
    notice: LiveNotice,
    sent: Map<string, number | string>,
  ): Promise<ExecutionResult | null> {
    const { topic } = plan;
    const entityId = topic.entityId(notice);
    const result = await this.fetch(plan, context, entityId, topic.changeKey(notice));
    const entity = result.data?.live as Record<string, unknown> | null | undefined;
    if (!entity) return null; // not (or no longer) visible to this subscriber
    if (!topic.history) {
      const pinned = pin(entity, plan, topic.pin(notice));
      const values = pinnedValues(plan, pinned);
      if (sent.get(entityId) === values) return null; // the same as the last message
      sent.set(entityId, values);
      return this.message(plan, result, pinned);
    }
    const history = historyOf(entity);
    const found = changeIndex(history, topic.history.entryOf(notice));
    const index = found >= 0 ? found : history.length - 1;
    if (index <= Number(sent.get(entityId) ?? -1)) return null; // sent already
    sent.set(entityId, index);
    return this.message(plan, result, pin(entity, plan, topic.pin(notice), index));
  }

  /** The message for the subscriber: data under its root field's key, errors with their paths moved there. */
  private message(plan: LivePlan, result: ExecutionResult, entity: Record<string, unknown>): ExecutionResult {
    const errors = result.errors?.map(
      (error) => new GraphQLError(error.message, { path: error.path ? [plan.responseKey, ...error.path.slice(1)] : undefined, extensions: error.extensions }),
    );
    return { data: { [plan.responseKey]: entity }, ...(errors?.length ? { errors } : {}) };
  }

  /**
   * Resolves the plan's query for one entity through the gateway. Subscribers who would send the
   * same query for the same change share one execution: with the same token; for a public topic,
   * the same for every viewer, everyone.
   */
  private fetch(plan: LivePlan, context: GatewayContext, entityId: string, change?: string): Promise<ExecutionResult> {
    const variables = { ...plan.variables, [ENTITY_ID_VARIABLE]: entityId };
    const viewerFree = plan.topic.audience.public;
    const as: GatewayContext = viewerFree ? { viewer: null, requestId: context.requestId, log: context.log } : context;
    const run = () => this.executions(() => this.run(plan.query, variables, null, as));
    // The current state is never shared: it must be read after this subscriber started listening.
    if (!change) return run();
    const key = `${change}|${viewerFree ? '' : (context.authorization ?? '')}|${plan.query}|${JSON.stringify(variables)}`;
    let pending = this.inFlight.get(key);
    if (!pending) {
      pending = run();
      this.inFlight.set(key, pending);
      // Kept a moment, so subscribers whose queues were busy still share it.
      void pending.finally(() => setTimeout(() => this.inFlight.delete(key), 1_000).unref());
    }
    return pending;
  }

  private async run(query: string, variables: Record<string, unknown>, operationName: string | null, context: GatewayContext): Promise<ExecutionResult> {
    const response = await this.options.apollo.executeOperation({ query, variables, ...(operationName ? { operationName } : {}) }, { contextValue: context });
    if (response.body.kind !== 'single') return { errors: refuse(ErrorCode.BadRequest, 'incremental delivery is not supported') };
    const { data, errors } = response.body.singleResult;
    return { data: data ?? null, ...(errors ? { errors: errors.map(toGraphQLError) } : {}) };
  }

  /** Queries and mutations sent over the socket run like any HTTP request. */
  private async executeOperation(args: ExecutionArgs): Promise<ExecutionResult> {
    const prepared = args.contextValue as Prepared;
    if (prepared.kind !== 'operation') return { errors: refuse(ErrorCode.BadRequest, 'not an operation') };
    return this.run(print(args.document), (args.variableValues ?? {}) as Record<string, unknown>, args.operationName ?? null, prepared.context);
  }
}

const toGraphQLError = (error: GraphQLFormattedError): GraphQLError => new GraphQLError(error.message, { path: error.path, extensions: error.extensions });

const historyOf = (entity: Record<string, unknown>): HistoryEntry[] => (entity[HISTORY_KEY] as HistoryEntry[] | undefined) ?? [];

/** What a message says of its pinned fields (as the subscriber selected them), to compare with the last one. */
function pinnedValues(plan: LivePlan, entity: Record<string, unknown>): string {
  return JSON.stringify(plan.topic.pinned.flatMap((name) => (plan.keys[name] ?? []).map((key) => entity[key])));
}
