import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The package's root directory, found from this module's location: the same whether the sources
 * run through tsx (src/…) or bundled (build/server/…, see scripts/build-server.mjs).
 */
function findPackageRoot(start: string): string {
  let dir = start;
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${start}`);
    dir = parent;
  }
  return dir;
}

export const PACKAGE_ROOT = findPackageRoot(dirname(fileURLToPath(import.meta.url)));

/** Files Portcullis reads at run time (migrations, a worker's script, the console), by their place in the package. */
export function packageFile(...path: string[]): string {
  return join(PACKAGE_ROOT, ...path);
}
