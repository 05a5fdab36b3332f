/**
 * Headless Chromium for browser tests, driven by playwright-core (which downloads no browser):
 * CHROMIUM_PATH when set, else the system's /usr/bin/chromium, else the Chromium that the
 * @sparticuz/chromium npm package ships, unpacked once into .tools/. So `npm ci && npm test`
 * needs no browser installed.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, LaunchOptions, Page, Request } from 'playwright-core';
import { ROOT } from '../../scripts/services.js';

const SYSTEM_CHROMIUM = '/usr/bin/chromium';

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
  return chromium.launch({
    executablePath: findChromium(),
    headless: true,
    timeout: 60_000,
    ...options,
    args: [...CHROMIUM_ARGS, ...(options.args ?? [])],
  });
}

/**
 * The package's Chromium is a headless shell; the flags above run it too. The package's own list
 * (`chromium.args`) is for serverless hosts and turns off web security, which the playground test
 * relies on: it is not used.
 */
function findChromium(): string {
  const configured = process.env['CHROMIUM_PATH'];
  if (configured) {
    if (!existsSync(configured)) throw new Error(`CHROMIUM_PATH is ${configured}, which does not exist`);
    return configured;
  }
  return existsSync(SYSTEM_CHROMIUM) ? SYSTEM_CHROMIUM : bundledChromium();
}

/**
 * @sparticuz/chromium's binary, unpacked into .tools/chromium-<version>/ on first use. The package
 * unpacks into os.tmpdir() and then trusts whatever is there, so a child process with a private
 * TMPDIR unpacks it, and a rename publishes it whole: an interrupted or concurrent run never leaves
 * a half-written browser behind.
 */
function bundledChromium(): string {
  const manifest = path.join(ROOT, 'node_modules', '@sparticuz', 'chromium', 'package.json');
  const { version } = JSON.parse(readFileSync(manifest, 'utf8')) as { version: string };
  const dir = path.join(ROOT, '.tools', `chromium-${version}`);
  const binary = path.join(dir, 'chromium');
  if (existsSync(binary)) return binary;

  mkdirSync(path.dirname(dir), { recursive: true });
  const partial = mkdtempSync(`${dir}.partial-`);
  const unpack = spawnSync(
    process.execPath,
    ['--input-type=module', '-e', "const { default: chromium } = await import('@sparticuz/chromium'); await chromium.executablePath();"],
    { cwd: ROOT, env: { ...process.env, TMPDIR: partial }, encoding: 'utf8' },
  );
  if (unpack.status !== 0 || !existsSync(path.join(partial, 'chromium'))) {
    rmSync(partial, { recursive: true, force: true });
    throw new Error(`could not unpack the Chromium of @sparticuz/chromium ${version} (set CHROMIUM_PATH to a Chromium instead):\n${unpack.stderr}`);
  }
  try {
    renameSync(partial, dir);
  } catch {
    rmSync(partial, { recursive: true, force: true }); // another run published it first
  }
  return binary;
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
    const isSame = parsed.origin === expected.origin || `${parsed.protocol}//${parsed.host}` === expectedWs;
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
