import { expect, test } from '@jest/globals';
import { ConfigError, EnvReader } from '../../../lib/config.js';
import { readPaymentSettings } from './settings.js';

test('the card provider is normal and immediate unless told otherwise', () => {
  const reader = new EnvReader({});
  expect(readPaymentSettings(reader)).toStrictEqual({ provider: { delayMs: 0, mode: 'normal' } });
  reader.done();
});

test('bad provider settings are refused naming each variable', () => {
  const reader = new EnvReader({ PAYMENT_PROVIDER_DELAY_MS: '-5', PAYMENT_PROVIDER_MODE: 'flaky' });
  readPaymentSettings(reader);
  expect(() => reader.done()).toThrow(
    expect.objectContaining({
      constructor: ConfigError,
      problems: expect.arrayContaining([expect.stringMatching(/^PAYMENT_PROVIDER_DELAY_MS/), expect.stringMatching(/^PAYMENT_PROVIDER_MODE/)]),
    }),
  );
});
