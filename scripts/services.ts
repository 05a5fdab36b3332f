/**
 * Runs the system's processes on one machine: each subgraph, the workers and the gateway as its own
 * Node process, each waited on until its /health/ready answers. Used by `npm start` and by the
 * end-to-end tests, so both run the system the same way.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SHUTDOWN_DEADLINE_MS } from '../lib/lifecycle.js';
import { portVariable, type ProcessName } from '../lib/addresses.js';
export { freePort } from './infra/index.js';

export const ROOT = fileURLToPath(new URL('../', import.meta.url));

// npm scripts run on the Node that package.json pins (node_modules/.bin/node comes first on PATH),
// and every process started here runs on that same binary (process.execPath). Only a script started
// some other way, say `node --import tsx scripts/start.ts` on an older system Node, lands here.
const NODE_MAJOR = Number(process.versions.node.split('.')[0]);
if (NODE_MAJOR < 22) {
  throw new Error(
    `Node ${process.version} is out of support; this project runs on Node 22 or newer. ` +
      'Run it through npm (npm start, npm test), which uses the Node that npm ci installed in node_modules.',
  );
}

export type ServiceName = ProcessName;

interface ServiceSpec {
  entry: string;
  /** The variable that sets the port (lib/addresses.ts). */
  portVariable: string;
}

const service = (name: ServiceName, entry: string): ServiceSpec => ({ entry, portVariable: portVariable(name) });

export const SERVICES: Record<ServiceName, ServiceSpec> = {
  stock: service('stock', 'subgraphs/stock/src/main.ts'),
  order: service('order', 'subgraphs/order/src/main.ts'),
  payment: service('payment', 'subgraphs/payment/src/main.ts'),
  delivery: service('delivery', 'subgraphs/delivery/src/main.ts'),
  workers: service('workers', 'workers/main.ts'),
  gateway: service('gateway', 'gateway/src/main.ts'),
};

/** Subgraphs first, the gateway last: its first requests go to them. */
export const START_ORDER: ServiceName[] = ['stock', 'order', 'payment', 'delivery', 'workers', 'gateway'];

export interface ServiceOptions {
  /** Environment for every process (MONGODB_URL, REDIS_URL, DB_PREFIX, ...). */
  env: NodeJS.ProcessEnv;
  /** Fixed ports (npm start) or free ones (tests). */
  ports: Record<ServiceName, number>;
  /** Where each process's output goes: a prefixed copy on our stdout, or a file per service. */
  output: { kind: 'console' } | { kind: 'files'; dir: string };
  readyTimeoutMs?: number;
  /**
   * A folder made by `npm run build`: each process runs as plain `node` on its compiled entry
   * there, as the image runs it. Without it, processes run the TypeScript sources through tsx.
   */
  buildDir?: string;
  /**
   * Restart a process that exits on its own (a crash), after a pause that doubles with each crash
   * in a row (0.25 s up to 30 s), and say so. `npm start` does; tests do not, they stop processes on
   * purpose.
   */
  restartCrashed?: boolean;
  /** Run each process under `node --watch`, which restarts it when a source file it loaded changes (`npm run dev`). */
  watch?: boolean;
}

/** Short: a process killed once (OOM, an eviction, SIGKILL) should be back as soon as it can start. */
const RESTART_FIRST_MS = 250;
const RESTART_MAX_MS = 30_000;
/** A process that ran this long before it crashed starts its backoff afresh. */
const RESTART_STABLE_MS = 60_000;

/** After SIGTERM, a process that has not exited by its own deadline (lib/lifecycle.ts) is killed. */
const STOP_KILL_AFTER_MS = SHUTDOWN_DEADLINE_MS + 5_000;

/** A crashed process that was started again: when it exited and when it was ready again. */
export interface Restart {
  name: ServiceName;
  how: string;
  exitedAt: number;
  readyAt: number;
}

/** How a process ended: its exit code, or the signal that killed it. */
export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

interface Running {
  child: ChildProcess;
  exited: Promise<number | null>;
  log?: WriteStream;
}

export class Services {
  private readonly running = new Map<ServiceName, Running>();
  /** Stopped on purpose: their exit is no crash. */
  private readonly stopping = new Set<ServiceName>();
  private readonly crashes = new Map<ServiceName, number>();
  private readonly restartTimers = new Map<ServiceName, NodeJS.Timeout>();
  private stoppedAll = false;
  /** Every restart after a crash, in order (the chaos run reports how long each took). */
  readonly restarts: Restart[] = [];

  constructor(private readonly options: ServiceOptions) {
    if (options.output.kind === 'files') mkdirSync(options.output.dir, { recursive: true });
  }

  /** Every process's URL-bearing environment, so a process can find the others. */
  get env(): NodeJS.ProcessEnv {
    const { ports } = this.options;
    return {
      ...this.options.env,
      ...Object.fromEntries(Object.entries(SERVICES).map(([name, spec]) => [spec.portVariable, String(ports[name as ServiceName])])),
      STOCK_URL: `http://127.0.0.1:${ports.stock}/graphql`,
      ORDER_URL: `http://127.0.0.1:${ports.order}/graphql`,
      PAYMENT_URL: `http://127.0.0.1:${ports.payment}/graphql`,
      DELIVERY_URL: `http://127.0.0.1:${ports.delivery}/graphql`,
    };
  }

  /**
   * A process stops by itself when this launcher is gone (lib/lifecycle.ts), so none runs on as an
   * orphan. Not under --watch: there node's watcher, not this launcher, is the process's parent.
   */
  private get supervision(): NodeJS.ProcessEnv {
    return this.options.watch ? {} : { SUPERVISOR_PID: String(process.pid) };
  }

  url(name: ServiceName, path = '/graphql'): string {
    return `http://127.0.0.1:${this.options.ports[name]}${path}`;
  }

  /** Starts the named services together and waits until each is ready. */
  async start(names: ServiceName[]): Promise<void> {
    const subgraphs = names.filter((name) => name !== 'gateway');
    await Promise.all(subgraphs.map((name) => this.startOne(name)));
    if (names.includes('gateway')) await this.startOne('gateway');
  }

  /** Starts one service; `extraEnv` adds to its environment for this start only. */
  async startOne(name: ServiceName, extraEnv: NodeJS.ProcessEnv = {}): Promise<void> {
    if (this.running.has(name)) return;
    const spec = SERVICES[name];
    const child = spawn(process.execPath, this.entryArgs(spec), {
      cwd: ROOT,
      env: { ...this.env, ...extraEnv, ...this.supervision },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const running: Running = {
      child,
      exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))),
    };
    this.pipeOutput(name, running);
    this.running.set(name, running);
    const startedAt = Date.now();
    let signal: NodeJS.Signals | null = null;
    child.once('exit', (_code, killedBy) => (signal = killedBy));
    running.exited.then((code) => {
      if (this.running.get(name) === running) this.running.delete(name);
      running.log?.end();
      if (!this.stopping.delete(name)) this.crashed(name, signal ? `was killed by ${signal}` : `exited with code ${code}`, Date.now() - startedAt, extraEnv);
    });
    await this.waitReady(name, running);
  }

  private crashed(name: ServiceName, how: string, ranMs: number, extraEnv: NodeJS.ProcessEnv): void {
    if (!this.options.restartCrashed || this.stoppedAll) return;
    const crashes = ranMs > RESTART_STABLE_MS ? 1 : (this.crashes.get(name) ?? 0) + 1;
    this.crashes.set(name, crashes);
    const delay = Math.min(RESTART_FIRST_MS * 2 ** (crashes - 1), RESTART_MAX_MS);
    const exitedAt = Date.now();
    this.say(`${name} ${how}; restarting it in ${delay / 1_000} s (crash ${crashes} in a row)`);
    this.restartTimers.set(
      name,
      setTimeout(() => {
        this.restartTimers.delete(name);
        this.startOne(name, extraEnv).then(
          () => {
            const readyAt = Date.now();
            this.restarts.push({ name, how, exitedAt, readyAt });
            this.say(`${name} restarted: ready ${((readyAt - exitedAt) / 1_000).toFixed(1)} s after it ${how}`);
          },
          (error: unknown) => this.say(`${name} did not come back: ${error instanceof Error ? error.message : String(error)}`),
        );
      }, delay),
    );
  }

  private say(line: string): void {
    if (this.options.output.kind === 'console') console.log(`${'services'.padEnd(8)} | ${line}`);
    else this.sayLog.write(`${new Date().toISOString()} ${line}\n`);
  }

  /** In file mode, what the launcher says goes to services.log beside the processes' logs. */
  private get sayLog(): WriteStream {
    const { output } = this.options;
    if (output.kind !== 'files') throw new Error('no log folder');
    this.launcherLog ??= createWriteStream(`${output.dir}/services.log`, { flags: 'a' });
    return this.launcherLog;
  }
  private launcherLog: WriteStream | undefined;

  /**
   * Another instance of a stateless service on its own port (say, a second gateway), as one more
   * replica behind a load balancer would run. Returns its URL and how to stop it.
   */
  async startReplica(name: ServiceName, port: number): Promise<{ url: (path?: string) => string; stop: () => Promise<void> }> {
    const spec = SERVICES[name];
    const env = { ...this.env, ...this.supervision, [spec.portVariable]: String(port) };
    const child = spawn(process.execPath, this.entryArgs(spec), { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const running: Running = { child, exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))) };
    this.pipeOutput(name, running, `${name}-${port}`);
    const url = (path = '/graphql') => `http://127.0.0.1:${port}${path}`;
    await this.waitReady(name, running, url('/health/ready'));
    return {
      url,
      stop: async () => {
        child.kill('SIGTERM');
        await running.exited;
        running.log?.end();
      },
    };
  }

  /** SIGTERM, then SIGKILL if the process has not exited in time; how it ended (undefined: not running). */
  async stopOne(name: ServiceName, signal: NodeJS.Signals = 'SIGTERM'): Promise<Exit | undefined> {
    clearTimeout(this.restartTimers.get(name));
    this.restartTimers.delete(name);
    const running = this.running.get(name);
    if (!running) return undefined;
    this.stopping.add(name);
    running.child.kill(signal);
    const timer = setTimeout(() => running.child.kill('SIGKILL'), STOP_KILL_AFTER_MS);
    const code = await running.exited;
    clearTimeout(timer);
    return { code, signal: running.child.signalCode };
  }

  /** Gateway first, so no request reaches a subgraph that is already gone. */
  async stopAll(): Promise<void> {
    this.stoppedAll = true;
    for (const timer of this.restartTimers.values()) clearTimeout(timer);
    this.restartTimers.clear();
    await this.stopOne('gateway');
    await Promise.all([...this.running.keys()].map(async (name) => void (await this.stopOne(name))));
    this.launcherLog?.end();
  }

  /** Sends a signal to a running service without waiting for anything (SIGSTOP freezes it, SIGCONT thaws it). */
  signal(name: ServiceName, signal: NodeJS.Signals): void {
    const running = this.running.get(name);
    if (!running) throw new Error(`${name} is not running`);
    running.child.kill(signal);
  }

  /** The process id of a running service. */
  pid(name: ServiceName): number | undefined {
    return this.running.get(name)?.child.pid;
  }

  isRunning(name: ServiceName): boolean {
    return this.running.has(name);
  }

  private entryArgs(spec: ServiceSpec): string[] {
    const { buildDir } = this.options;
    if (buildDir) return [path.join(buildDir, spec.entry.replace(/\.ts$/, '.js'))];
    // PROFILE_DIR=/some/dir: each process writes a V8 CPU profile there when it exits (for benchmarks).
    return [
      ...(process.env.PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.PROFILE_DIR}`] : []),
      ...(this.options.watch ? ['--watch'] : []),
      '--import',
      'tsx',
      spec.entry,
    ];
  }

  private pipeOutput(name: ServiceName, running: Running, file: string = name): void {
    const { output } = this.options;
    if (output.kind === 'files') {
      running.log = createWriteStream(`${output.dir}/${file}.log`, { flags: 'a' });
      running.child.stdout?.pipe(running.log, { end: false });
      running.child.stderr?.pipe(running.log, { end: false });
      return;
    }
    const prefix = `${name.padEnd(8)} | `;
    for (const stream of [running.child.stdout, running.child.stderr]) {
      let partial = '';
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        const lines = (partial + chunk).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) if (line) process.stdout.write(prefix + line + '\n');
      });
    }
  }

  private async waitReady(name: ServiceName, running: Running, url = this.url(name, '/health/ready')): Promise<void> {
    const deadline = Date.now() + (this.options.readyTimeoutMs ?? 60_000);
    let exitCode: number | null | undefined;
    void running.exited.then((code) => (exitCode = code));
    while (Date.now() < deadline) {
      if (exitCode !== undefined) throw new Error(`${name} exited with code ${exitCode} before it was ready${this.logHint(name)}`);
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
        if (response.ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`${name} was not ready within ${this.options.readyTimeoutMs ?? 60_000} ms${this.logHint(name)}`);
  }

  private logHint(name: ServiceName): string {
    return this.options.output.kind === 'files' ? ` (see ${this.options.output.dir}/${name}.log)` : '';
  }
}
