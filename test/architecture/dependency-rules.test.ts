/**
 * The dependency rules of .dependency-cruiser.mjs, checked on the source tree as a unit test, so
 * `npm test` enforces them (`npm run lint:deps` prints the same report).
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, test } from '@jest/globals';
import { cruise, type ICruiseResult } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';

const root = fileURLToPath(new URL('../../', import.meta.url));

async function cruiseTheTree(): Promise<ICruiseResult> {
  const options = await extractDepcruiseOptions(`${root}.dependency-cruiser.mjs`);
  // The modules the rules start from; the cruiser follows their imports from there.
  const starts = ['subgraphs/*/src/domain', 'subgraphs/*/src/errors.ts', 'lib/contract.ts', 'lib/errors.ts', 'lib/ids.ts', 'lib/statuses.ts'];
  const result = await cruise(starts, { ...options, baseDir: root }, undefined, { tsConfig: extractTSConfig(`${root}tsconfig.json`) });
  if (typeof result.output === 'string') throw new Error('dependency-cruiser answered with a report, not a result');
  return result.output;
}

/** Every domain module of every context, as the cruiser names them. */
function domainModules(): string[] {
  return readdirSync(`${root}subgraphs`).flatMap((context) =>
    readdirSync(`${root}subgraphs/${context}/src/domain`)
      .filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts'))
      .map((file) => `subgraphs/${context}/src/domain/${file}`),
  );
}

test('every domain imports only its own domain and error registry, and the pure kernel', async () => {
  const result = await cruiseTheTree();
  // The rules saw every domain module, with every import resolved to a file or a package.
  const cruised = new Set(result.modules.map((module) => module.source));
  expect(domainModules().filter((module) => !cruised.has(module))).toEqual([]);
  const violations = result.summary.violations.map((violation) => `${violation.rule.name}: ${violation.from} -> ${violation.to}`);
  expect(violations).toEqual([]);
});
