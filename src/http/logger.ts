import type { IncomingMessage } from 'node:http';
import pino, { type DestinationStream, type Logger } from 'pino';

/**
 * Every path under which a credential could reach a log line. The request serializer below already
 * keeps only method, path and address; these paths are the second line of defence, and
 * `scrubLine` the third.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["proxy-authorization"]',
  'req.body',
  'headers.authorization',
  'headers.cookie',
  'headers["proxy-authorization"]',
  '*.headers.authorization',
  '*.headers.cookie',
  'body',
  '*.body',
  'password',
  'passwordHash',
  'password_hash',
  'client_secret',
  'access_token',
  'refresh_token',
  'token',
  'secret',
  '*.password',
  '*.passwordHash',
  '*.password_hash',
  '*.client_secret',
  '*.access_token',
  '*.refresh_token',
  '*.token',
  '*.secret',
];

const CENSOR = '[REDACTED]';

/** Credential shapes, wherever they sit in a line (a message, an error, a nested object). */
const SCRUBBERS: [RegExp, string][] = [
  // Authorization header values: `Basic …`, `Bearer …`.
  [/\b(Basic|Bearer)(\s+|\\u0020)[A-Za-z0-9+/=._~-]+/gi, `$1 ${CENSOR}`],
  // Form or query parameters that carry credentials.
  [/\b(password|client_secret|access_token|refresh_token|token|secret)=[^&\s"\\]*/gi, `$1=${CENSOR}`],
  // JSON members that carry credentials, at any depth.
  [/"(password|passwordHash|password_hash|client_secret|access_token|refresh_token|token|secret|authorization)":"(?:[^"\\]|\\.)*"/gi, `"$1":"${CENSOR}"`],
  // A generated credential: 256 bits in base64url is 43 characters (README "Concepts").
  [/(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])/g, CENSOR],
  // Hashes in modular crypt format (argon2, bcrypt, pbkdf2, scrypt).
  [/\$(argon2(?:id|i|d)|2[aby]|pbkdf2-sha(?:256|512)|scrypt)\$[^\s"]*/g, CENSOR],
];

/** Removes anything shaped like a credential from a finished log line. */
export function scrubLine(line: string): string {
  let out = line;
  for (const [pattern, replacement] of SCRUBBERS) out = out.replace(pattern, replacement);
  return out;
}

/** The path without its query string: a query may carry a token or a password by mistake. */
export function pathOnly(url: string | undefined): string {
  if (url === undefined) return '';
  const query = url.indexOf('?');
  return query < 0 ? url : `${url.slice(0, query)}?[REDACTED]`;
}

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      redact: { paths: REDACTED_PATHS, censor: CENSOR },
      hooks: { streamWrite: scrubLine },
      serializers: {
        req: (req: IncomingMessage & { ip?: string }) => ({
          method: req.method,
          url: pathOnly(req.url),
          remoteAddress: req.ip ?? req.socket?.remoteAddress,
        }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
    },
    destination,
  );
}
