/**
 * The project's local MongoDB: FerretDB v1.24.2 on PostgreSQL behind the write guard
 * (tools/ferretdb, shared/design/STORAGE.md), built into .tools/bin/ferretdb by
 * scripts/install-ferretdb.sh.
 *
 * Also holds the small child-process helpers that redis.ts and postgres.ts share.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const FERRETDB_BIN = path.join(ROOT, '.tools', 'bin', 'ferretdb');
const INSTALL_SCRIPT = path.join(ROOT, 'scripts', 'install-ferretdb.sh');

const READY_TIMEOUT_MS = 30_000;

export interface FerretDBOptions {
  /**
   * URL of the (existing) PostgreSQL database FerretDB keeps its data in, one schema per
   * MongoDB database. See postgres.ts.
   */
  postgresUrl: string;
  /** Loopback port to listen on; a free one when omitted. */
  port?: number;
  /** Expose FerretDB without the write guard: concurrent updates get LOST. Demonstrations only. */
  noGuard?: boolean;
}

export interface RunningFerretDB {
  /** `mongodb://127.0.0.1:PORT/` */
  url: string;
  /** Graceful shutdown, SIGKILL after a few seconds; safe to call more than once. */
  stop(): Promise<void>;
}

let installing: Promise<string> | undefined;

/**
 * Returns the path of the FerretDB binary, building it first when it is missing or older than
 * its sources (the install script decides; it is quiet and instant when there is nothing to do).
 */
export function ensureFerretDBBinary(): Promise<string> {
  installing ??= runInstallScript().finally(() => {
    installing = undefined;
  });
  return installing;
}

async function runInstallScript(): Promise<string> {
  const child = spawn('bash', [INSTALL_SCRIPT], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code === 0 && existsSync(FERRETDB_BIN)) return FERRETDB_BIN;
  if (existsSync(FERRETDB_BIN)) {
    // Sources changed but cannot be rebuilt here (no Go, say): the last build still works.
    process.stderr.write(`warning: could not rebuild ${FERRETDB_BIN}; using the existing binary\n`);
    return FERRETDB_BIN;
  }
  throw new Error(`scripts/install-ferretdb.sh failed (exit ${code}), see its message above; or set MONGODB_URL to a running MongoDB`);
}

/** Starts the guarded FerretDB on a loopback port and resolves once it accepts connections. */
export async function startFerretDB(opts: FerretDBOptions): Promise<RunningFerretDB> {
  const bin = await ensureFerretDBBinary();
  // A port found free can be taken before the binary binds it: then try another one.
  for (let attempt = 1; ; attempt++) {
    const port = opts.port ?? (await freePort());
    try {
      return await launch(bin, opts.postgresUrl, port, opts.noGuard ?? false);
    } catch (error) {
      const portTaken = error instanceof Error && /address already in use/.test(error.message);
      if (!portTaken || opts.port !== undefined || attempt >= 3) throw error;
    }
  }
}

async function launch(bin: string, postgresUrl: string, port: number, noGuard: boolean): Promise<RunningFerretDB> {
  const args = ['--listen-addr', `127.0.0.1:${port}`, '--postgresql-url', postgresUrl, '--log-level', process.env.FERRETDB_LOG_LEVEL ?? 'warn'];
  if (noGuard) args.push('--no-guard');
  // FERRETDB_PROFILE_ADDR=127.0.0.1:6060: Go's CPU profile at /debug/pprof/profile (for benchmarks).
  if (process.env.FERRETDB_PROFILE_ADDR) args.push('--profile-addr', process.env.FERRETDB_PROFILE_ADDR);
  const child = spawnTied(bin, args, { stopSignal: 'SIGTERM' });
  const stderr = new OutputTail();
  child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk));

  let address: string;
  try {
    address = await waitForReadyLine(child);
  } catch (error) {
    await stopTied(child);
    const reason = error instanceof Error ? error.message : String(error);
    const shown = args.map((arg) => (arg === postgresUrl ? redact(arg) : arg)).join(' ');
    throw new Error(`FerretDB (${bin} ${shown}) failed to start: ${reason}\n${stderr.toString() || '(no output on stderr)'}`);
  }

  let stopping: Promise<void> | undefined;
  child.once('exit', (code, signal) => {
    if (!stopping) {
      process.stderr.write(`FerretDB exited unexpectedly (${signal ?? `code ${code}`}):\n${stderr.toString()}\n`);
    }
  });

  return {
    url: `mongodb://${address}/`,
    stop() {
      stopping ??= (async () => {
        await stopTied(child);
      })();
      return stopping;
    },
  };
}

/** Resolves with the address of the binary's `ready HOST:PORT` line. */
function waitForReadyLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    const timer = setTimeout(() => finish(new Error(`no "ready" line within ${READY_TIMEOUT_MS / 1000}s`)), READY_TIMEOUT_MS);
    // 'close' rather than 'exit': by then all of stderr has been read, for the error message.
    const onClose = (code: number | null, signal: NodeJS.Signals | null): void =>
      finish(new Error(`it exited (${signal ?? `code ${code}`}) before it was ready`));
    const onError = (error: Error): void => finish(error);
    const onLine = (line: string): void => {
      const match = /^ready (\S+)$/.exec(line.trim());
      if (match) finish(undefined, match[1]);
    };
    function finish(error: Error | undefined, address?: string): void {
      clearTimeout(timer);
      child.off('close', onClose);
      child.off('error', onError);
      lines.off('line', onLine);
      // Keep reading stdout so the child never blocks on a full pipe.
      child.stdout!.resume();
      if (error) reject(error);
      else resolve(address!);
    }
    child.once('close', onClose);
    child.once('error', onError);
    lines.on('line', onLine);
  });
}

// Helpers shared with redis.ts and postgres.ts.

/** A free loopback TCP port: listen on port 0, note the port, close. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

/**
 * Spawns a server tied to this process: in a process group of its own, so a Ctrl-C in the
 * terminal reaches only this process, which then stops its servers in order (FerretDB before
 * the PostgreSQL under it); and under a small `sh` watchdog that sends the server `stopSignal`
 * once this process's end of its stdin closes, which happens however this process ends (even
 * by SIGKILL), so no server outlives it. stopTied() closes that pipe.
 */
export function spawnTied(
  command: string,
  args: readonly string[],
  opts: { stopSignal: 'SIGTERM' | 'SIGINT'; uid?: number; gid?: number; env?: NodeJS.ProcessEnv },
): ChildProcess {
  // The pipe is kept as fd 3 (a background job's stdin would be /dev/null); the server gets
  // neither. A background reader waits for EOF on it. If the server ends first, the reader is
  // killed and the watchdog exits with the server's status.
  const watchdog = `exec 3<&0
"$0" "$@" </dev/null 3<&- & pid=$!
(read -r _ <&3; kill -${opts.stopSignal.slice(3)} "$pid" 2>/dev/null) &
reader=$!
exec 3<&-
wait "$pid"; status=$?
kill "$reader" 2>/dev/null
exit "$status"`;
  return spawn('sh', ['-c', watchdog, command, ...args], {
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
    ...(opts.uid !== undefined ? { uid: opts.uid, gid: opts.gid } : {}),
    ...(opts.env ? { env: opts.env } : {}),
  });
}

/**
 * Stops a server started by spawnTied: closes its stdin (the watchdog then sends its stop
 * signal), then after `graceMs` sends each of `escalation` to its whole process group, a few
 * seconds apart. Resolves once the watchdog exited; safe to call more than once.
 */
export async function stopTied(child: ChildProcess, graceMs = 5_000, escalation: NodeJS.Signals[] = ['SIGKILL']): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.stdin?.end();
  const timers = escalation.map((signal, i) =>
    setTimeout(
      () => {
        try {
          process.kill(-child.pid!, signal);
        } catch {
          // the group is already gone
        }
      },
      graceMs + i * 5_000,
    ),
  );
  try {
    await exited;
  } finally {
    for (const timer of timers) clearTimeout(timer);
  }
}

/** SIGTERM, then SIGKILL if the process is still there after `graceMs`; resolves once it exited. */
export async function terminate(child: ChildProcess, graceMs = 5_000): Promise<void> {
  // Never started, or already gone. (No race with the listener below: events come on later ticks.)
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  try {
    await exited;
  } finally {
    clearTimeout(timer);
  }
}

/** The last few kilobytes a child process wrote, for error messages. */
export class OutputTail {
  private text = '';
  constructor(private readonly max = 8_000) {}
  push(chunk: Buffer | string): void {
    this.text = (this.text + chunk.toString()).slice(-this.max);
  }
  toString(): string {
    return this.text.trim();
  }
}

/** The URL without its password, for messages. */
export function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable URL)';
  }
}
