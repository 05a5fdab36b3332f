/** Expectations about the AppErrors that domain code throws. */
import { expect } from '@jest/globals';
import { AppError, type ErrorCode } from '../../lib/errors.js';

/**
 * Matches an AppError with `code`, and with `field` and a message matching `message` when given:
 * `expect(fn).toThrow(appError('BAD_USER_INPUT', { field: 'input.sku' }))`.
 */
export function appError(code: ErrorCode, { field, message }: { field?: string; message?: RegExp } = {}) {
  return expect.objectContaining({
    constructor: AppError,
    code,
    ...(field === undefined ? {} : { field }),
    ...(message === undefined ? {} : { message: expect.stringMatching(message) }),
  });
}

/** What `fn` throws, or undefined when it returns: to compare an error beside what caused it. */
export function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
}
