/**
 * `npm run build`: JavaScript that starts with plain `node`, in dist/ (or the folder given with
 * --out-dir). Compiles with tsc, copies the schema files the processes read at start (each
 * subgraph's schema.graphql, the gateway's supergraph), and bundles the playground once, so a
 * built gateway serves it without esbuild and without building on a request.
 *
 *   npm run build                 # dist/
 *   npm run build -- --out-dir X  # elsewhere (the build test uses a folder of its own)
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { bundlePlayground } from '../gateway/src/playground/bundle.js';
import { ROOT } from './services.js';

const { values } = parseArgs({ options: { 'out-dir': { type: 'string', default: 'dist' } } });
const outDir = path.resolve(ROOT, values['out-dir']);

function step(what: string): void {
  console.log(`build: ${what}`);
}

step(`cleaning ${path.relative(ROOT, outDir) || outDir}`);
rmSync(outDir, { recursive: true, force: true });

step('compiling TypeScript');
const tsc = spawnSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', outDir], {
  cwd: ROOT,
  stdio: 'inherit',
});
if (tsc.status !== 0) process.exit(tsc.status ?? 1);

step('copying schemas');
const schemaFiles = ['gateway/supergraph.graphql', ...readdirSync(path.join(ROOT, 'subgraphs')).map((name) => `subgraphs/${name}/schema.graphql`)];
for (const file of schemaFiles) {
  mkdirSync(path.dirname(path.join(outDir, file)), { recursive: true });
  copyFileSync(path.join(ROOT, file), path.join(outDir, file));
}

step('bundling the playground');
const playground = await bundlePlayground();
const assets = path.join(outDir, 'gateway/src/playground/assets');
mkdirSync(assets, { recursive: true });
writeFileSync(path.join(assets, 'playground.js'), playground.js);
writeFileSync(path.join(assets, 'playground.css'), playground.css);

step(`done: node ${path.relative(ROOT, path.join(outDir, 'gateway/src/main.js'))} (and the same for each subgraph and workers/main.js)`);
