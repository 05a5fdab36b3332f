/**
 * @jest-config-loader esbuild-register
 *
 * Jest for the whole project, as three projects:
 * - unit: pure code beside what it tests (domains, lib/ helpers, gateway pieces), the deployment
 *   manifests checked offline (test/deploy) and the dependency rules (test/architecture); no store,
 *   no Redis.
 * - integration: subgraphs and the store through their real processes; files in parallel, each on
 *   databases and Redis keys of its own.
 * - e2e: the whole system through the gateway; one file at a time (each starts every service).
 * integration and e2e share one globalSetup that starts the store and Redis once per run
 * (test/jest/infrastructure.ts); a run that selects only unit tests starts nothing.
 *
 * The project is ES modules (import.meta.url, top-level await, ESM-only dependencies), so tests run
 * as native ES modules: Jest needs Node's --experimental-vm-modules, which the npm scripts pass.
 * @swc/jest strips the types (no type check here: `npm run typecheck` does that).
 */
import { availableParallelism } from 'node:os';
import vm from 'node:vm';
import type { Config } from 'jest';

type Project = Exclude<NonNullable<Config['projects']>[number], string>;

if (!('SourceTextModule' in vm)) {
  throw new Error(
    "Jest runs this project's tests as ES modules, which needs Node's --experimental-vm-modules: run `npm test -- <jest arguments>` (or NODE_OPTIONS=--experimental-vm-modules npx jest ...)",
  );
}

const typescript = {
  // Node resolves `./x.js` to the file built from `./x.ts`; Jest reads the sources, so drop `.js`.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  extensionsToTreatAsEsm: ['.ts', '.tsx'],
  transform: {
    '^.+\\.tsx?$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript', tsx: true }, target: 'es2022', transform: { useDefineForClassFields: true } } }],
  },
  testEnvironment: 'node',
} satisfies Project;

/** Started once for integration and e2e: a store and a Redis, or the ones MONGODB_URL / REDIS_URL name. */
const withInfrastructure = {
  ...typescript,
  globalSetup: '<rootDir>/test/jest/global-setup.mjs',
  globalTeardown: '<rootDir>/test/jest/global-teardown.mjs',
  setupFilesAfterEnv: ['<rootDir>/test/jest/timeouts.ts'],
} satisfies Project;

const config: Config = {
  projects: [
    {
      ...typescript,
      displayName: 'unit',
      testMatch: ['<rootDir>/{lib,gateway,subgraphs,workers}/**/*.test.ts', '<rootDir>/test/{deploy,architecture}/**/*.test.ts'],
    },
    {
      ...withInfrastructure,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts', '<rootDir>/test/*.test.ts'],
    },
    {
      ...withInfrastructure,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/e2e/**/*.test.ts'],
      // Each file starts the whole system: run them one at a time.
      runner: '<rootDir>/test/jest/serial-runner.cjs',
    },
  ],
  // Integration files mostly wait on services in other processes, so two run at once even on two
  // cores (Jest's default there would be one). `--maxWorkers` on the command line overrides it.
  maxWorkers: Math.max(2, availableParallelism() - 1),
  // Domain rules are pure code: the unit tests must cover them (`npm run test:coverage`).
  // card-provider.ts is a port: types only, nothing to run.
  collectCoverageFrom: ['subgraphs/*/src/domain/**/*.ts', '!**/*.test.ts', '!subgraphs/payment/src/domain/card-provider.ts'],
  coverageProvider: 'v8',
  coverageReporters: ['text', 'lcov', 'cobertura'],
  // Every domain file on its own, so a well-tested file cannot hide an untested one.
  coverageThreshold: {
    global: { lines: 90 },
    './subgraphs/*/src/domain/**/*.ts': { lines: 90 },
  },
  // JUnit XML for CI next to the console report; test-results/ is gitignored.
  reporters: [
    'default',
    [
      'jest-junit',
      {
        outputDirectory: 'test-results',
        outputName: 'junit.xml',
        suiteNameTemplate: '{displayName}: {filepath}',
        classNameTemplate: '{filepath}',
        // The test's full name: its describe blocks, if any, then its title.
        titleTemplate: ({ classname, title }: { classname: string; title: string }) => (classname ? `${classname} ${title}` : title),
        addFileAttribute: 'true',
      },
    ],
  ],
};

export default config;
