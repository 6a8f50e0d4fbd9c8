import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../core/errors.ts';
import { packageFile } from '../package-files.ts';

/** Where `npm run build:console` (scripts/build-console.mjs) writes the console. */
export const CONSOLE_ASSETS_DIR = packageFile('build', 'console');

/** The files the console cannot work without; checked at start-up so that a missing build fails loudly. */
const REQUIRED = ['index.html', 'console.js', 'console.css'];

export function checkConsoleAssets(dir: string = CONSOLE_ASSETS_DIR): string {
  const missing = REQUIRED.filter((file) => !existsSync(join(dir, file)));
  if (missing.length > 0) {
    throw new ConfigError(`admin console assets missing in ${dir} (${missing.join(', ')}): run npm run build:console`);
  }
  return dir;
}
