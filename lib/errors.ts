import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import type { Logger } from './logger.js';

/**
 * The stable error codes clients see in `extensions.code`. Code that handles an error looks at this
 * code, never at a class, because errors cross process boundaries as JSON.
 */
export const ErrorCode = {
  BadUserInput: 'BAD_USER_INPUT',
  Unauthenticated: 'UNAUTHENTICATED',
  Forbidden: 'FORBIDDEN',
  NotFound: 'NOT_FOUND',
  InvalidTransition: 'INVALID_TRANSITION',
  ServiceUnavailable: 'SERVICE_UNAVAILABLE',
  /** Refused before anything was done, because the work could not start in time: retry after `retryAfterSeconds`. */
  TooBusy: 'TOO_BUSY',
  /** The request itself is malformed: not JSON, a batch, no query, a subscription over HTTP. */
  BadRequest: 'BAD_REQUEST',
  /** The request body is larger than any service reads. */
  PayloadTooLarge: 'PAYLOAD_TOO_LARGE',
  /** An operation past the gateway's limits (depth, aliases, tokens, directives, cost). */
  QueryTooComplex: 'QUERY_TOO_COMPLEX',
  /** An automatic persisted query whose sha256Hash is not the hash of the query sent with it. */
  PersistedQueryHashMismatch: 'PERSISTED_QUERY_HASH_MISMATCH',
  /** An idempotency key already used by the same customer for a different request. */
  IdempotencyKeyReused: 'IDEMPOTENCY_KEY_REUSED',
  /** A subscription past the number one connection may hold open. */
  TooManySubscriptions: 'TOO_MANY_SUBSCRIPTIONS',
  /** Too many requests from one client in the current window; retry after `extensions.retryAfterSeconds`. */
  RateLimited: 'RATE_LIMITED',
  Internal: 'INTERNAL_SERVER_ERROR',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/**
 * An error whose message is safe to show the client. Domain code throws these (it knows nothing of
 * GraphQL); the API turns them into `extensions.code` (and `extensions.field` for bad input).
 */
export class AppError extends Error {
  override readonly name = 'AppError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly field?: string,
    /** More for `extensions`, such as `retryAfterSeconds`. */
    readonly details?: Record<string, string | number | boolean>,
  ) {
    super(message);
  }
}

/** Bad input, naming the offending field as the client sent it (e.g. `input.sku`). */
export const badInput = (field: string, message: string) => new AppError(ErrorCode.BadUserInput, message, field);
export const notFound = (what: string, id: string) => new AppError(ErrorCode.NotFound, `${what} ${id} was not found`);
export const forbidden = (message = 'you may not do this') => new AppError(ErrorCode.Forbidden, message);
export const unauthenticated = (message = 'sign in first') => new AppError(ErrorCode.Unauthenticated, message);
export const invalidTransition = (message: string) => new AppError(ErrorCode.InvalidTransition, message);
export const serviceUnavailable = (message: string) => new AppError(ErrorCode.ServiceUnavailable, message);
export const tooBusy = (message: string, retryAfterMs: number) =>
  new AppError(ErrorCode.TooBusy, message, undefined, { retryAfterSeconds: Math.max(1, Math.ceil(retryAfterMs / 1_000)) });

export const isAppError = (error: unknown, code?: ErrorCode): error is AppError => error instanceof AppError && (code === undefined || error.code === code);

/** Codes a server passes through to clients as they are; anything else is masked. */
const PUBLIC_CODES = new Set<string>([
  // An internal error's message is never shown: it is logged and masked below.
  ...Object.values(ErrorCode).filter((code) => code !== ErrorCode.Internal),
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
]);

/**
 * The longest message a client gets back. Messages of graphql-js can quote what the client sent
 * (a variable's value, for one); a short prefix is enough to find the mistake, and a 900 KB value
 * echoed in every error must not turn into a response many times larger than the request.
 */
export const MAX_ERROR_MESSAGE_LENGTH = 300;

export const clipMessage = (message: string): string =>
  message.length <= MAX_ERROR_MESSAGE_LENGTH ? message : `${message.slice(0, MAX_ERROR_MESSAGE_LENGTH)}…`;

/**
 * Apollo `formatError`: AppErrors become their code (and field); other known codes pass through
 * without stack traces; anything unexpected is logged whole and reaches the client only as
 * `INTERNAL_SERVER_ERROR`.
 */
export function makeFormatError(log: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const where = {
      ...(formatted.locations ? { locations: formatted.locations } : {}),
      ...(formatted.path ? { path: formatted.path } : {}),
    };
    const original = unwrapResolverError(error);
    if (original instanceof AppError) {
      return {
        message: clipMessage(original.message),
        ...where,
        extensions: { code: original.code, ...(original.field ? { field: original.field } : {}), ...original.details },
      };
    }
    const code = codeOfRule(error) ?? codeOfUncoded(formatted) ?? formatted.extensions?.code;
    if (typeof code === 'string' && PUBLIC_CODES.has(code)) {
      // The gateway adds serviceName: which process failed is ours to log, not the client's to see.
      const { stacktrace: _stack, exception: _exception, serviceName, ...extensions } = formatted.extensions ?? {};
      if (serviceName) log.debug({ serviceName, code, message: formatted.message }, 'subgraph error');
      return { ...formatted, message: clipMessage(formatted.message), extensions: { ...extensions, code } };
    }
    log.error({ err: original }, 'unexpected error');
    return { message: 'Internal server error', ...where, extensions: { code: ErrorCode.Internal } };
  };
}

/**
 * Apollo files every validation error under GRAPHQL_VALIDATION_FAILED; a rule of ours that gave
 * its error a code of the registry (QUERY_TOO_COMPLEX) keeps it, as it does over graphql-ws.
 */
function codeOfRule(error: unknown): string | undefined {
  const original = error instanceof GraphQLError ? error.originalError : undefined;
  const code = original instanceof GraphQLError ? original.extensions.code : undefined;
  return typeof code === 'string' && (Object.values(ErrorCode) as string[]).includes(code) && code !== ErrorCode.Internal ? code : undefined;
}

/** Apollo answers a few client mistakes without a code; they are the client's, not internal errors. */
function codeOfUncoded(formatted: GraphQLFormattedError): string | undefined {
  if (formatted.message === 'provided sha does not match query') return ErrorCode.PersistedQueryHashMismatch;
  return undefined;
}

/** For places outside resolvers (the context function) that must answer with a GraphQL error. */
export function toGraphQLError(error: AppError, httpStatus?: number): GraphQLError {
  return new GraphQLError(error.message, {
    extensions: { code: error.code, ...(error.field ? { field: error.field } : {}), ...(httpStatus ? { http: { status: httpStatus } } : {}) },
  });
}
