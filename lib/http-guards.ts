import { randomUUID } from 'node:crypto';
import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import { ErrorCode } from './errors.js';
import type { Logger } from './logger.js';

/**
 * The HTTP edge every service shares (the gateway and the four subgraphs): request bodies are
 * bounded, and whatever goes wrong before GraphQL runs (a body that is not JSON, too large, in a
 * charset we do not read, an unknown path) is answered as a JSON GraphQL error with a stable code,
 * never as Express's HTML page with a stack trace, in every environment.
 */

/** The largest request body any service reads. Operations are small; variables are bounded by it too. */
export const MAX_BODY_BYTES = 1_000_000;

/** Request ids are logged and forwarded: a sane one is kept, anything else is replaced. */
const REQUEST_ID = /^[\w.:-]{1,128}$/;

/** The incoming `x-request-id` when it is short and plain, else a fresh one. */
export function requestIdFrom(header: string | undefined): string {
  return header && REQUEST_ID.test(header) ? header : randomUUID();
}

/** A GraphQL-shaped error body. */
export function errorBody(code: string, message: string) {
  return { errors: [{ message, extensions: { code } }] };
}

/** JSON bodies up to {@link MAX_BODY_BYTES}, strict (an object or an array), UTF-8 only. */
export function jsonBody(): RequestHandler {
  return express.json({ limit: MAX_BODY_BYTES, strict: true });
}

interface BodyParserError {
  type?: string;
  status?: number;
}

/**
 * Maps body-parser's errors (and anything else thrown before Apollo answers) to JSON. The message
 * says what was wrong with the request in our words: it never echoes the body, a path or a stack.
 */
export function jsonErrors(log: Logger): ErrorRequestHandler {
  return (error: unknown, _req, res, next) => {
    if (res.headersSent) return next(error);
    const { type, status } = (typeof error === 'object' && error !== null ? error : {}) as BodyParserError;
    const [httpStatus, code, message] = classify(type, status);
    if (httpStatus >= 500) log.error({ err: error }, 'request failed before GraphQL');
    res
      .status(httpStatus)
      .type('application/json')
      .send(JSON.stringify(errorBody(code, message)));
  };
}

function classify(type: string | undefined, status: number | undefined): [number, string, string] {
  switch (type) {
    case 'entity.too.large':
      return [413, ErrorCode.PayloadTooLarge, `the request body is larger than ${MAX_BODY_BYTES} bytes`];
    case 'entity.parse.failed':
      return [400, ErrorCode.BadRequest, 'the request body is not a JSON object'];
    case 'charset.unsupported':
    case 'encoding.unsupported':
      return [415, ErrorCode.BadRequest, 'the request body must be JSON in UTF-8'];
    case 'request.aborted':
    case 'request.size.invalid':
    case 'stream.encoding.set':
      return [400, ErrorCode.BadRequest, 'the request body could not be read'];
    default:
      return status !== undefined && status >= 400 && status < 500
        ? [status, ErrorCode.BadRequest, 'the request could not be read']
        : [500, ErrorCode.Internal, 'Internal server error'];
  }
}

/** Anything no route answered: JSON, not "Cannot GET /x". */
export function notFoundJson(): RequestHandler {
  return (_req, res) => {
    res.status(404).json(errorBody(ErrorCode.NotFound, 'nothing is served at this path; GraphQL is at /graphql'));
  };
}
