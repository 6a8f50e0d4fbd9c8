import { setFlagsFromString } from 'node:v8';

/**
 * How far V8 lets the old generation grow past what the last full collection kept, in percent
 * (docs/deployment.md "Memory"). Left to itself V8 picks a factor of up to 4× for a heap that
 * collects fast, and a server whose live heap is ~27 MB let it reach ~100 MB of mostly garbage
 * between full collections: 220–250 MB resident under a token load. At 50% the same load peaks at
 * 175–185 MB, for about twice the (short, mostly concurrent) full collections and no measurable CPU
 * per request (`npm run bench:probe -- --node-arg=--heap-growing-percent=50 client-credentials`).
 */
export const HEAP_GROWING_PERCENT = 50;

/**
 * Sets V8's heap growing factor for a serving process, unless the operator started node with one
 * (`node --heap-growing-percent=N bin/portcullis.mjs serve`; Node does not take it from
 * NODE_OPTIONS). V8 reads it at every full collection, so setting it once the process runs works.
 * Returns the percent in force, or `undefined` when the operator's flag is.
 */
export function limitHeapGrowth(execArgv: readonly string[] = process.execArgv): number | undefined {
  if (execArgv.some((arg) => /^--heap[-_]growing[-_]percent(=|$)/.test(arg))) return undefined;
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  return HEAP_GROWING_PERCENT;
}
