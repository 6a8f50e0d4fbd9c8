#!/usr/bin/env node
// The repository stands alone: code, tests, benchmarks, scripts and documents cite RFCs and docs/, never a
// document that lives outside it (the product brief its first engineers worked from).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const OUTSIDE = new RegExp(['\\bSP', 'EC\\b'].join(''));
const found = [];
function walk(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!['node_modules', 'dist', 'build'].includes(entry.name)) walk(path);
    } else if (/\.(ts|tsx|mjs|js|cjs|sql|md)$/.test(entry.name)) {
      readFileSync(path, 'utf8').split('\n').forEach((line, index) => {
        if (OUTSIDE.test(line)) found.push(`${path}:${index + 1}: ${line.trim()}`);
      });
    }
  }
}
for (const dir of ['src', 'test', 'bench', 'scripts', 'packages', 'docs', 'examples']) walk(dir);
for (const file of ['README.md']) readFileSync(file, 'utf8').split('\n').forEach((line, index) => OUTSIDE.test(line) && found.push(`${file}:${index + 1}: ${line.trim()}`));
if (found.length > 0) {
  console.error(`cite RFCs and docs/ instead of a document outside the repository:\n${found.join('\n')}`);
  process.exit(1);
}
