#!/usr/bin/env node
// Bundles the server and CLI (src/cli/main.ts) into build/server/portcullis.mjs, which
// bin/portcullis.mjs runs instead of the TypeScript sources whenever it is newer than every
// file under src/. Running through tsx costs about 40 MB of resident memory (its loader thread
// and compiler) and start-up time; the bundle costs neither. Dependencies stay in node_modules.
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'build/server');

rmSync(out, { recursive: true, force: true });
await build({
  entryPoints: [join(root, 'src/cli/main.ts')],
  outfile: join(out, 'portcullis.mjs'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  legalComments: 'none',
  logLevel: 'warning',
});
console.log('built the server into build/server');
