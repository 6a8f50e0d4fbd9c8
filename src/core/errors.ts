/** How an answer challenges the caller in `WWW-Authenticate`. */
type Challenge =
  /** `Basic realm="portcullis"`, only when the client tried HTTP Basic (RFC 6749 §5.2). */
  | 'basic'
  /** `Bearer` with `realm` and no error code: the request had no credentials (RFC 6750 §3.1). */
  | 'bearer'
  /** `Bearer` with `realm`, `error` and `scope` attributes (RFC 6750 §3). */
  | 'bearer-error';

/** One error code: its HTTP status, its public text and the headers it carries. */
export interface CatalogueEntry {
  status: number;
  /** Statuses the HTTP layer's own refusals keep for this code (413 body too large, 415 media type). */
  alsoStatus?: readonly number[];
  /** The `error_description` when the thrower gives none; without one the body is `{"error"}` alone. */
  description?: string;
  challenge?: Challenge;
  /** The answer carries `Retry-After`: this many seconds unless the thrower says how long. */
  retryAfter?: number;
  /** The answer carries `Allow`: the thrower lists the methods (RFC 9110 §15.5.6). */
  allow?: true;
}

/**
 * Every error Portcullis answers, on every surface: the OAuth endpoints (RFC 6749 §5.2, RFC 7009
 * §2.2.1, RFC 7662 §2.3), the resource server (RFC 6750 §3.1 and the gateway's own codes), the admin
 * API, and `server_error`. docs/errors.md documents each code; a test keeps the two equal.
 * RFC 7009's `unsupported_token_type` is absent: both token types can be revoked, so it is never answered.
 */
export const ERROR_CATALOGUE = {
  // RFC 6749 §5.2 (the OAuth endpoints); invalid_request also answers a malformed request anywhere.
  invalid_request: { status: 400, alsoStatus: [413, 415] },
  invalid_client: { status: 401, description: 'client authentication failed', challenge: 'basic' },
  invalid_grant: { status: 400 },
  unauthorized_client: { status: 400 },
  unsupported_grant_type: { status: 400 },
  invalid_scope: { status: 400 },
  // RFC 8707 §2: a `resource` the client may not have as the token's audience.
  invalid_target: { status: 400 },

  // RFC 6749 §4.1.2.1 and OpenID Connect Core §3.1.2.6: the authorization endpoint sends these back
  // to the client in a redirect (the answer itself is a 303); the status is never sent.
  unsupported_response_type: { status: 400 },
  login_required: { status: 400, description: 'the user must sign in, and prompt=none forbids asking' },
  consent_required: { status: 400, description: 'the user must approve this client, and prompt=none forbids asking' },

  // A correct password, and the policy asks for a second factor (docs/mfa.md): the body carries the
  // `mfa_token` to continue with, in the shape Auth0's clients read.
  mfa_required: { status: 403, description: 'multi-factor authentication is required' },

  // Throttled password and client-secret guessing (docs/security.md): OAuth endpoints, admin sign-in.
  too_many_attempts: { status: 429, description: 'too many failed attempts; try again later', retryAfter: 1 },

  // RFC 6750 §3.1 (the gateway, the resource-server library, bearer tokens at the admin API).
  unauthorized: { status: 401, description: 'a bearer token is required', challenge: 'bearer' },
  invalid_token: { status: 401, description: 'the access token is invalid, expired or revoked', challenge: 'bearer-error' },
  insufficient_scope: {
    status: 403,
    description: 'the token does not have a scope that covers this service',
    challenge: 'bearer-error',
  },

  // The gateway's own answers (docs/resource-server.md "Answers"); not_found is every surface's.
  access_denied: { status: 403 },
  not_found: { status: 404 },
  method_not_allowed: { status: 405, allow: true },
  bad_gateway: { status: 502, description: 'the upstream could not be reached' },
  upstream_timeout: { status: 504, description: 'the upstream did not answer in time' },
  temporarily_unavailable: { status: 503, description: 'the token cannot be verified right now', retryAfter: 1 },

  // The admin API.
  invalid_credentials: { status: 401, description: 'wrong username or password, or not an administrator' },
  forbidden: { status: 403, description: 'only members of Administrators may use the admin API' },
  csrf_failed: { status: 403, description: 'missing or wrong x-csrf-token header' },
  conflict: { status: 409 },

  server_error: { status: 500 },
} as const satisfies Record<string, CatalogueEntry>;

/** Every error code Portcullis answers with. */
export type ErrorCode = keyof typeof ERROR_CATALOGUE;

/** What a thrower may add to the catalogue's answer. */
export interface ErrorOptions {
  /** The request field at fault (snake_case, as on the wire), so that a form can show the text next to it. */
  field?: string;
  /** `realm` of a Bearer challenge. */
  realm?: string;
  /** `scope` of a Bearer challenge: the scopes that would do (RFC 6750 §3). */
  scope?: readonly string[];
  /** The client tried HTTP Basic: `invalid_client` then challenges with Basic (RFC 6749 §5.2). */
  viaBasic?: boolean;
  /** `Retry-After` in seconds, for codes that carry it; at least 1. */
  retryAfterSeconds?: number;
  /** The methods the target accepts, sent as `Allow`. */
  allow?: readonly string[];
  /** One of the code's `alsoStatus`, for the HTTP layer's own refusals. */
  status?: number;
  /** `mfa_required` only: the token that continues the login with a second factor. */
  mfaToken?: string;
  /** What went wrong underneath: for the log, never for the answer. */
  cause?: unknown;
}

/** The JSON body of every error answer. */
export interface ErrorBody {
  error: ErrorCode;
  error_description?: string;
  field?: string;
  mfa_token?: string;
}

function challengeOf(code: ErrorCode, entry: CatalogueEntry, options: ErrorOptions): string | undefined {
  if (entry.challenge === 'basic') return options.viaBasic ? 'Basic realm="portcullis"' : undefined;
  if (entry.challenge === undefined) return undefined;
  const attributes: string[] = [];
  if (options.realm !== undefined) attributes.push(`realm="${options.realm}"`);
  if (entry.challenge === 'bearer-error') {
    attributes.push(`error="${code}"`);
    if (options.scope !== undefined && options.scope.length > 0) attributes.push(`scope="${options.scope.join(' ')}"`);
  }
  return attributes.length === 0 ? 'Bearer' : `Bearer ${attributes.join(', ')}`;
}

function headersOf(code: ErrorCode, entry: CatalogueEntry, options: ErrorOptions): Record<string, string> {
  const headers: Record<string, string> = {};
  const challenge = challengeOf(code, entry, options);
  if (challenge !== undefined) headers['WWW-Authenticate'] = challenge;
  if (entry.retryAfter !== undefined) headers['Retry-After'] = String(Math.max(1, options.retryAfterSeconds ?? entry.retryAfter));
  if (options.allow !== undefined) headers.Allow = options.allow.join(', ');
  return headers;
}

function statusOf(code: ErrorCode, entry: CatalogueEntry, status: number | undefined): number {
  if (status === undefined || status === entry.status) return entry.status;
  if (!entry.alsoStatus?.includes(status)) throw new TypeError(`${code} is never answered with ${status}`);
  return status;
}

/**
 * The one error type every surface throws (OAuth endpoints, resource server, admin API). `status`,
 * `headers` and the default text come from `ERROR_CATALOGUE`; the HTTP error boundary writes
 * `body` with them. The resource-server library re-exports it as `ResourceDenial`. It does NOT
 * check that a thrower's text is safe to send: texts are fixed, never copied from the request.
 * @see RFC 6749 §5.2, RFC 6750 §3
 */
export class OAuthError extends Error {
  readonly status: number;
  readonly description: string | undefined;
  readonly headers: Readonly<Record<string, string>>;
  readonly field: string | undefined;
  /** `{"error", "error_description"?, "field"?}`, as sent. */
  readonly body: ErrorBody;

  constructor(
    readonly error: ErrorCode,
    description?: string,
    options: ErrorOptions = {},
  ) {
    const entry: CatalogueEntry = ERROR_CATALOGUE[error];
    const text = description ?? entry.description;
    super(text ?? error, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.status = statusOf(error, entry, options.status);
    this.description = text;
    this.headers = headersOf(error, entry, options);
    this.field = options.field;
    this.body = { error };
    if (text !== undefined) this.body.error_description = text;
    if (options.field !== undefined) this.body.field = options.field;
    if (options.mfaToken !== undefined) this.body.mfa_token = options.mfaToken;
  }

  toJSON(): ErrorBody {
    return this.body;
  }
}

type ErrorClass = new (description?: string, options?: ErrorOptions) => OAuthError;

/** A subclass for one code of the catalogue, named after it (`invalid_client` → `InvalidClient`). */
function E(code: ErrorCode): ErrorClass {
  const generated = class extends OAuthError {
    constructor(description?: string, options?: ErrorOptions) {
      super(code, description, options);
    }
  };
  const name = code.replace(/(?:^|_)([a-z])/g, (_match, letter: string) => letter.toUpperCase());
  Object.defineProperty(generated, 'name', { value: name });
  return generated;
}

export const InvalidRequest = E('invalid_request');
export const InvalidClient = E('invalid_client');
export const InvalidGrant = E('invalid_grant');
export const UnauthorizedClient = E('unauthorized_client');
export const UnsupportedGrantType = E('unsupported_grant_type');
export const InvalidScope = E('invalid_scope');
export const InvalidTarget = E('invalid_target');
export const UnsupportedResponseType = E('unsupported_response_type');
export const LoginRequired = E('login_required');
export const ConsentRequired = E('consent_required');
export const MfaRequired = E('mfa_required');
export const TooManyAttempts = E('too_many_attempts');
export const Unauthorized = E('unauthorized');
export const InvalidToken = E('invalid_token');
export const InsufficientScope = E('insufficient_scope');
export const AccessDenied = E('access_denied');
export const NotFound = E('not_found');
export const MethodNotAllowed = E('method_not_allowed');
export const BadGateway = E('bad_gateway');
export const UpstreamTimeout = E('upstream_timeout');
export const TemporarilyUnavailable = E('temporarily_unavailable');
export const InvalidCredentials = E('invalid_credentials');
export const Forbidden = E('forbidden');
export const CsrfFailed = E('csrf_failed');
export const Conflict = E('conflict');
export const ServerError = E('server_error');

/** The codes an operator's mistake is answered with over HTTP. */
export type UserErrorCode = Extract<ErrorCode, 'invalid_request' | 'not_found' | 'conflict'>;

/**
 * A mistake by the operator (CLI, apply, admin API): reported as one clear line, never a 500.
 * Over HTTP it is answered as `code` (status from `ERROR_CATALOGUE`). `field` names the input at
 * fault (snake_case, as on the wire), so that forms can show it there.
 */
export class UserError extends Error {
  constructor(
    message: string,
    readonly code: UserErrorCode = 'invalid_request',
    readonly field?: string,
  ) {
    super(message);
    this.name = 'UserError';
  }
}

/**
 * A new password that the policy refuses (too short, on the common-password list; docs/security.md):
 * `400 invalid_request` at the admin API, exit status 2 from the CLI, like a malformed argument.
 */
export class WeakPassword extends UserError {
  constructor(message: string) {
    super(message, 'invalid_request', 'password');
    this.name = 'WeakPassword';
  }
}

/** A setting that makes start-up impossible; the message names the setting. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}
