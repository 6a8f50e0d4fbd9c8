// A node:test reporter that names the tests still running in a file that timed out.
//
// --test-timeout bounds a whole test file, not each test (nodejs/node#50431, on Node 20 and 22),
// and the file's failure names no test. The runner does report each test as it is dequeued, right
// before it runs: the ones dequeued and never finished are the ones that hung.
import { relative } from 'node:path';

/** @param {AsyncIterable<{ type: string, data?: any }>} source the runner's events */
export default async function* inFlightReporter(source) {
  /** file → the tests dequeued and not yet finished, in the order they started. */
  const running = new Map();
  for await (const { type, data } of source) {
    if (data?.file === undefined) continue;
    const file = data.file;
    if (!running.has(file)) running.set(file, []);
    const started = running.get(file);
    const test = { name: data.name, nesting: data.nesting, line: data.line };
    if (type === 'test:dequeue') started.push(test);
    if (type !== 'test:pass' && type !== 'test:fail') continue;
    const at = started.findIndex((entry) => entry.name === test.name && entry.nesting === test.nesting && entry.line === test.line);
    if (at !== -1) started.splice(at, 1);
    // The file itself is the test named after its path.
    if (type !== 'test:fail' || data.name !== file || data.details?.error?.failureType !== 'testTimeoutFailure') continue;
    running.delete(file);
    const where = relative(process.cwd(), file);
    if (started.length === 0) {
      yield `\n✖ ${where} timed out with no test running (at load, or held open by a handle after its tests)\n\n`;
      continue;
    }
    yield `\n✖ ${where} timed out while these were running:\n`;
    for (const entry of started) yield `${'  '.repeat(entry.nesting + 1)}${entry.name} (${where}:${entry.line})\n`;
    yield '\n';
  }
}
