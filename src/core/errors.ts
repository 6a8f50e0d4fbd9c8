/**
 * OAuth error codes from RFC 6749 §5.2, RFC 6750 §3.1, RFC 7009 §2.2.1 and RFC 7662 §2.3,
 * plus Portcullis' own `too_many_attempts`, `access_denied` and `server_error`.
 */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'invalid_token'
  | 'insufficient_scope'
  | 'unsupported_token_type'
  | 'access_denied'
  | 'too_many_attempts'
  | 'server_error';

/**
 * The one error type the protocol layers throw. The HTTP error boundary turns it into
 * `{"error", "error_description"}` with `status` and `headers`.
 */
export class OAuthError extends Error {
  readonly headers: Record<string, string>;

  constructor(
    readonly error: OAuthErrorCode,
    readonly status: number,
    readonly description?: string,
    headers: Record<string, string> = {},
  ) {
    super(description ?? error);
    this.name = 'OAuthError';
    this.headers = headers;
  }

  toJSON(): { error: OAuthErrorCode; error_description?: string } {
    return this.description === undefined
      ? { error: this.error }
      : { error: this.error, error_description: this.description };
  }
}

const table = {
  InvalidRequest: ['invalid_request', 400],
  InvalidClient: ['invalid_client', 401],
  InvalidGrant: ['invalid_grant', 400],
  UnauthorizedClient: ['unauthorized_client', 400],
  UnsupportedGrantType: ['unsupported_grant_type', 400],
  InvalidScope: ['invalid_scope', 400],
  InvalidToken: ['invalid_token', 401],
  InsufficientScope: ['insufficient_scope', 403],
  UnsupportedTokenType: ['unsupported_token_type', 400],
  AccessDenied: ['access_denied', 403],
  TooManyAttempts: ['too_many_attempts', 429],
  ServerError: ['server_error', 500],
} as const satisfies Record<string, readonly [OAuthErrorCode, number]>;

type ErrorClass = new (description?: string, headers?: Record<string, string>) => OAuthError;

function defineError([code, status]: readonly [OAuthErrorCode, number]): ErrorClass {
  return class extends OAuthError {
    constructor(description?: string, headers?: Record<string, string>) {
      super(code, status, description, headers);
    }
  };
}

export const InvalidRequest = defineError(table.InvalidRequest);
export const InvalidClient = defineError(table.InvalidClient);
export const InvalidGrant = defineError(table.InvalidGrant);
export const UnauthorizedClient = defineError(table.UnauthorizedClient);
export const UnsupportedGrantType = defineError(table.UnsupportedGrantType);
export const InvalidScope = defineError(table.InvalidScope);
export const InvalidToken = defineError(table.InvalidToken);
export const InsufficientScope = defineError(table.InsufficientScope);
export const UnsupportedTokenType = defineError(table.UnsupportedTokenType);
export const AccessDenied = defineError(table.AccessDenied);
export const TooManyAttempts = defineError(table.TooManyAttempts);
export const ServerError = defineError(table.ServerError);

/**
 * A mistake by the operator (CLI, apply, admin API): reported as one clear line, never a 500.
 * `field` names the input at fault (snake_case, as on the wire), so that forms can show it there.
 */
export class UserError extends Error {
  constructor(
    message: string,
    readonly status = 400,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'UserError';
  }
}

/** A setting that makes start-up impossible; the message names the setting. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}
