/** Error codes of the admin API, beside the OAuth ones it shares (`invalid_request`, `invalid_token`, …). */
export type AdminErrorCode =
  | 'invalid_request'
  | 'invalid_credentials'
  | 'invalid_token'
  | 'insufficient_scope'
  | 'unauthorized'
  | 'forbidden'
  | 'csrf_failed'
  | 'not_found'
  | 'conflict'
  | 'server_error';

/**
 * An admin API failure: `{"error", "error_description", "field"?}` with `status`. `field` names the
 * request field at fault, so that the console can show the message next to it.
 */
export class AdminError extends Error {
  constructor(
    readonly status: number,
    readonly error: AdminErrorCode,
    readonly description: string,
    readonly headers: Record<string, string> = {},
    readonly field?: string,
  ) {
    super(description);
    this.name = 'AdminError';
  }

  toJSON(): { error: AdminErrorCode; error_description: string; field?: string } {
    return this.field === undefined
      ? { error: this.error, error_description: this.description }
      : { error: this.error, error_description: this.description, field: this.field };
  }
}
