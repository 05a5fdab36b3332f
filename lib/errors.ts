/**
 * The error registry every context raises from. Pure: no GraphQL, no Apollo, so domain code may
 * throw these; lib/graphql-errors.ts maps them to `extensions.code` at the API.
 */
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
