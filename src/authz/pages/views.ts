/**
 * What the sign-in pages show, as data: the authorization endpoint decides which view to answer
 * with, and pages/render.tsx turns it into HTML. Nothing here is markup, and nothing here is escaped:
 * the renderer escapes every value.
 */

/** The approval page settings (Integration Server's approval page): shown on every page. */
export interface Branding {
  title: string;
  /** An https URL, or '' for no logo. */
  logoUrl: string;
  heading: string;
  footer: string;
}

/** A form of the sign-in flow: where it posts, what it carries forward, and its CSRF token. */
export interface FormContext {
  action: string;
  /** The authorization request's own parameters, carried as hidden fields. */
  hidden: Record<string, string>;
  csrfToken: string;
  /** Where the answer to the form may redirect: the client's redirect URI (CSP `form-action`). */
  redirectSource: string;
}

/** A problem to show on a page, next to the field it is about when there is one. */
export interface Problem {
  text: string;
  field?: 'username' | 'password' | 'otp' | 'recovery_code';
}

export type View =
  | { page: 'sign-in'; branding: Branding; clientName: string; username: string; form: FormContext; problem?: Problem }
  | {
      page: 'approval';
      branding: Branding;
      clientName: string;
      username: string;
      scopes: { name: string; description: string }[];
      form: FormContext;
      /** A link that starts the same request again with `prompt=login`, to sign in as someone else. */
      switchAccountHref: string;
    }
  | {
      page: 'second-factor';
      branding: Branding;
      clientName: string;
      username: string;
      form: FormContext;
      problem?: Problem;
      /** Present when the user must enrol first: the new factor's QR code (an SVG document), secret and recovery codes. */
      enrolment?: { qrSvg: string; secret: string; recoveryCodes: string[] };
    }
  | { page: 'error'; branding: Branding; heading: string; text: string }
  | { page: 'sign-out'; branding: Branding; username: string; form: { action: string; csrfToken: string } }
  | { page: 'signed-out'; branding: Branding };

/** A page to answer with. */
export interface PageAnswer {
  status: number;
  view: View;
  /** Seconds, sent as `Retry-After` (a throttled sign-in). */
  retryAfter?: number;
}
