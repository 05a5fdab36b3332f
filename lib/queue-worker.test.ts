import { expect, test } from '@jest/globals';
import { UnrecoverableError } from 'bullmq';
import { invalidTransition, badInput, serviceUnavailable } from './errors.js';
import { failsForGood } from './queue-worker.js';

test('an invalid transition fails the job at once, naming its code', () => {
  const error = failsForGood(invalidTransition('stock for order 1 is RELEASED, not held'));
  expect(error).toBeInstanceOf(UnrecoverableError);
  expect((error as Error).message).toBe('INVALID_TRANSITION: stock for order 1 is RELEASED, not held');
});

test('bad input in a job fails it at once', () => {
  expect(failsForGood(badInput('orderId', 'orderId must be a 24-character hex id'))).toBeInstanceOf(UnrecoverableError);
});

test('a service that could not answer is retried', () => {
  const unavailable = serviceUnavailable('no active baker');
  expect(failsForGood(unavailable)).toBe(unavailable);
});

test('an unexpected error is retried', () => {
  const crash = new Error('connection reset');
  expect(failsForGood(crash)).toBe(crash);
});
