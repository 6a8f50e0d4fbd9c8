/** The SQL twin of `tokenState()` in core/token-state.ts, for filtering lists by state. */
export const tokenStateSql = `(CASE
  WHEN t.revoked_at IS NOT NULL OR f.revoked_at IS NOT NULL THEN 'revoked'
  WHEN t.rotated_at IS NOT NULL THEN 'rotated'
  WHEN t.expires_at IS NOT NULL AND t.expires_at <= @now THEN 'expired'
  ELSE 'active' END)`;
