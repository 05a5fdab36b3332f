/**
 * The GraphiQL playground served by the gateway, driven in headless Chromium
 * (see test/support/browser.ts for which one): it loads from the gateway's own
 * origin only, runs a query through the gateway and shows the result, and runs a
 * subscription over graphql-ws and shows each live message as it arrives.
 */
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import assert from 'node:assert/strict';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { ROOT } from '../../scripts/services.js';
import { launchBrowser, recordForeignRequests } from '../support/browser.js';
import { OrderDriver } from '../support/orders.js';
import { startStack } from '../support/stack.js';
import { eventually } from '../support/wait.js';

type Stack = Awaited<ReturnType<typeof startStack>>;

const QUERY_EDITOR = '.graphiql-query-editor .CodeMirror';
const RESULT_EDITOR = 'section.result-window .CodeMirror';
const RUN_BUTTON = '.graphiql-execute-button';
/** The visible one of the two editors under the Headers/Variables tabs (the page opens on Headers). */
const HEADERS_EDITOR = 'section.graphiql-editor-tool[aria-label="Headers"] .graphiql-editor:not(.hidden) .CodeMirror';

let stack: Stack | undefined;
let browser: Browser | undefined;

beforeAll(async () => {
  stack = await startStack();
  browser = await launchBrowser();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

/**
 * GraphiQL 4's editors are CodeMirror 5 instances, reachable from their wrapper
 * element. The functions below run in the page; the Node tsconfig has no DOM
 * types, so they reach `document` through globalThis with this minimal shape.
 */
interface CodeMirrorHost {
  CodeMirror?: { getValue(): string; setValue(value: string): void; on(event: 'change', handler: () => void): void };
}
interface PageGlobals {
  document: { querySelector(selector: string): CodeMirrorHost | null };
  /** Every value the result pane took, in order (see recordResults). */
  playgroundResults?: string[];
}

function editorValue(page: Page, selector: string): Promise<string | null> {
  return page.evaluate((sel) => {
    const { document } = globalThis as unknown as PageGlobals;
    return document.querySelector(sel)?.CodeMirror?.getValue() ?? null;
  }, selector);
}

function setEditorValue(page: Page, selector: string, value: string): Promise<void> {
  return page.evaluate(
    ({ sel, text }) => {
      const { document } = globalThis as unknown as PageGlobals;
      const editor = document.querySelector(sel)?.CodeMirror;
      if (!editor) throw new Error(`no CodeMirror at ${sel}`);
      editor.setValue(text);
    },
    { sel: selector, text: value },
  );
}

/**
 * A subscription's messages replace each other in the result pane, two of them
 * possibly within milliseconds: polling the pane could miss one, so every value
 * it takes is kept in the page, in order, from now on.
 */
function recordResults(page: Page): Promise<void> {
  return page.evaluate((sel) => {
    const globals = globalThis as unknown as PageGlobals;
    const editor = globals.document.querySelector(sel)?.CodeMirror;
    if (!editor) throw new Error(`no CodeMirror at ${sel}`);
    const results: string[] = (globals.playgroundResults = []);
    editor.on('change', () => results.push(editor.getValue()));
  }, RESULT_EDITOR);
}

/** The JWT's claims, unverified: only to know whom the page's prefilled token speaks for. */
function claims(bearer: string): Record<string, unknown> {
  const payload = bearer.replace(/^Bearer\s+/i, '').split('.')[1] ?? '';
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
}

async function openSubscriptions(gatewayUrl: string): Promise<number> {
  const health = (await (await fetch(new URL('/health/live', gatewayUrl))).json()) as { subscriptions?: number };
  expect(health).toHaveProperty('subscriptions', expect.any(Number)); // /health/live counts subscriptions
  return health.subscriptions ?? 0;
}

test('GraphiQL on the gateway runs a query using only the gateway origin', async () => {
  assert.ok(stack && browser, 'stack and browser started');
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  try {
    const page = await context.newPage();
    const origin = new URL(stack.gatewayUrl).origin;
    const foreign = recordForeignRequests(page, origin);
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));

    const response = await page.goto(stack.gatewayUrl);
    expect(response?.status()).toBe(200); // GET gatewayUrl from a browser answers 200
    expect(response?.headers()['content-type'] ?? '').toMatch(/^text\/html/);

    // The editors exist once the bundle has loaded and React rendered GraphiQL.
    await page.waitForSelector(QUERY_EDITOR, { timeout: 60_000 });
    await setEditorValue(page, QUERY_EDITOR, '{ products { nodes { sku name } } }');
    await page.click(RUN_BUTTON);

    // GraphiQL clears the result pane when the request starts and fills it when it ends.
    await page.waitForFunction(
      (selector) => {
        const { document } = globalThis as unknown as PageGlobals;
        return (document.querySelector(selector)?.CodeMirror?.getValue() ?? '').trim().length > 0;
      },
      RESULT_EDITOR,
      { timeout: 30_000 },
    );
    const text = await editorValue(page, RESULT_EDITOR);
    assert.ok(text, 'result pane has text');
    const result = JSON.parse(text) as { data?: { products?: { nodes?: { sku: string; name: string }[] } }; errors?: unknown };
    expect(result.errors).toBeUndefined(); // no GraphQL errors
    const skus = (result.data?.products?.nodes ?? []).map((node) => node.sku);
    expect(skus).toContain('SALT-BREAD'); // the seeded SALT-BREAD is listed
    // ...and it is what the person sees in the result pane.
    expect(await page.locator('section.result-window').innerText()).toMatch(/SALT-BREAD/);

    expect(foreign).toStrictEqual([]);
    expect(pageErrors).toStrictEqual([]); // no uncaught errors in the page
  } finally {
    await context.close();
  }
}, 120_000);

test("GraphiQL on the gateway shows a subscription's live messages as the order moves on", async () => {
  assert.ok(stack && browser, 'stack and browser started');
  const orders = new OrderDriver(stack);
  const productId = await orders.product(5, 4_500);
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  try {
    const page = await context.newPage();
    const origin = new URL(stack.gatewayUrl).origin;
    const foreign = recordForeignRequests(page, origin);
    const sockets: string[] = [];
    page.on('websocket', (ws) => sockets.push(ws.url()));
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));

    const response = await page.goto(stack.gatewayUrl);
    expect(response?.status()).toBe(200);
    await page.waitForSelector(QUERY_EDITOR, { timeout: 60_000 });

    // The page opens as the demo customer (development): its headers editor holds that token,
    // which the page sends as the subscription's connectionParams.
    await page.waitForSelector(HEADERS_EDITOR);
    const headers = JSON.parse((await editorValue(page, HEADERS_EDITOR)) ?? '{}') as Record<string, string>;
    assert.ok(headers['Authorization'], `the headers editor has an Authorization header: ${JSON.stringify(headers)}`);
    expect(claims(headers['Authorization']).sub).toBe('demo-customer'); // the prefilled token is the demo customer's
    const customer = await stack.customerToken('demo-customer');

    await setEditorValue(page, QUERY_EDITOR, 'subscription { orderStatusChanged { id status } }');
    await recordResults(page);
    const alreadyOpen = await openSubscriptions(stack.gatewayUrl);
    await page.click(RUN_BUTTON);
    // Until the gateway has registered it, a change would not reach the page.
    await eventually(async () => (await openSubscriptions(stack!.gatewayUrl)) > alreadyOpen, {
      what: "the page's subscription at the gateway",
      timeoutMs: 30_000,
    });

    // The order is placed through the API, not the page: the page only listens.
    const placed = await orders.placed(customer, { lines: [{ productId, quantity: 1 }] });

    // Each message replaces the last in the result pane; wait until ASSIGNED is shown...
    const statuses = async (): Promise<string[]> => {
      const values = await page.evaluate(() => (globalThis as unknown as PageGlobals).playgroundResults ?? []);
      return values.flatMap((value) => {
        if (value.trim() === '') return []; // GraphiQL empties the pane when an operation starts
        const message = JSON.parse(value) as { data?: { orderStatusChanged?: { id: string; status: string } }; errors?: unknown };
        expect({ value, errors: message.errors }).toStrictEqual({ value, errors: undefined }); // no errors in the result pane
        const order = message.data?.orderStatusChanged;
        assert.ok(order, `an order in the result pane: ${value}`);
        return order.id === placed.id ? [order.status] : [];
      });
    };
    await page.waitForFunction(
      ({ selector, id }) => {
        const { document } = globalThis as unknown as PageGlobals;
        const text = document.querySelector(selector)?.CodeMirror?.getValue() ?? '';
        return text.includes(id) && text.includes('"ASSIGNED"');
      },
      { selector: RESULT_EDITOR, id: placed.id },
      { timeout: 30_000 },
    );
    // ...having shown CONFIRMED before it, once each.
    expect(await statuses()).toStrictEqual(['CONFIRMED', 'ASSIGNED']); // the statuses the result pane showed, in order
    // What the person sees, not only the editor's model.
    const visible = await page.locator('section.result-window').innerText();
    expect(visible).toMatch(/ASSIGNED/);
    expect(visible).toContain(placed.id); // the order id is shown
    // The subscription is still live: GraphiQL offers to stop it.
    expect((await page.locator(RUN_BUTTON).getAttribute('aria-label')) ?? '').toMatch(/^Stop query/);

    const screenshot = path.join(ROOT, '.data', 'test-logs', stack.dbPrefix, 'playground-subscription.png');
    await page.screenshot({ path: screenshot });
    console.info(`screenshot: ${screenshot}`);

    expect(sockets).toStrictEqual([`${origin.replace(/^http/, 'ws')}/graphql`]); // one WebSocket, to the gateway's /graphql
    expect(foreign).toStrictEqual([]);
    expect(pageErrors).toStrictEqual([]); // no uncaught errors in the page
  } finally {
    await context.close();
  }
}, 120_000);
