/**
 * `npm run bench:subscriptions`: how long a live message takes to reach each of 1,000 subscribers
 * connected to the gateway over graphql-ws, with every service a real process on this machine.
 *   A. one change fanned out: 1,000 anonymous subscribers on one product's `stockChanged`
 *      (identical subscribers share one execution per change);
 *   B. many customers, each following their own orders: 1,000 customers with one socket each on
 *      `orderStatusChanged`; a sample of them place an order that staff then start baking;
 *   C. as A, but each subscriber signed in as its own customer (as a phone app is): products
 *      are the same for every viewer, so they still share one execution per change.
 *
 * Each latency is measured up to the moment this process reads the message from its socket, from
 * three starting points: the live notice seen on Redis by this process (the change is committed and
 * published: the gateway's own path), the mutation's HTTP response, and the mutation's request
 * being sent. The clients run in this process and compete for the same cores as the system.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createClient } from 'graphql-ws';
import { Redis } from 'ioredis';
import WebSocket from 'ws';
import { liveChannelKey } from '../lib/live.js';
import { orderStatusTopic } from '../subgraphs/order/src/live-topic.js';
import { stockTopic } from '../subgraphs/stock/src/live-topic.js';
import { startInfrastructure } from '../scripts/infra/index.js';
import { pointUpdateLatencies, summary } from './measure.js';
import { OrderDriver } from '../test/support/orders.js';
import { startStack, type Stack } from '../test/support/stack.js';

const SUBSCRIBERS = Number(process.env.BENCH_SUBSCRIBERS ?? 1_000);
const STOCK_CHANGES = Number(process.env.BENCH_STOCK_CHANGES ?? 20);
const ORDER_SAMPLES = Number(process.env.BENCH_ORDER_SAMPLES ?? 30);
const SIGNED_CHANGES = Number(process.env.BENCH_SIGNED_CHANGES ?? 5);
/** `raw` (graphql-transport-ws spoken directly over `ws`) or `graphql-ws` (its createClient). */
const CLIENT = process.env.BENCH_CLIENT === 'graphql-ws' ? 'graphql-ws' : 'raw';
/** Subscribers connect in waves of this many, each wave waited on before the next. */
const WAVE = 100;
/** The whole run stops (and cleans up) after this long, whatever it is doing. */
const TOTAL_TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT_MS ?? 20 * 60_000);
const CHANGE_TIMEOUT_MS = 120_000;
/** Which scenarios to run, e.g. `A,C`. */
const SCENARIOS = new Set(
  (process.env.BENCH_SCENARIOS ?? 'A,B,C')
    .toUpperCase()
    .split(',')
    .map((name) => name.trim()),
);

// ------------------------------------------------------------------ figures

const ms = (value: number) => `${value.toFixed(1)} ms`;
const line = (label: string, text: string) => console.log(`  ${label.padEnd(34)} ${text}`);

// ------------------------------------------------------------------ clients

interface Arrival {
  at: number;
  data: Record<string, Record<string, unknown> | null> | null;
  errors?: unknown;
}

interface LiveClient {
  readonly arrivals: Arrival[];
  /** Set when the subscription fails or the socket closes before we close it. */
  failure: string | undefined;
  close(): void;
}

/** graphql-transport-ws spoken directly: one socket, one subscription, nothing else. */
function rawClient(url: string, token: string | undefined, query: string, variables: Record<string, unknown>): LiveClient {
  let closing = false;
  const socket = new WebSocket(url, 'graphql-transport-ws', { perMessageDeflate: false });
  const client: LiveClient = {
    arrivals: [],
    failure: undefined,
    close: () => {
      closing = true;
      socket.terminate();
    },
  };
  socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: token ? { authorization: `Bearer ${token}` } : {} })));
  socket.on('message', (raw) => {
    const at = performance.now();
    const message = JSON.parse(String(raw)) as { type: string; payload?: { data?: Arrival['data']; errors?: unknown } };
    switch (message.type) {
      case 'connection_ack':
        socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query, variables } }));
        break;
      case 'next':
        client.arrivals.push({ at, data: message.payload?.data ?? null, ...(message.payload?.errors ? { errors: message.payload.errors } : {}) });
        break;
      case 'ping':
        socket.send(JSON.stringify({ type: 'pong' }));
        break;
      case 'error':
        client.failure ??= `subscription refused: ${JSON.stringify(message.payload)}`;
        break;
      case 'complete':
        client.failure ??= 'subscription completed by the server';
        break;
    }
  });
  socket.on('error', (error) => (client.failure ??= `socket error: ${error.message}`));
  socket.on('close', (code, reason) => {
    if (!closing) client.failure ??= `socket closed ${code} ${String(reason)}`;
  });
  return client;
}

/** The same through graphql-ws's own client (heavier: it validates every message). */
function graphqlWsClient(url: string, token: string | undefined, query: string, variables: Record<string, unknown>): LiveClient {
  let closing = false;
  const ws = createClient({
    url,
    webSocketImpl: WebSocket,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    lazy: false,
    retryAttempts: 0,
    onNonLazyError: (error) => (client.failure ??= `connection failed: ${String(error)}`),
    on: {
      closed: (event) => {
        if (!closing) client.failure ??= `socket closed ${(event as { code?: number }).code}`;
      },
    },
  });
  const client: LiveClient = {
    arrivals: [],
    failure: undefined,
    close: () => {
      closing = true;
      void ws.dispose();
    },
  };
  ws.subscribe(
    { query, variables },
    {
      next: (message) =>
        client.arrivals.push({ at: performance.now(), data: (message.data ?? null) as Arrival['data'], ...(message.errors ? { errors: message.errors } : {}) }),
      error: (error) => (client.failure ??= `subscription refused: ${JSON.stringify(error)}`),
      complete: () => {
        if (!closing) client.failure ??= 'subscription completed by the server';
      },
    },
  );
  return client;
}

const newClient = CLIENT === 'raw' ? rawClient : graphqlWsClient;

// ------------------------------------------------------------------ CPU of each process

/** The pid of the process listening on a local TCP port (Linux /proc), or undefined. */
function pidListeningOn(port: number): number | undefined {
  try {
    const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
    const inodes = new Set<string>();
    for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
      for (const row of readFileSync(table, 'utf8').split('\n').slice(1)) {
        const fields = row.trim().split(/\s+/);
        if (fields[1]?.endsWith(`:${hexPort}`) && fields[3] === '0A' && fields[9]) inodes.add(fields[9]);
      }
    }
    for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
      let fds: string[];
      try {
        fds = readdirSync(`/proc/${pid}/fd`);
      } catch {
        continue;
      }
      for (const fd of fds) {
        try {
          const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
          if (target.startsWith('socket:[') && inodes.has(target.slice(8, -1))) return Number(pid);
        } catch {
          // gone, or not ours to read
        }
      }
    }
  } catch {
    // not Linux: no per-process CPU figures
  }
  return undefined;
}

const TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU seconds a process has used (user + system), from /proc. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/** The whole machine's busy and total CPU seconds so far (every core), from /proc/stat. */
function machineSeconds(): { busy: number; total: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = fields.reduce((sum, value) => sum + value, 0);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  return { busy: (total - idle) / TICKS_PER_SECOND, total: total / TICKS_PER_SECOND };
}

interface CpuUse {
  /** Seconds measured. */
  wall: number;
  /** CPU seconds each process used meanwhile, busiest first. */
  used: Array<[string, number]>;
  /** CPU seconds the whole machine used meanwhile (every process, ours or not). */
  machine: number | undefined;
}

class CpuMeter {
  constructor(private readonly pids: Array<[string, number]>) {}

  /** Starts measuring; the function returned tells what each process used since then. */
  start(): () => CpuUse {
    const wallStart = performance.now();
    const before = this.pids.map(([, pid]) => safe(() => cpuSeconds(pid)));
    const selfBefore = process.cpuUsage();
    const machineBefore = safeMachine();
    return () => {
      const wall = (performance.now() - wallStart) / 1000;
      const self = process.cpuUsage(selfBefore);
      const used: Array<[string, number]> = this.pids.map(([name, pid], index) => [name, safe(() => cpuSeconds(pid)) - (before[index] ?? 0)]);
      used.push(['bench (clients)', (self.user + self.system) / 1e6]);
      const machineAfter = safeMachine();
      return {
        wall,
        used: used.filter(([, seconds]) => !Number.isNaN(seconds)).sort((a, b) => b[1] - a[1]),
        machine: machineBefore && machineAfter ? machineAfter.busy - machineBefore.busy : undefined,
      };
    };
  }
}

/** Each process's share of one core, and the machine's, over the measured time. */
function cpuShares({ wall, used, machine }: CpuUse): string {
  const ours = used.reduce((sum, [, seconds]) => sum + seconds, 0);
  const shares = used
    .filter(([, seconds]) => seconds / wall >= 0.005)
    .map(([name, seconds]) => `${name} ${Math.round((seconds / wall) * 100)}%`)
    .join(', ');
  if (machine === undefined) return shares;
  return `${shares}; whole machine ${Math.round((machine / wall) * 100)}% of ${os.cpus().length * 100}% (processes not of this run: ${Math.max(0, Math.round(((machine - ours) / wall) * 100))}%)`;
}

/** CPU milliseconds each process spent per unit of work (a change). */
function cpuPer({ used }: CpuUse, units: number): string {
  return used
    .filter(([, seconds]) => (seconds * 1000) / units >= 0.5)
    .map(([name, seconds]) => `${name} ${((seconds * 1000) / units).toFixed(0)} ms`)
    .join(', ');
}

const safeMachine = () => {
  try {
    return machineSeconds();
  } catch {
    return undefined;
  }
};
const safe = (read: () => number) => {
  try {
    return read();
  } catch {
    return NaN;
  }
};

// ------------------------------------------------------------------ waiting

const sleep = (millis: number) => new Promise((resolve) => setTimeout(resolve, millis));

/** Polls until `done`; fails at the deadline, or at once when a client has failed. */
async function until(what: string, timeoutMs: number, done: () => boolean | Promise<boolean>, clients: readonly LiveClient[] = []): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (await done()) return;
    const failed = clients.find((client) => client.failure !== undefined);
    if (failed) throw new Error(`while waiting for ${what}: ${failed.failure}`);
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(5);
  }
}

// ------------------------------------------------------------------ the run

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'bakery-bench-live-'));
const infra = await startInfrastructure({ dataDir, ...(process.env.MONGODB_URL ? { mongoUrl: process.env.MONGODB_URL } : {}) });
process.env.MONGODB_URL = infra.mongoUrl;
process.env.REDIS_URL = infra.redisUrl;

let stack: Stack | undefined;
let notices: Redis | undefined;
const open: LiveClient[] = [];
let cleaning: Promise<void> | undefined;
const cleanup = () =>
  (cleaning ??= (async () => {
    for (const client of open.splice(0)) client.close();
    notices?.disconnect();
    await stack?.stop().catch((error: unknown) => console.error('stopping the stack:', error));
    await infra.stop();
    rmSync(dataDir, { recursive: true, force: true });
  })());
const watchdog = setTimeout(() => {
  console.error(`bench:subscriptions did not finish within ${TOTAL_TIMEOUT_MS / 60_000} min: stopping`);
  void cleanup().finally(() => process.exit(1));
}, TOTAL_TIMEOUT_MS);
process.once('SIGINT', () => void cleanup().finally(() => process.exit(130)));

try {
  stack = await startStack({ env: { LOG_LEVEL: 'warn' } });
  const live = stack;
  const wsUrl = live.gatewayUrl.replace(/^http/, 'ws');
  const orders = new OrderDriver(live);

  const cpus = os.cpus();
  console.log('bench:subscriptions: live messages through the gateway over graphql-ws');
  console.log(
    `machine: ${cpus.length} cores (${cpus[0]?.model.trim() ?? 'unknown'}), ${Math.round(os.totalmem() / 2 ** 30)} GB RAM, Node ${process.version}, load average before the run ${os.loadavg()[0]?.toFixed(2)}`,
  );
  console.log(
    `everything shares those ${cpus.length} cores: the database, Redis, the 6 service processes, and this process, which runs all ${SUBSCRIBERS} clients ` +
      `(${CLIENT === 'raw' ? 'graphql-transport-ws spoken directly over `ws`' : "graphql-ws's createClient over `ws`"}), sends the mutations and takes the times`,
  );

  const updates = await pointUpdateLatencies(infra.mongoUrl, `${live.dbPrefix}_bench`);
  console.log(`database baseline, point update by _id: ${summary(updates)} (FerretDB here says nothing about MongoDB)`);
  console.log('latency: from t0 until this process read the message off its socket, for three t0s:');
  console.log("  notice   = the change's live notice reached this process on Redis (committed and published: what follows is the gateway's work)");
  console.log("  response = the mutation's HTTP response arrived (the notice goes out before the response, so this can be negative)");
  console.log("  sent     = the mutation's request was sent");

  // Every live notice, as the gateway gets it: the honest "the change is committed" instant.
  const seen: Array<{ at: number; channel: string; notice: Record<string, unknown> }> = [];
  const stockChannel = liveChannelKey(live.redisPrefix, stockTopic);
  const orderChannel = liveChannelKey(live.redisPrefix, orderStatusTopic);
  notices = new Redis(infra.redisUrl, { connectionName: 'bench-live' });
  notices.on('message', (channel: string, message: string) =>
    seen.push({ at: performance.now(), channel, notice: JSON.parse(message) as Record<string, unknown> }),
  );
  await notices.subscribe(stockChannel, orderChannel);
  const noticeAt = (channel: string, match: (notice: Record<string, unknown>) => boolean) =>
    seen.find((entry) => entry.channel === channel && match(entry.notice))?.at;

  const port = (url: string) => Number(new URL(url).port);
  const meter = new CpuMeter(
    (
      [
        ['gateway', port(live.gatewayUrl)],
        ...(['stock', 'order', 'payment', 'delivery', 'workers'] as const).map((name): [string, number] => [name, port(live.services.url(name))]),
        ['database', port(infra.mongoUrl.replace(/^mongodb:/, 'http:'))],
        ['redis', port(infra.redisUrl.replace(/^redis:/, 'http:'))],
      ] as Array<[string, number]>
    )
      .map(([name, listening]): [string, number | undefined] => [name, pidListeningOn(listening)])
      .filter((entry): entry is [string, number] => entry[1] !== undefined),
  );

  const openSubscriptions = async () => {
    const health = (await (await fetch(new URL('/health/live', live.gatewayUrl))).json()) as { subscriptions?: number };
    return health.subscriptions ?? 0;
  };

  /** Connects `count` subscribers in waves, and waits until the gateway serves them all (and each has its first message). */
  async function connect(count: number, make: (index: number) => LiveClient, firstMessage: boolean): Promise<{ clients: LiveClient[]; seconds: number }> {
    const started = performance.now();
    const clients: LiveClient[] = [];
    for (let from = 0; from < count; from += WAVE) {
      const wave = Array.from({ length: Math.min(WAVE, count - from) }, (_, offset) => make(from + offset));
      clients.push(...wave);
      open.push(...wave);
      if (firstMessage)
        await until(`first messages of subscribers ${from + 1}-${clients.length}`, 60_000, () => wave.every((client) => client.arrivals.length >= 1), wave);
      else await until(`${clients.length} open subscriptions`, 60_000, async () => (await openSubscriptions()) >= clients.length, wave);
    }
    await until(`${count} open subscriptions`, 60_000, async () => (await openSubscriptions()) >= count, clients);
    return { clients, seconds: (performance.now() - started) / 1000 };
  }

  async function disconnect(clients: LiveClient[]): Promise<void> {
    for (const client of clients) {
      client.close();
      open.splice(open.indexOf(client), 1);
    }
    await until('the gateway to close every subscription', 30_000, async () => (await openSubscriptions()) === 0);
  }

  const available = (arrival: Arrival | undefined) => arrival?.data?.stockChanged?.available;

  /**
   * Restocks the product by one, `changes` times, one at a time: each time, waits until every
   * client has the message with the new level. Returns the latencies over every client x change.
   */
  async function stockChanges(clients: LiveClient[], productId: string, changes: number) {
    const fromNotice: number[] = [];
    const fromResponse: number[] = [];
    const fromSent: number[] = [];
    const toFirst: number[] = [];
    const toLast: number[] = [];
    let unexpected = 0;
    const consumed = clients.map((client) => client.arrivals.length);
    const cpu = meter.start();
    for (let change = 0; change < changes; change++) {
      const sent = performance.now();
      const response = await live.graphql<{ restockProduct: { available: number } }>(
        'mutation($id: ID!) { restockProduct(id: $id, quantity: 1) { available } }',
        {
          token: live.staffToken,
          variables: { id: productId },
        },
      );
      const answered = performance.now();
      const level = response.data?.restockProduct.available;
      if (level === undefined) throw new Error(`restockProduct failed: ${JSON.stringify(response.errors)}`);
      const arrivals: Arrival[] = new Array(clients.length);
      await until(
        `${clients.length} messages with available ${level}`,
        CHANGE_TIMEOUT_MS,
        () => {
          let all = true;
          clients.forEach((client, index) => {
            if (arrivals[index]) return;
            for (let at = consumed[index]!; at < client.arrivals.length; at++) {
              const arrival = client.arrivals[at]!;
              consumed[index] = at + 1;
              if (available(arrival) === level && !arrival.errors) {
                arrivals[index] = arrival;
                return;
              }
              unexpected++;
            }
            all = false;
          });
          return all;
        },
        clients,
      );
      const published = noticeAt(stockChannel, (notice) => notice.productId === productId && notice.available === level);
      if (published === undefined) throw new Error(`no stock notice seen for level ${level}`);
      for (const arrival of arrivals) {
        fromNotice.push(arrival.at - published);
        fromResponse.push(arrival.at - answered);
        fromSent.push(arrival.at - sent);
      }
      toFirst.push(Math.min(...arrivals.map((arrival) => arrival.at)) - published);
      toLast.push(Math.max(...arrivals.map((arrival) => arrival.at)) - published);
    }
    const cpuUse = cpu();
    // Anything that came after the last awaited message is a repeat or a stray.
    await sleep(300);
    unexpected += clients.reduce((sum, client, index) => sum + client.arrivals.length - consumed[index]!, 0);
    return { fromNotice, fromResponse, fromSent, toFirst, toLast, unexpected, cpuUse };
  }

  function reportStock(result: Awaited<ReturnType<typeof stockChanges>>, clients: number, changes: number) {
    line('messages', `${changes} changes x ${clients} subscribers = ${result.fromNotice.length} messages, each received once; ${result.unexpected} unexpected`);
    line('from notice on Redis', summary(result.fromNotice));
    line('from mutation response', summary(result.fromResponse));
    line('from mutation sent', summary(result.fromSent));
    line('per change, notice to first message', summary(result.toFirst));
    line('per change, notice to last message', summary(result.toLast));
    line('CPU while measuring (1 core = 100%)', cpuShares(result.cpuUse));
    line('CPU per change', cpuPer(result.cpuUse, changes));
  }

  // ---------------------------------------------------------------- A: one change, 1,000 identical subscribers
  if (SCENARIOS.has('A')) {
    const productId = await orders.product(1_000, 5_000);
    const query = 'subscription($id: ID) { stockChanged(productId: $id) { available soldOut } }';
    const { clients, seconds } = await connect(SUBSCRIBERS, () => newClient(wsUrl, undefined, query, { id: productId }), true);
    const wrong = clients.filter((client) => available(client.arrivals[0]) !== 1_000).length;
    if (wrong > 0) throw new Error(`${wrong} subscribers did not start with the current level`);
    console.log(
      `\nA. fan-out of one change: ${SUBSCRIBERS} anonymous subscribers on stockChanged(productId) of one product, restocked by staff ${STOCK_CHANGES} times`,
    );
    line('connected', `${seconds.toFixed(1)} s, in waves of ${WAVE}, each with its first message (the current state: one gateway query per subscriber)`);
    reportStock(await stockChanges(clients, productId, STOCK_CHANGES), SUBSCRIBERS, STOCK_CHANGES);
    await disconnect(clients);
  }

  // ---------------------------------------------------------------- B: 1,000 customers, each on their own orders
  const tokens = await Promise.all(Array.from({ length: SUBSCRIBERS }, (_, index) => live.customerToken(`bench-live-${index}`)));
  if (SCENARIOS.has('B')) {
    const query = 'subscription { orderStatusChanged { id status payment { status } delivery { baker { name } } } }';
    const { clients, seconds } = await connect(SUBSCRIBERS, (index) => newClient(wsUrl, tokens[index], query, {}), false);
    console.log(
      `\nB. ${SUBSCRIBERS} customers, one socket each, on orderStatusChanged (all their own orders); ${ORDER_SAMPLES} of them place an order, staff start baking it`,
    );
    line('connected', `${seconds.toFixed(1)} s, in waves of ${WAVE} (no first message without an orderId)`);
    const productId = await orders.product(100_000, 3_500);
    const fromNotice: number[] = [];
    const fromResponse: number[] = [];
    const fromSent: number[] = [];
    const samples = Array.from({ length: Math.min(ORDER_SAMPLES, SUBSCRIBERS) }, (_, sample) =>
      Math.floor((sample * SUBSCRIBERS) / Math.min(ORDER_SAMPLES, SUBSCRIBERS)),
    );
    type LiveOrder = { id?: string; status?: string; payment?: { status?: string } | null; delivery?: { baker?: { name?: string } | null } | null };
    const find = (client: LiveClient, orderId: string, status: string) =>
      client.arrivals.find((arrival) => {
        const order = arrival.data?.orderStatusChanged as LiveOrder | null | undefined;
        return order?.id === orderId && order.status === status;
      });
    const cpu = meter.start();
    for (const index of samples) {
      const client = clients[index]!;
      const token = tokens[index]!;
      const order = await orders.placed(token, { lines: [{ productId, quantity: 1 }] });
      await until(`order ${order.id} ASSIGNED on its customer's socket`, 30_000, () => find(client, order.id, 'ASSIGNED') !== undefined, [client]);
      const sent = performance.now();
      const response = await orders.staff('startBaking', order.id);
      const answered = performance.now();
      if (response.errors) throw new Error(`startBaking failed: ${JSON.stringify(response.errors)}`);
      await until(`order ${order.id} BAKING on its customer's socket`, CHANGE_TIMEOUT_MS, () => find(client, order.id, 'BAKING') !== undefined, [client]);
      const arrival = find(client, order.id, 'BAKING')!;
      const message = arrival.data?.orderStatusChanged as LiveOrder;
      if (arrival.errors || !message.payment?.status || !message.delivery?.baker?.name)
        throw new Error(`incomplete BAKING message: ${JSON.stringify(arrival)}`);
      const published = noticeAt(orderChannel, (notice) => notice.orderId === order.id && notice.status === 'BAKING');
      if (published === undefined) throw new Error(`no order notice seen for ${order.id} BAKING`);
      fromNotice.push(arrival.at - published);
      fromResponse.push(arrival.at - answered);
      fromSent.push(arrival.at - sent);
    }
    const cpuUse = cpu();
    await sleep(300);
    const sampled = new Set(samples);
    const strays = clients.reduce((sum, client, index) => sum + (sampled.has(index) ? client.arrivals.length - 3 : client.arrivals.length), 0);
    line('messages', `${samples.length} orders followed CONFIRMED, ASSIGNED, BAKING on their customer's socket; ${strays} messages anywhere else or repeated`);
    line('BAKING, from notice on Redis', summary(fromNotice));
    line('BAKING, from mutation response', summary(fromResponse));
    line('BAKING, from mutation sent', summary(fromSent));
    line('CPU while measuring (1 core = 100%)', `${cpuShares(cpuUse)} (includes placing each order and its assignment)`);
    await disconnect(clients);
  }

  // ---------------------------------------------------------------- C: as A, each subscriber signed in
  if (SCENARIOS.has('C') && SIGNED_CHANGES > 0) {
    const productId = await orders.product(1_000, 5_000);
    const query = 'subscription($id: ID) { stockChanged(productId: $id) { available soldOut } }';
    const { clients, seconds } = await connect(SUBSCRIBERS, (index) => newClient(wsUrl, tokens[index], query, { id: productId }), true);
    console.log(
      `\nC. as A, but each of the ${SUBSCRIBERS} subscribers signed in as its own customer (products are public, so still one shared execution per change); ${SIGNED_CHANGES} restocks`,
    );
    line('connected', `${seconds.toFixed(1)} s, in waves of ${WAVE}, each with its first message`);
    reportStock(await stockChanges(clients, productId, SIGNED_CHANGES), SUBSCRIBERS, SIGNED_CHANGES);
    await disconnect(clients);
    // For comparison: what the gateway does per change here, as plain HTTP queries sent all at once.
    const cpu = meter.start();
    const started = performance.now();
    const results = await Promise.all(
      tokens.map((token) =>
        live.graphql<{ product: { available: number } }>('query($id: ID!) { product(id: $id) { available soldOut } }', { token, variables: { id: productId } }),
      ),
    );
    const wall = performance.now() - started;
    const failed = results.filter((result) => result.errors || !result.data?.product).length;
    line(
      `baseline: ${SUBSCRIBERS} HTTP queries`,
      `product(id) with the same ${SUBSCRIBERS} tokens, all sent at once, no subscribers: ${ms(wall)} wall, ${failed} failed`,
    );
    line('  CPU for them', cpuPer(cpu(), 1));
  }
} finally {
  clearTimeout(watchdog);
  await cleanup();
}
