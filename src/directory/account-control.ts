/**
 * Active Directory's `userAccountControl` flag for a disabled account (ACCOUNTDISABLE, 0x0002).
 * Active Directory refuses a disabled account's bind anyway; Portcullis reads the flag so that it
 * never sends a disabled user's password to the directory, and records the right reason.
 */
export const ACCOUNT_DISABLED = 0x0002;

/**
 * Whether an entry's `userAccountControl` value marks it disabled. The value is a decimal integer
 * (signed 32 bits as Active Directory writes it); a missing or unreadable value is not disabled.
 */
export function disabledByAccountControl(value: string | undefined): boolean {
  if (value === undefined || !/^\s*-?\d+\s*$/.test(value)) return false;
  return (Number.parseInt(value, 10) & ACCOUNT_DISABLED) !== 0;
}
