/**
 * The build: `npm run build` output runs every process with plain `node`, as the image does, and
 * the built gateway serves the schema-driven API and the playground bundled at build time.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, test } from '@jest/globals';
import { ROOT } from '../../scripts/services.js';
import { startStack, type Stack } from '../support/stack.js';

// Inside the checkout, so the compiled modules find node_modules as the image's do.
const buildDir = path.join(ROOT, '.data', `test-build-${randomUUID().slice(0, 8)}`);
let stack: Stack | undefined;

async function build(outDir: string): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/build.ts', '--out-dir', outDir], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  assert.equal(code, 0, `npm run build failed:\n${output}`);
}

beforeAll(async () => {
  await build(buildDir);
  stack = await startStack({ buildDir });
});

afterAll(async () => {
  await stack?.stop();
  rmSync(buildDir, { recursive: true, force: true });
});

test('every process starts from the build and the gateway answers through the subgraphs', async () => {
  assert.ok(stack);
  const { data, errors } = await stack.graphql<{ products: { nodes: Array<{ sku: string }> } }>('{ products { nodes { sku } } }');
  assert.equal(errors, undefined);
  assert.ok(data?.products.nodes.some((product) => product.sku === 'SALT-BREAD'));
  for (const name of ['stock', 'order', 'payment', 'delivery', 'workers', 'gateway'] as const) {
    const response = await fetch(stack.services.url(name, '/health/ready'));
    assert.equal(response.status, 200, `${name} is ready`);
  }
});

test('the built gateway serves the playground bundled at build time', async () => {
  assert.ok(stack);
  const page = await fetch(stack.gatewayUrl, { headers: { accept: 'text/html' } });
  assert.equal(page.status, 200);
  const html = await page.text();
  const script = /src="([^"]*playground\.js[^"]*)"/.exec(html)?.[1];
  assert.ok(script, 'the page loads the playground script');
  const served = await fetch(new URL(script.replaceAll('&amp;', '&'), stack.gatewayUrl), { headers: { 'accept-encoding': 'identity' } });
  assert.equal(served.status, 200);
  const built = readFileSync(path.join(buildDir, 'gateway/src/playground/assets/playground.js'));
  assert.ok(Buffer.from(await served.arrayBuffer()).equals(built), 'the script is the one the build wrote');
});
