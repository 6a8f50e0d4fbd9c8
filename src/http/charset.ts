/**
 * Whether a `Content-Type` says the body is UTF-8: no `charset` parameter, or `utf-8` (any case,
 * `utf8` too). Bodies are always decoded as UTF-8 (RFC 8259 §8.1 for JSON; forms per the HTML
 * standard's default), so a body that declares another charset is refused rather than misread
 * (docs/security.md "HTTP hygiene").
 */
export function declaresUtf8(contentType: string | undefined): boolean {
  if (contentType === undefined) return true;
  const match = /;\s*charset\s*=\s*"?([^";\s]*)"?/i.exec(contentType);
  if (!match) return true;
  return /^utf-?8$/i.test(match[1]!);
}

export const CHARSET_REFUSAL = 'the body must be UTF-8: send charset=utf-8 or no charset';
