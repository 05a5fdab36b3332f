import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SimulatedCardProvider } from './simulated-card-provider.js';

const normal = () => new SimulatedCardProvider({ delayMs: 0, mode: 'normal', slowTokenDelayMs: 50 });
const charge = (token: string | null, key = `order-${token}`) => ({ key, amount: 5000, token });

describe('the simulated card provider', () => {
  test('answers by test token: tok_visa approved, tok_chargeDeclined declined, anything else an invalid token', async () => {
    const provider = normal();
    assert.deepEqual(await provider.authorize(charge('tok_visa')), { outcome: 'APPROVED' });
    assert.deepEqual(await provider.authorize(charge('tok_chargeDeclined')), { outcome: 'DECLINED', reason: 'CARD_DECLINED' });
    assert.deepEqual(await provider.authorize(charge('tok_nonsense')), { outcome: 'DECLINED', reason: 'INVALID_TOKEN' });
    assert.deepEqual(await provider.authorize(charge(null)), { outcome: 'DECLINED', reason: 'INVALID_TOKEN' });
  });

  test('a repeat under one key answers the first decision, whatever token it carries', async () => {
    const provider = normal();
    await provider.authorize(charge('tok_visa', 'order-1'));
    assert.deepEqual(await provider.authorize(charge('tok_chargeDeclined', 'order-1')), { outcome: 'APPROVED' });
  });

  test('tok_timeout approves only after its delay', async () => {
    const started = performance.now();
    assert.deepEqual(await normal().authorize(charge('tok_timeout')), { outcome: 'APPROVED' });
    assert.ok(performance.now() - started >= 45, 'it waited');
  });

  test('tok_unavailableOnce is unreachable on the first attempt for an order, then approves', async () => {
    const provider = normal();
    await assert.rejects(provider.authorize(charge('tok_unavailableOnce', 'order-2')), /connection refused/);
    assert.deepEqual(await provider.authorize(charge('tok_unavailableOnce', 'order-2')), { outcome: 'APPROVED' });
    await assert.rejects(provider.authorize(charge('tok_unavailableOnce', 'order-3')), /connection refused/, 'each order has its own outage');
  });

  test('release drops an approved authorization, and is a no-op when repeated or when there is none', async () => {
    const provider = normal();
    await provider.authorize(charge('tok_visa', 'order-4'));
    assert.equal(provider.holds('order-4'), true);
    await provider.release('order-4');
    await provider.release('order-4');
    await provider.release('never-authorized');
    assert.equal(provider.holds('order-4'), false);
  });

  test('in failing mode every call rejects, after the configured delay', async () => {
    const provider = new SimulatedCardProvider({ delayMs: 30, mode: 'failing' });
    const started = performance.now();
    await assert.rejects(provider.authorize(charge('tok_visa')), /unreachable/);
    assert.ok(performance.now() - started >= 25, 'it was slow before failing');
    await assert.rejects(provider.release('order-5'), /unreachable/);
  });
});
