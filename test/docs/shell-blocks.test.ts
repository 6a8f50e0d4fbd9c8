import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { cliEnv, startServe } from '../helpers/cli.ts';
import { type DocBlock, documentFiles, HOW_TO_MARK, outputPattern, readBlocks, SHELL_LANGUAGES, squeeze } from '../helpers/doc-blocks.ts';
import { freePort, WatchedProcess } from '../helpers/processes.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/portcullis.mjs');
/** The ports the documents use; each run gets free ones instead, so that runs on one machine do not collide. */
const DOC_SERVER_PORT = '5555';
const DOC_UPSTREAM_PORT = '8080';

const documents = documentFiles(ROOT).map((file) => ({ file, ...readBlocks(ROOT, file) }));
const shellBlocks = (blocks: DocBlock[]) => blocks.filter((block) => SHELL_LANGUAGES.has(block.language));

/**
 * One bash script for a document's unmarked blocks, in order, so that variables carry from one
 * block to the next as in a reader's terminal. `npx portcullis` and `portcullis` run this checkout.
 * Markers on the output tell the blocks apart; a failing command of an `sh` block is reported
 * (a `console` block shows `$ command` lines whose exit status may be anything).
 */
function script(blocks: DocBlock[], ports: { server: number; upstream: number }): string {
  const ported = (text: string) =>
    text.replace(new RegExp(`\\b${DOC_SERVER_PORT}\\b`, 'g'), String(ports.server)).replace(new RegExp(`\\b${DOC_UPSTREAM_PORT}\\b`, 'g'), String(ports.upstream));
  const parts = [
    'exec 2>&1',
    'set -E -o pipefail',
    `portcullis() { node ${JSON.stringify(BIN)} "$@"; }`,
    'npx() { if [ "$1" = portcullis ]; then shift; portcullis "$@"; else command npx "$@"; fi; }',
  ];
  blocks.forEach((block, index) => {
    parts.push(`echo "@@BEGIN ${index}"`);
    if (block.language === 'console') {
      for (const line of ported(block.text).split('\n')) {
        if (line.startsWith('$ ')) parts.push(line.slice(2));
      }
    } else {
      parts.push(`trap 'echo "@@FAIL ${index} $LINENO: $BASH_COMMAND"' ERR`, ported(block.text), 'trap - ERR');
    }
    parts.push(`echo "@@END ${index}"`);
  });
  parts.push('echo "@@DONE"');
  return parts.join('\n');
}

/** What a block says it prints: `# → …` lines of sh blocks; the lines after each `$ command` of console blocks. */
function expectations(block: DocBlock, ports: { server: number; upstream: number }): string[] {
  const ported = (text: string) => text.replaceAll(DOC_SERVER_PORT, String(ports.server)).replaceAll(DOC_UPSTREAM_PORT, String(ports.upstream));
  if (block.language !== 'console') {
    return block.text
      .split('\n')
      .map((line) => /^\s*# → (.*)$/.exec(line)?.[1])
      .filter((line): line is string => line !== undefined)
      .map(ported);
  }
  return block.text
    .split('\n')
    .filter((line) => !line.startsWith('$ ') && line.trim() !== '')
    .map(ported);
}

describe('shell blocks of README.md and docs/*.md (the docs harness)', () => {
  it('every block has a language, and every shell block is run or marked with a reason', () => {
    const problems = documents.flatMap((document) => document.problems);
    assert.deepEqual(problems, [], `${problems.join('\n')}\n\n${HOW_TO_MARK}`);
    const marked = documents.flatMap((document) => shellBlocks(document.blocks).filter((block) => block.notRun !== undefined));
    for (const block of marked) assert.ok(block.notRun!.length >= 10, `${block.file}:${block.line}: say why the block is not run`);
  });

  const temporary: string[] = [];
  after(() => {
    for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
  });

  for (const document of documents) {
    const blocks = shellBlocks(document.blocks).filter((block) => block.notRun === undefined);
    if (blocks.length === 0) continue;
    it(`${document.file}: its ${blocks.length} shell blocks run in order against a fresh server and print what they show`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'portcullis-docs-'));
      temporary.push(dir);
      const upstream = await freePort();
      const adminPassword = 'correct-horse-battery-admin';
      const server = await startServe([], { cwd: dir, env: { PORTCULLIS_ADMIN_PASSWORD: adminPassword } });
      const ports = { server: Number(new URL(server.url).port), upstream };
      try {
        const bash = spawn('bash', ['-c', script(blocks, ports)], {
          cwd: dir,
          // docs/admin.md has the reader put the Administrator's password there.
          env: cliEnv({ ADMIN_PASSWORD: adminPassword }),
          stdio: 'pipe',
          detached: true,
        });
        const watched = new WatchedProcess(bash, `${document.file} blocks`);
        bash.stdin.end();
        try {
          // Background jobs a block starts (`demo-upstream &`) keep running: the run ends at @@DONE.
          await watched.until('the last block', (signal) =>
            new Promise<void>((done) => {
              const look = () => {
                if (!watched.stdout.includes('@@DONE\n') && bash.exitCode === null) return;
                bash.stdout.off('data', look);
                done();
              };
              bash.stdout.on('data', look);
              bash.once('exit', look);
              signal.addEventListener('abort', () => bash.stdout.off('data', look));
            }), 180_000);
        } finally {
          try {
            process.kill(-bash.pid!, 'SIGKILL');
          } catch {
            // Already gone.
          }
        }
        const output = watched.stdout;
        const failures: string[] = [];
        blocks.forEach((block, index) => {
          const where = `${block.file}:${block.line}`;
          const begin = output.indexOf(`@@BEGIN ${index}\n`);
          const end = output.indexOf(`@@END ${index}\n`);
          if (begin < 0 || end < 0) {
            failures.push(`${where}: did not run to its end`);
            return;
          }
          const printed = output.slice(begin, end);
          for (const failed of printed.matchAll(/^@@FAIL \d+ \d+: (.*)$/gm)) failures.push(`${where}: a command failed: ${failed[1]}`);
          for (const expected of expectations(block, ports)) {
            if (!outputPattern(expected).test(squeeze(printed))) failures.push(`${where}: the output does not show ${expected}`);
          }
          if (failures.some((failure) => failure.startsWith(where))) failures.push(`--- ${where} printed:\n${printed.slice(0, 3000)}`);
        });
        assert.deepEqual(failures, [], `${failures.join('\n')}\n\n${HOW_TO_MARK}`);
      } finally {
        await server.stop();
      }
    });
  }
});
