/** The shortest a password set through Portcullis may be unless the `password_min_length` setting says otherwise. */
export const DEFAULT_PASSWORD_MIN_LENGTH = 8;

/** The longest password accepted anywhere (a bound on the hash's input, not a policy). */
export const MAX_PASSWORD_LENGTH = 1024;

let common: Promise<Set<string>> | undefined;

/**
 * The common-password list shipped with Portcullis: the `passwords-common` dictionary of
 * @zxcvbn-ts/language-common (about 49,000 passwords most often found in breaches, maintained by
 * the zxcvbn-ts project), compared case-insensitively. Loaded on first use, so that commands
 * that set no password do not pay for it.
 */
function commonPasswords(): Promise<Set<string>> {
  common ??= import('@zxcvbn-ts/language-common').then(({ dictionary }) => new Set(dictionary['passwords-common'].map((password) => password.toLowerCase())));
  return common;
}

/**
 * Why a new password is refused, or `undefined` when it is acceptable: shorter than `minLength`
 * characters (Unicode code points, as NIST SP 800-63B §5.1.1.2 counts them), longer than
 * `MAX_PASSWORD_LENGTH`, or on the common-password list. The text never repeats the password.
 * Does NOT apply to imported hashes (their passwords are unknown) or to passwords checked at login.
 */
export async function passwordProblem(password: string, minLength: number = DEFAULT_PASSWORD_MIN_LENGTH): Promise<string | undefined> {
  const length = [...password].length;
  if (length === 0) return 'the password must not be empty';
  if (length < minLength) return `the password must be at least ${minLength} characters long`;
  if (password.length > MAX_PASSWORD_LENGTH) return `the password is longer than ${MAX_PASSWORD_LENGTH} characters`;
  if ((await commonPasswords()).has(password.toLowerCase())) return 'the password is on the list of common passwords; choose another';
  return undefined;
}
