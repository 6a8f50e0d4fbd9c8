import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';

const ROOT = new URL('../../', import.meta.url);
const PAGE = 'docs/architecture.md';

/** Every repository path the page names: `src/http/server.ts`, `src/store/sql/`, `test/store/contract.ts`, … */
function namedPaths(text: string): string[] {
  const paths = text.match(/\b(?:src|test|scripts|packages|docs)\/[\w./-]*[\w/]/g) ?? [];
  return [...new Set(paths)];
}

describe(`${PAGE} names only what exists`, () => {
  test('every file and folder it names is in the repository', () => {
    const text = readFileSync(new URL(PAGE, ROOT), 'utf8');
    const paths = namedPaths(text);
    assert.ok(paths.length > 50, `the page names its files (found ${paths.length})`);
    assert.deepEqual(paths.filter((path) => !existsSync(new URL(path, ROOT))), [], 'paths named in the page that do not exist');
  });

  test('the files it names at the root exist too', () => {
    const text = readFileSync(new URL(PAGE, ROOT), 'utf8');
    for (const file of ['.dependency-cruiser.cjs', 'eslint.config.js', '.ci/run']) {
      if (text.includes(file)) assert.ok(existsSync(new URL(file, ROOT)), file);
    }
  });

  test('the extraction finds a path that does not exist', () => {
    assert.deepEqual(namedPaths('see `src/store/gone.ts` and src/http/ then.'), ['src/store/gone.ts', 'src/http/']);
  });
});
