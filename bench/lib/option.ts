/**
 * The value after `--name` on the command line, else `fallback`: the micro-benchmarks' one way of
 * reading their few options (`--group 16`), with every value a string for the caller to convert.
 */
export function option(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? process.argv[index + 1]! : fallback;
}
