/**
 * A Redis for local runs and tests: the one configured (REDIS_URL), else the usual local one on
 * 127.0.0.1:6379, else a `redis-server` of our own on a free loopback port.
 *
 * Our own server keeps what BullMQ needs to lose nothing when Redis restarts (the same settings the
 * README, docker-compose.yml and deploy/k8s/redis.yaml give production):
 * - an append-only file with `appendfsync everysec`. Every write reaches the file (the kernel) before
 *   Redis answers it, so a Redis process that is killed, even with SIGKILL, loses nothing; only a
 *   crash of the whole machine can lose the last second, which on a developer's machine is not
 *   worth the cost of `always` (an fsync per write). Production that must survive power loss
 *   without a replica may choose `always`;
 * - `maxmemory-policy noeviction`: BullMQ breaks if Redis drops its keys under memory pressure.
 * Without a data folder (a throwaway run) it keeps nothing on disk.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
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

export interface RedisOptions {
  /** Where our own server keeps its append-only file; without it, nothing is kept on disk. */
  dir?: string;
  /** Start our own server again when it exits on its own (`npm start`). */
  restartCrashed?: boolean;
}

/**
 * `url` (or REDIS_URL) when given: it must answer PING, or this throws rather than quietly use
 * another server. Without one: redis://127.0.0.1:6379 if it answers, else a `redis-server` we spawn.
 */
export async function ensureRedis(url?: string, options: RedisOptions = {}): Promise<RunningRedis> {
  const configured = url ?? process.env.REDIS_URL;
  if (configured) {
    if (await answersPing(configured)) return external(configured);
    throw new Error(`Redis at ${redact(configured)} (REDIS_URL or the given url) does not answer PING`);
  }
  if (await answersPing(DEFAULT_URL)) return external(DEFAULT_URL);
  return OwnRedis.start(options);
}

function external(url: string): RunningRedis {
  return { url, startedByUs: false, stop: async () => {} };
}

/**
 * A `redis-server` of our own, on a port that stays the same across restarts, so clients find it
 * again by themselves. Tests and the chaos run kill it and start it again (`kill`, `start`); it
 * never touches another Redis on the machine.
 */
export class OwnRedis implements RunningRedis {
  readonly startedByUs = true;
  private child: ChildProcess | undefined;
  private stopping: Promise<void> | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private readonly killOnExit = (): void => {
    this.child?.kill('SIGTERM');
  };

  private constructor(
    readonly port: number,
    private readonly options: RedisOptions,
  ) {}

  static async start(options: RedisOptions = {}): Promise<OwnRedis> {
    const redis = new OwnRedis(await freePort(), options);
    await redis.start();
    // Safety net: a parent that exits without calling stop() still takes redis-server down with it.
    process.on('exit', redis.killOnExit);
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts the server (again) on its port, and waits until it answers PING. */
  async start(): Promise<void> {
    if (this.running) return;
    const persistence = this.options.dir
      ? ['--dir', this.options.dir, '--appendonly', 'yes', '--appendfsync', 'everysec', '--save', '']
      : ['--appendonly', 'no', '--save', ''];
    if (this.options.dir) mkdirSync(this.options.dir, { recursive: true });
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--maxmemory-policy', 'noeviction', ...persistence];
    const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    const output = new OutputTail();
    child.stdout?.on('data', (chunk: Buffer) => output.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => output.push(chunk));
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
      if (await answersPing(this.url)) break;
    }
    child.once('exit', (code, signal) => {
      if (this.stopping || !this.options.restartCrashed || this.child !== child) return;
      console.log(`${'redis'.padEnd(8)} | redis-server ${signal ? `was killed by ${signal}` : `exited with code ${code}`}; starting it again`);
      this.restartTimer = setTimeout(() => {
        this.start().then(
          () => console.log(`${'redis'.padEnd(8)} | redis-server is back on port ${this.port}`),
          (error: unknown) => console.log(`${'redis'.padEnd(8)} | redis-server did not come back: ${error instanceof Error ? error.message : error}`),
        );
      }, 250);
    });
  }

  /** Sends a signal to the server (SIGKILL: a crash) and waits until it has exited. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      clearTimeout(this.restartTimer);
      process.off('exit', this.killOnExit);
      if (this.child) await terminate(this.child);
    })();
    return this.stopping;
  }
}

/** True when the server at `url` answers PING within about a second. */
export async function answersPing(url: string): Promise<boolean> {
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
