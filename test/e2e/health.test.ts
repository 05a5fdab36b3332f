/**
 * Readiness as an orchestrator sees it: a gateway stays ready while one subgraph is down (it still
 * gives partial answers, and taking every gateway out of rotation would answer nothing), and says
 * which subgraph is missing; a subgraph's readiness is its own store and Redis.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { startStack, type Stack } from '../support/stack.js';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack?.stop());

interface Readiness {
  status: string;
  checks: Record<string, string>;
  dependencies?: Record<string, string>;
}

async function readiness(url: string): Promise<{ status: number; body: Readiness }> {
  const response = await fetch(url);
  return { status: response.status, body: (await response.json()) as Readiness };
}

test('a subgraph is ready on its own database and Redis', async () => {
  const { status, body } = await readiness(stack.services.url('stock', '/health/ready'));
  assert.equal(status, 200);
  expect(body.checks).toEqual({ database: 'ok', redis: 'ok' });
});

test('the gateway stays ready with a subgraph down, reports it, and still answers what it can', async () => {
  const before = await readiness(stack.services.url('gateway', '/health/ready'));
  assert.equal(before.status, 200);
  expect(before.body.dependencies).toEqual({ stock: 'ok', order: 'ok', payment: 'ok', delivery: 'ok' });

  await stack.services.stopOne('payment');
  const after = await readiness(stack.services.url('gateway', '/health/ready'));
  assert.equal(after.status, 200);
  assert.equal(after.body.status, 'ok');
  assert.notEqual(after.body.dependencies?.payment, 'ok');
  assert.equal(after.body.dependencies?.stock, 'ok');
  const { data, errors } = await stack.graphql<{ products: { nodes: unknown[] } }>('{ products { nodes { sku } } }');
  assert.equal(errors, undefined);
  assert.ok(data?.products.nodes.length);
});
