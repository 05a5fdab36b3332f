/**
 * `npm run chaos`: a rush while every process is killed with SIGKILL in turn and Redis is killed
 * and started again, on the default configuration, supervised as `npm start` supervises (a killed
 * process is started again by its launcher). Customers order (cards, 20% declined; wallets; pickup
 * and delivery; some cancel) and staff move orders along, all through the gateway, retrying every
 * failed placement with its idempotency key. Then it waits for the system to settle by itself and
 * checks every invariant of issue 14 (test/support/invariants.ts).
 *
 * Prints a table and writes it to bench/results/chaos.md: placements, answered, failures by code,
 * how long each process took to come back, how long until every order settled, each invariant with
 * its figures. Exits non-zero when an invariant does not hold.
 *
 *   CHAOS_CUSTOMERS=12  CHAOS_STAFF=2  CHAOS_CALM_MS=8000 (load between faults)  CHAOS_REDIS_DOWN_MS=5000
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startInfrastructure } from '../scripts/infra/index.js';
import { OwnRedis } from '../scripts/infra/redis.js';
import { START_ORDER } from '../scripts/services.js';
import { failures, Invariants, type InvariantResult } from '../test/support/invariants.js';
import { OrderDriver } from '../test/support/orders.js';
import { Rush } from '../test/support/rush.js';
import { startStack } from '../test/support/stack.js';
import { Subscriber } from '../test/support/subscriber.js';
import { eventually } from '../test/support/wait.js';
import { report } from './measure.js';

const CUSTOMERS = Number(process.env.CHAOS_CUSTOMERS ?? 12);
const STAFF = Number(process.env.CHAOS_STAFF ?? 2);
const CALM_MS = Number(process.env.CHAOS_CALM_MS ?? 8_000);
const REDIS_DOWN_MS = Number(process.env.CHAOS_REDIS_DOWN_MS ?? 5_000);
/** The bound: within 60 s of the last fault every order has settled. */
const SETTLE_BOUND_MS = 60_000;
/** How long the run waits for the invariants before it reports them as they stand. */
const SETTLE_WAIT_MS = 180_000;

const sum = (counts: Map<string, number>) => [...counts.values()].reduce((total, n) => total + n, 0);
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const seconds = (ms: number) => `${(ms / 1_000).toFixed(1)} s`;
const log = (line: string) => console.log(`[chaos ${new Date().toISOString().slice(11, 19)}] ${line}`);

const dataDir = mkdtempSync(path.join(tmpdir(), 'bakery-chaos-'));
// A Redis of the run's own, with an append-only file as npm start runs it: the run kills it.
const redis = await OwnRedis.start({ dir: path.join(dataDir, 'redis') });
const infra = await startInfrastructure({ dataDir, durability: 'durable', redisUrl: redis.url });
process.env.MONGODB_URL = infra.mongoUrl;
process.env.REDIS_URL = redis.url;
const stack = await startStack({ env: { LOG_LEVEL: 'warn' }, restartCrashed: true });
const invariants = await Invariants.open(infra.mongoUrl, stack.dbPrefix);
let exitCode = 0;

try {
  log(`system up (logs in ${stack.logDir}); ${CUSTOMERS} customers and ${STAFF} staff start`);
  const driver = new OrderDriver(stack);
  const products = [await driver.product(5_000, 1_200), await driver.product(5_000, 2_500), await driver.product(5_000, 4_000)];
  const rush = new Rush(stack, { customers: CUSTOMERS, staff: STAFF, products });
  const loadStarted = Date.now();
  await rush.start();
  await pause(CALM_MS);

  const comeback: Array<[string, string]> = [];
  for (const name of START_ORDER) {
    const before = stack.services.restarts.length;
    log(`SIGKILL ${name}`);
    stack.services.signal(name, 'SIGKILL');
    const restart = await eventually(async () => stack.services.restarts.slice(before).find((r) => r.name === name), {
      what: `${name} to come back`,
      timeoutMs: 120_000,
      intervalMs: 100,
    });
    log(`${name} back after ${seconds(restart.readyAt - restart.exitedAt)}`);
    comeback.push([name, seconds(restart.readyAt - restart.exitedAt)]);
    await pause(CALM_MS);
  }

  // Subscriptions: a staff feed of every order's changes, open across the Redis restart.
  const feed = new Subscriber<{ orderStatusChanged: { id: string; status: string } }>(stack.gatewayUrl, stack.staffToken);
  feed.subscribe('subscription { orderStatusChanged { id status } }');
  await eventually(async () => feed.messages.length > 0, { what: 'the staff feed to receive a change', timeoutMs: 30_000 });

  log(`SIGKILL redis; starting it again in ${seconds(REDIS_DOWN_MS)}`);
  const redisKilled = Date.now();
  await redis.kill('SIGKILL');
  const answeredBefore = rush.figures.answered;
  const failedBefore = sum(rush.figures.failures);
  await pause(REDIS_DOWN_MS);
  const answeredDuring = rush.figures.answered - answeredBefore;
  const failedDuring = sum(rush.figures.failures) - failedBefore;
  await redis.start();
  const redisBack = Date.now() - redisKilled;
  const messagesAtRestart = feed.messages.length;
  log(`redis back after ${seconds(redisBack)}`);
  comeback.push(['redis (killed, started again by the run)', seconds(redisBack)]);
  await pause(CALM_MS);
  const lastFault = redisKilled + redisBack;

  await rush.stop();
  const loadMs = Date.now() - loadStarted;
  const feedResumed = feed.messages.length - messagesAtRestart;
  await feed.dispose();
  log(`load stopped after ${seconds(loadMs)}; waiting for every order to settle`);

  const { results, settledMs } = await invariants.settle({ acknowledged: rush.acknowledged, deposits: rush.deposits }, SETTLE_WAIT_MS);
  const sinceLastFault = settledMs === null ? null : Date.now() - lastFault;
  const f = rush.figures;
  const codes = (counts: Map<string, number>) =>
    [...counts]
      .sort((a, b) => b[1] - a[1])
      .map(([code, n]) => `${code} ${n}`)
      .join(', ') || 'none';
  const uncoded = [...f.failures.keys(), ...f.otherFailures.keys()].filter((code) => ['HTML', 'uncoded', 'INTERNAL_SERVER_ERROR', 'hang'].includes(code));
  const clientFailures: InvariantResult = {
    name: 'every failure a client saw was a coded JSON error or a dropped connection',
    holds: uncoded.length === 0 && f.hangs === 0,
    figures: `placements: ${codes(f.failures)}; other requests: ${codes(f.otherFailures)}; hangs past the client's 15 s: ${f.hangs}`,
    examples: uncoded,
  };
  const safeRetry: InvariantResult = {
    name: 'a retry with the same key never made a second order',
    holds: f.keysWithTwoOrders === 0,
    figures: `${f.retriesAnswered} placements answered on a retry; ${f.keysWithTwoOrders} keys with two orders`,
    examples: [],
  };
  const settledInTime: InvariantResult = {
    name: `settled within ${seconds(SETTLE_BOUND_MS)} of the last fault`,
    holds: sinceLastFault !== null && sinceLastFault <= SETTLE_BOUND_MS,
    figures:
      sinceLastFault === null ? `not settled within ${seconds(SETTLE_WAIT_MS)} of the end of the load` : `${seconds(sinceLastFault)} after Redis came back`,
    examples: [],
  };
  const checks = [...results, clientFailures, safeRetry, settledInTime];
  const rows: Array<Array<string | number>> = [
    ['what', 'figure'],
    ['load', `${CUSTOMERS} customers, ${STAFF} staff, ${seconds(loadMs)}; each of ${START_ORDER.length} processes SIGKILLed in turn, then Redis`],
    ['placements', f.placements],
    ['answered with an order', f.answered],
    ['given up by the client after its retries', f.givenUp],
    ['placement failures by code (each attempt)', codes(f.failures)],
    ['other request failures by code', codes(f.otherFailures)],
    ['cancels', f.cancels],
    ['staff moves', f.staffMoves],
    ...comeback.map(([name, took]): [string, string] => [`${name}: killed to ready`, took]),
    ['placements while Redis was down: answered with an order / failed attempts', `${answeredDuring} / ${failedDuring}`],
    ['live changes on a subscription opened before the Redis restart, received after it', feedResumed],
    ['every order settled', sinceLastFault === null ? 'no' : `${seconds(sinceLastFault)} after the last fault (Redis back)`],
    ...checks.map((check): [string, string] => [`${check.holds ? 'holds' : 'FAILS'}: ${check.name}`, check.figures]),
  ];
  const failed = checks.filter((check) => !check.holds);
  report('chaos', 'npm run chaos: SIGKILL every process in turn and restart Redis in a rush', rows, [
    `Each restarted process starts through tsx (from source), as under npm start; on a shared 2-core machine times are noise.`,
    ...(failed.length > 0 ? [`What failed:\n${failures(failed)}`] : []),
  ]);
  if (failed.length > 0) exitCode = 1;
} catch (error) {
  console.error(error);
  exitCode = 1;
} finally {
  await invariants.close();
  await stack.stop();
  await infra.stop();
  await redis.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
process.exit(exitCode);
