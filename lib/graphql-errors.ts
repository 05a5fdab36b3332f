/**
 * How the error registry of lib/errors.ts reaches clients: Apollo's `formatError`, and GraphQL
 * errors for places outside resolvers. Servers use this; domain code never does.
 */
import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { AppError, ErrorCode } from './errors.js';
import type { Logger } from './logger.js';

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
