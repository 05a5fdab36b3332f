import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, EnvReader } from '../../../lib/config.js';
import { readPaymentSettings } from './settings.js';

test('the card provider is normal and immediate unless told otherwise', () => {
  const reader = new EnvReader({});
  assert.deepEqual(readPaymentSettings(reader), { provider: { delayMs: 0, mode: 'normal' } });
  reader.done();
});

test('bad provider settings are refused naming each variable', () => {
  const reader = new EnvReader({ PAYMENT_PROVIDER_DELAY_MS: '-5', PAYMENT_PROVIDER_MODE: 'flaky' });
  readPaymentSettings(reader);
  assert.throws(
    () => reader.done(),
    (error: unknown) =>
      error instanceof ConfigError &&
      error.problems.some((problem) => problem.startsWith('PAYMENT_PROVIDER_DELAY_MS')) &&
      error.problems.some((problem) => problem.startsWith('PAYMENT_PROVIDER_MODE')),
  );
});
