import { afterEach, describe, expect, jest, test } from '@jest/globals';
import { SimulatedCardProvider } from './simulated-card-provider.js';

const normal = () => new SimulatedCardProvider({ delayMs: 0, mode: 'normal', slowTokenDelayMs: 50 });
const charge = (token: string | null, key = `order-${token}`) => ({ key, amount: 5000, token });

/** How a promise stands, read at any moment: for waits played on Jest's fake clock. */
function track<T>(promise: Promise<T>) {
  const seen: { state: 'pending' | 'fulfilled' | 'rejected'; value?: T; reason?: unknown } = { state: 'pending' };
  promise.then(
    (value) => Object.assign(seen, { state: 'fulfilled', value }),
    (reason: unknown) => Object.assign(seen, { state: 'rejected', reason }),
  );
  return seen;
}

afterEach(() => {
  jest.useRealTimers();
});

describe('the simulated card provider', () => {
  test('answers by test token: tok_visa approved, tok_chargeDeclined declined, anything else an invalid token', async () => {
    const provider = normal();
    expect(await provider.authorize(charge('tok_visa'))).toStrictEqual({ outcome: 'APPROVED' });
    expect(await provider.authorize(charge('tok_chargeDeclined'))).toStrictEqual({ outcome: 'DECLINED', reason: 'CARD_DECLINED' });
    expect(await provider.authorize(charge('tok_nonsense'))).toStrictEqual({ outcome: 'DECLINED', reason: 'INVALID_TOKEN' });
    expect(await provider.authorize(charge(null))).toStrictEqual({ outcome: 'DECLINED', reason: 'INVALID_TOKEN' });
  });

  test('a repeat under one key answers the first decision, whatever token it carries', async () => {
    const provider = normal();
    await provider.authorize(charge('tok_visa', 'order-1'));
    expect(await provider.authorize(charge('tok_chargeDeclined', 'order-1'))).toStrictEqual({ outcome: 'APPROVED' });
  });

  test('tok_timeout approves only after its delay', async () => {
    jest.useFakeTimers();
    const authorized = track(normal().authorize(charge('tok_timeout')));
    await jest.advanceTimersByTimeAsync(49);
    expect(authorized).toStrictEqual({ state: 'pending' });
    await jest.advanceTimersByTimeAsync(1);
    expect(authorized).toStrictEqual({ state: 'fulfilled', value: { outcome: 'APPROVED' } });
  });

  test('tok_unavailableOnce is unreachable on the first attempt for an order, then approves', async () => {
    const provider = normal();
    await expect(provider.authorize(charge('tok_unavailableOnce', 'order-2'))).rejects.toThrow(/connection refused/);
    expect(await provider.authorize(charge('tok_unavailableOnce', 'order-2'))).toStrictEqual({ outcome: 'APPROVED' });
    await expect(provider.authorize(charge('tok_unavailableOnce', 'order-3'))).rejects.toThrow(/connection refused/); // each order has its own outage
  });

  test('release drops an approved authorization, and is a no-op when repeated or when there is none', async () => {
    const provider = normal();
    await provider.authorize(charge('tok_visa', 'order-4'));
    expect(provider.holds('order-4')).toBe(true);
    await provider.release('order-4');
    await provider.release('order-4');
    await provider.release('never-authorized');
    expect(provider.holds('order-4')).toBe(false);
  });

  test('in failing mode every call rejects, after the configured delay', async () => {
    jest.useFakeTimers();
    const provider = new SimulatedCardProvider({ delayMs: 30, mode: 'failing' });
    const calls = [track(provider.authorize(charge('tok_visa'))), track(provider.release('order-5'))];
    await jest.advanceTimersByTimeAsync(29);
    expect(calls).toStrictEqual([{ state: 'pending' }, { state: 'pending' }]); // slow before failing
    await jest.advanceTimersByTimeAsync(1);
    const unreachable = { state: 'rejected', reason: expect.objectContaining({ message: expect.stringMatching(/unreachable/) }) };
    expect(calls).toStrictEqual([unreachable, unreachable]);
  });
});
