/**
 * A Redis for local runs and tests: the one configured (REDIS_URL), else the usual local one on
 * 127.0.0.1:6379, else a private `redis-server` without persistence on a free loopback port.
 */
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { freePort, OutputTail, redact, terminate } from './ferretdb.js';

const DEFAULT_URL = 'redis://127.0.0.1:6379';
const READY_TIMEOUT_MS = 10_000;

export interface RunningRedis {
  url: string;
  /** True when this process spawned the server, which stop() then shuts down. */
  startedByUs: boolean;
  /** Stops the server if we started it; otherwise does nothing. Safe to call more than once. */
  stop(): Promise<void>;
}

/**
 * `url` (or REDIS_URL) when given: it must answer PING, or this throws rather than quietly use
 * another server. Without one: redis://127.0.0.1:6379 if it answers, else a `redis-server` we spawn.
 */
export async function ensureRedis(url?: string): Promise<RunningRedis> {
  const configured = url ?? process.env.REDIS_URL;
  if (configured) {
    if (await answersPing(configured)) return external(configured);
    throw new Error(`Redis at ${redact(configured)} (REDIS_URL or the given url) does not answer PING`);
  }
  if (await answersPing(DEFAULT_URL)) return external(DEFAULT_URL);
  return spawnRedis();
}

function external(url: string): RunningRedis {
  return { url, startedByUs: false, stop: async () => {} };
}

async function spawnRedis(): Promise<RunningRedis> {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  // No persistence: this Redis holds queues and notices for one run only.
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const output = new OutputTail();
  child.stdout!.on('data', (chunk: Buffer) => output.push(chunk));
  child.stderr!.on('data', (chunk: Buffer) => output.push(chunk));

  let spawnError: NodeJS.ErrnoException | undefined;
  child.once('error', (error) => {
    spawnError = error;
  });

  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    await sleep(50);
    if (spawnError?.code === 'ENOENT') {
      throw new Error('redis-server is not installed: install it (Debian/Ubuntu package `redis-server`) or set REDIS_URL to a running Redis');
    }
    const failure = spawnError
      ? `could not be spawned: ${spawnError.message}`
      : child.exitCode !== null || child.signalCode !== null
        ? `exited (${child.signalCode ?? `code ${child.exitCode}`})`
        : Date.now() > deadline
          ? `did not answer PING within ${READY_TIMEOUT_MS / 1000}s`
          : undefined;
    if (failure) {
      await terminate(child);
      throw new Error(`redis-server ${args.join(' ')} ${failure}:\n${output.toString() || '(no output)'}`);
    }
    if (await answersPing(url)) break;
  }

  // Safety net: a parent that exits without calling stop() still takes redis-server down with it.
  const killOnExit = (): void => {
    child.kill('SIGTERM');
  };
  process.on('exit', killOnExit);

  let stopping: Promise<void> | undefined;
  return {
    url,
    startedByUs: true,
    stop() {
      stopping ??= (async () => {
        process.off('exit', killOnExit);
        await terminate(child);
      })();
      return stopping;
    },
  };
}

/** True when the server at `url` answers PING within about a second. */
async function answersPing(url: string): Promise<boolean> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 1_000,
    commandTimeout: 1_000,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null, // one attempt only
  });
  client.on('error', () => {}); // failures are the answer here, not noise
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}
