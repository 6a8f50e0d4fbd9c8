/** RFC 6750 §2.1's b64token: the characters a bearer token may hold, `=` only at its end. */
const B64TOKEN_CHARS = '[A-Za-z0-9\\-._~+/]+=*';
const B64TOKEN = new RegExp(`^${B64TOKEN_CHARS}$`);
/** `Bearer` (case-insensitive scheme), one space or more, the b64token, optional trailing spaces. */
const BEARER = new RegExp(`^Bearer +(${B64TOKEN_CHARS}) *$`, 'i');

/**
 * What an `Authorization` header says of a bearer token: `absent` when there is no header or it
 * names another scheme (`Basic`: client authentication), `malformed` when it names `Bearer` but
 * what follows is not one b64token, else the token. Does NOT check the token itself.
 * @see RFC 6750 §2.1
 */
export type BearerHeader = { kind: 'absent' } | { kind: 'malformed' } | { kind: 'token'; token: string };

export function readBearer(authorization: string | undefined): BearerHeader {
  if (authorization === undefined || !/^bearer(\s|$)/i.test(authorization)) return { kind: 'absent' };
  const match = BEARER.exec(authorization);
  return match ? { kind: 'token', token: match[1]! } : { kind: 'malformed' };
}

/** Whether `value` can be sent as a bearer token at all (a configured shared token). @see RFC 6750 §2.1 */
export function isB64Token(value: string): boolean {
  return B64TOKEN.test(value);
}
