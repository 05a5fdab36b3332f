/**
 * The GraphiQL playground served by the gateway, driven in headless Chromium
 * (Debian's, see scripts/install-chromium.sh): it loads from the gateway's own
 * origin only, runs a query through the gateway and shows the result.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, recordForeignRequests } from '../support/browser.js';
import { startStack } from '../support/stack.js';

type Stack = Awaited<ReturnType<typeof startStack>>;

const QUERY_EDITOR = '.graphiql-query-editor .CodeMirror';
const RESULT_EDITOR = 'section.result-window .CodeMirror';
const RUN_BUTTON = '.graphiql-execute-button';

let stack: Stack | undefined;
let browser: Browser | undefined;

before(async () => {
  stack = await startStack();
  browser = await launchBrowser();
}, { timeout: 180_000 });

after(async () => {
  await browser?.close();
  await stack?.stop();
});

/**
 * GraphiQL 4's editors are CodeMirror 5 instances, reachable from their wrapper
 * element. The functions below run in the page; the Node tsconfig has no DOM
 * types, so they reach `document` through globalThis with this minimal shape.
 */
interface CodeMirrorHost {
  CodeMirror?: { getValue(): string; setValue(value: string): void };
}
interface PageGlobals {
  document: { querySelector(selector: string): CodeMirrorHost | null };
}

function editorValue(page: Page, selector: string): Promise<string | null> {
  return page.evaluate((sel) => {
    const { document } = globalThis as unknown as PageGlobals;
    return document.querySelector(sel)?.CodeMirror?.getValue() ?? null;
  }, selector);
}

test('GraphiQL on the gateway runs a query using only the gateway origin', { timeout: 120_000 }, async () => {
  assert.ok(stack && browser, 'stack and browser started');
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  try {
    const page = await context.newPage();
    const origin = new URL(stack.gatewayUrl).origin;
    const foreign = recordForeignRequests(page, origin);
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));

    const response = await page.goto(stack.gatewayUrl);
    assert.equal(response?.status(), 200, 'GET gatewayUrl from a browser answers 200');
    assert.match(response?.headers()['content-type'] ?? '', /^text\/html/);

    // The editors exist once the bundle has loaded and React rendered GraphiQL.
    await page.waitForSelector(QUERY_EDITOR, { timeout: 60_000 });
    await page.evaluate(
      ({ selector, query }) => {
        const { document } = globalThis as unknown as PageGlobals;
        const editor = document.querySelector(selector)?.CodeMirror;
        if (!editor) throw new Error(`no CodeMirror at ${selector}`);
        editor.setValue(query);
      },
      { selector: QUERY_EDITOR, query: '{ products { nodes { sku name } } }' },
    );
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
    assert.equal(result.errors, undefined, `no GraphQL errors: ${text}`);
    const skus = (result.data?.products?.nodes ?? []).map((node) => node.sku);
    assert.ok(skus.includes('SALT-BREAD'), `the seeded SALT-BREAD is listed, got ${JSON.stringify(skus)}`);
    // ...and it is what the person sees in the result pane.
    assert.match(await page.locator('section.result-window').innerText(), /SALT-BREAD/);

    assert.deepEqual(foreign, [], `requests outside ${origin}`);
    assert.deepEqual(pageErrors, [], 'no uncaught errors in the page');
  } finally {
    await context.close();
  }
});
