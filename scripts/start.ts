/**
 * `npm start`: the whole system on this machine. Uses MONGODB_URL and REDIS_URL when they answer;
 * otherwise starts the project's guarded FerretDB (on POSTGRES_URL, or on a PostgreSQL of its
 * own with its data in .data/postgres) and a Redis. Seeds demo data on the first run, starts every
 * service as its own process, prints the URLs, restarts a service that crashes (with backoff, and
 * says so), and stops everything on Ctrl-C.
 *
 * `npm run dev` (--watch): the same, and each service restarts when a source file it uses changes.
 * Settings come from the environment, and from `.env` when there is one (the environment wins).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { DEFAULT_PORTS, portVariable } from '../lib/addresses.js';
import { startInfrastructure } from './infra/index.js';
import { ROOT, Services, START_ORDER, type ServiceName } from './services.js';

const ENV_FILE = `${ROOT}.env`;
if (existsSync(ENV_FILE)) process.loadEnvFile(ENV_FILE);
const watch = process.argv.includes('--watch');

const DATA_DIR = `${ROOT}.data`;
const PORTS = Object.fromEntries(
  (Object.keys(DEFAULT_PORTS) as ServiceName[]).map((name) => [name, Number(process.env[portVariable(name)] ?? DEFAULT_PORTS[name])]),
) as Record<ServiceName, number>;

mkdirSync(DATA_DIR, { recursive: true });
console.log(`starting the bakery supergraph on Node ${process.version}${watch ? ', restarting each service when its sources change' : ''}...`);
const infra = await startInfrastructure({
  dataDir: DATA_DIR,
  restartCrashed: true,
  ...(process.env.MONGODB_URL ? { mongoUrl: process.env.MONGODB_URL } : {}),
  ...(process.env.REDIS_URL ? { redisUrl: process.env.REDIS_URL } : {}),
});
const services = new Services({
  env: {
    ...process.env,
    MONGODB_URL: infra.mongoUrl,
    REDIS_URL: infra.redisUrl,
    SEED_DEMO_DATA: process.env.SEED_DEMO_DATA ?? 'true',
    // The processes write to a pipe (this launcher prefixes their lines); a person reads the result.
    ...(process.stdout.isTTY && !process.env.LOG_FORMAT ? { LOG_FORMAT: 'pretty' } : {}),
  },
  ports: PORTS,
  output: { kind: 'console' },
  restartCrashed: true,
  watch,
});

let stopping = false;
async function stop(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    console.log('\nstopping...');
    await services.stopAll();
    await infra.stop();
    console.log('stopped.');
  }
  process.exit(code);
}
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));

try {
  await services.start(START_ORDER);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  await stop(1);
}

console.log(`
The bakery supergraph is running.
  Playground and API:  http://localhost:${PORTS.gateway}/graphql   (opens as a demo customer)
  Subgraphs:           stock :${PORTS.stock}  order :${PORTS.order}  payment :${PORTS.payment}  delivery :${PORTS.delivery}
  MongoDB:             ${infra.mongoUrl}
  Redis:               ${infra.redisUrl}
  A staff token:       npm run token -- --sub staff-1 --role STAFF
Press Ctrl-C to stop.
`);
