import { InvalidScope } from './errors.ts';

/**
 * A scope name: printable ASCII 33–126 except `\`, `,` and `"`, 1–100 characters.
 * RFC 6749 §3.3 already excludes `"` and `\`; Integration Server also excludes `,`.
 */
const SCOPE_NAME = /^[\x21\x23-\x2b\x2d-\x5b\x5d-\x7e]{1,100}$/;

export function isValidScopeName(name: string): boolean {
  return SCOPE_NAME.test(name);
}

/**
 * Parses the `scope` request parameter (RFC 6749 §3.3): space-delimited, order-free, duplicates
 * collapse. Returns `undefined` when the parameter is absent. Does NOT check that the scopes exist
 * or are associated with the client.
 */
export function parseScopeParam(raw: string | undefined): string[] | undefined {
  if (raw === undefined) return undefined;
  const names = raw.split(' ').filter((part) => part !== '');
  if (names.length === 0) return undefined;
  for (const name of names) {
    if (!isValidScopeName(name)) throw new InvalidScope('malformed scope parameter');
  }
  return [...new Set(names)];
}

export function formatScope(names: readonly string[]): string {
  return names.join(' ');
}

/** True when every scope in `requested` is in `allowed`. */
export function isSubset(requested: readonly string[], allowed: readonly string[]): boolean {
  const set = new Set(allowed);
  return requested.every((name) => set.has(name));
}
