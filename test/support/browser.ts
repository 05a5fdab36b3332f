/**
 * Headless Chromium for browser tests, driven by playwright-core (which downloads
 * no browser): Debian's /usr/bin/chromium, installed by scripts/install-chromium.sh.
 */
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import type { Browser, LaunchOptions, Page, Request } from 'playwright-core';

export const CHROMIUM_PATH = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

/**
 * Headless Chromium's background networking (component updates, safe browsing,
 * sync, QUIC probes...) would try to reach the internet, which this machine's
 * network refuses: all of it is switched off.
 */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export async function launchBrowser(options: LaunchOptions = {}): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`Chromium not found at ${CHROMIUM_PATH}: run 'bash scripts/install-chromium.sh' (or set CHROMIUM_PATH)`);
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    timeout: 60_000,
    ...options,
    args: [...CHROMIUM_ARGS, ...(options.args ?? [])],
  });
}

/**
 * Records every request the page makes (documents, scripts, styles, fetches,
 * WebSockets, images...) whose origin differs from `origin`. data: and blob:
 * URLs, which make no network request, are ignored. Attempts that the page's
 * Content-Security-Policy blocked (and so never became requests) are recorded
 * too, from Chromium's "Refused to ..." console errors. Attach before navigating.
 */
export function recordForeignRequests(page: Page, origin: string): string[] {
  const expected = new URL(origin);
  const expectedWs = `${expected.protocol === 'https:' ? 'wss:' : 'ws:'}//${expected.host}`;
  const foreign: string[] = [];
  const check = (url: string): void => {
    if (url.startsWith('data:') || url.startsWith('blob:') || url === 'about:blank') return;
    const parsed = new URL(url);
    const isSame =
      parsed.origin === expected.origin || `${parsed.protocol}//${parsed.host}` === expectedWs;
    if (!isSame) foreign.push(url);
  };
  page.on('request', (request: Request) => check(request.url()));
  page.on('websocket', (ws) => check(ws.url()));
  page.on('console', (message) => {
    if (message.type() === 'error' && /Refused to (load|connect|execute|apply|frame)/.test(message.text())) {
      foreign.push(`blocked by CSP: ${message.text()}`);
    }
  });
  return foreign;
}
