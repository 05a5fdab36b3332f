/**
 * Bundles the playground's browser code (client.tsx: GraphiQL, React and the graphql-ws client)
 * with esbuild. `npm run build` runs it once and writes the result beside the compiled gateway;
 * a gateway run from source (tsx) runs it on the first visit. Only this module loads esbuild, so a
 * built gateway never needs it.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

export interface PlaygroundFiles {
  js: Uint8Array;
  css: Uint8Array;
}

/** client.tsx sits beside this module in the source tree. */
function clientEntry(): string {
  const entry = fileURLToPath(new URL('./client.tsx', import.meta.url));
  if (!existsSync(entry)) throw new Error(`playground: browser entry not found at ${entry}; run from source or from a build made by npm run build`);
  return entry;
}

export async function bundlePlayground(): Promise<PlaygroundFiles> {
  const entry = clientEntry();
  const result = await esbuild.build({
    entryPoints: { playground: entry },
    absWorkingDir: path.dirname(entry),
    bundle: true,
    write: false,
    outdir: 'out', // only names the in-memory output files
    format: 'iife',
    platform: 'browser',
    target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
    jsx: 'automatic',
    minify: true,
    sourcemap: false,
    legalComments: 'none',
    charset: 'utf8',
    define: { 'process.env.NODE_ENV': '"production"' },
    // The GraphiQL stylesheet embeds its fonts and images as data: URLs already;
    // anything else referenced from CSS is inlined too, so the page needs no extra files.
    loader: { '.woff': 'dataurl', '.woff2': 'dataurl', '.ttf': 'dataurl', '.png': 'dataurl', '.svg': 'dataurl' },
    logLevel: 'silent',
  });
  const js = result.outputFiles.find((file) => file.path.endsWith('.js'));
  const css = result.outputFiles.find((file) => file.path.endsWith('.css'));
  if (!js || !css) {
    throw new Error(`playground: esbuild produced ${result.outputFiles.map((file) => path.basename(file.path)).join(', ')}`);
  }
  return { js: js.contents, css: css.contents };
}
