/**
 * Generated files are committed; these fail when what is committed is stale. The tool's output is
 * compared along with its exit status, so a failure shows what the tool said.
 */
import { spawnSync } from 'node:child_process';
import { expect, test } from '@jest/globals';
import { ROOT } from '../scripts/services.js';

function run(command: string, args: string[]) {
  const result = spawnSync(command, args, { cwd: ROOT, encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}\n${result.stderr}` };
}

test('the committed supergraph is what composing the subgraph schemas gives', () => {
  const { status, output } = run(process.execPath, ['--import', 'tsx', 'scripts/compose.ts', '--check']);
  expect({ status, output }).toStrictEqual({ status: 0, output });
});

test('the committed resolver types are what codegen generates', () => {
  const { status, output } = run(process.execPath, ['node_modules/@graphql-codegen/cli/cjs/bin.js', '--config', 'codegen.yml', '--check']);
  expect({ status, output }).toStrictEqual({ status: 0, output });
});
