import type { LoginSession, MfaChallenge, Settings, User } from '../../core/model.ts';
import type { AuthorizationRequest } from '../authorization-request.ts';
import type { AuthzContext } from '../context.ts';
import type { OAuthRequest } from '../oauth-request.ts';
import type { Branding, FormContext, PageAnswer } from '../pages/views.ts';
import { redirectUriSource } from '../../core/redirect-uri.ts';
import { type FormPurpose, formToken } from '../login-session.ts';

/** A request of the user's browser to the authorization endpoint: an `OAuthRequest` with its method, path and cookies. */
export interface BrowserRequest extends OAuthRequest {
  method: 'GET' | 'POST';
  /** The path it was sent to (`/oauth/authorize` or its alias): forms post back there. */
  path: string;
  /** The values of Portcullis's cookies, whatever their names on the wire. */
  cookies: { session?: string; csrf?: string; mfa?: string };
}

/** Cookies to set with the answer; `session: null` deletes the session cookie. */
export interface CookieChanges {
  session?: { value: string; maxAge: number } | null;
  csrf?: string;
  /** The pending second step of a sign-in (docs/mfa.md "Sign-in page"): its challenge token; `null` deletes it. */
  mfa?: { value: string; maxAge: number } | null;
}

/**
 * One authorization request on its way through the sign-in steps: what was asked, who the browser
 * is signed in as, and what changed during this request. The steps read and update it.
 */
export interface SignInFlow {
  ctx: AuthzContext;
  request: BrowserRequest;
  authz: AuthorizationRequest;
  settings: Settings;
  /** The browser's live login session and the id in its cookie. */
  session: { id: string; record: LoginSession } | undefined;
  /**
   * A correct password whose second factor is still to come: the challenge (from the `mfa` cookie, or
   * made by the credentials step during this request), for this client, with its user.
   */
  pendingMfa?: { challenge: MfaChallenge; user: User };
  /** The user signed in during this request: `prompt=login` and `max_age` are satisfied. */
  signedInNow: boolean;
  /** The user approved the client during this request. */
  approvedNow: boolean;
  cookies: CookieChanges;
}

/** The names of the steps, as the forms send them in `step`. */
export type StepName = 'credentials' | 'second-factor' | 'consent';

/**
 * One step between an authorization request and its code (docs/oauth.md "Sign-in steps"): whether
 * this request still needs it, the page that asks for it, and what its form does when submitted.
 * The endpoint runs the steps in order (SIGN_IN_STEPS in steps.ts); a second factor is one more
 * step between credentials and consent.
 */
export interface SignInStep {
  name: StepName;
  /** Whose cookie the step's CSRF token is derived from. */
  form: FormPurpose;
  /** The error for `prompt=none` when the step is needed (OpenID Connect Core §3.1.2.6). */
  promptNoneError(): Error;
  isNeeded(flow: SignInFlow): Promise<boolean>;
  /** The page that asks for this step. */
  page(flow: SignInFlow): Promise<PageAnswer>;
  /** Handles the step's form (its CSRF token already checked): nothing when the step is done, else the page to show again. */
  submit(flow: SignInFlow): Promise<PageAnswer | undefined>;
}

export function branding(settings: Settings): Branding {
  return {
    title: settings.approvalPageTitle,
    logoUrl: settings.approvalPageLogoUrl,
    heading: settings.approvalPageHeading,
    footer: settings.approvalPageFooter,
  };
}

/**
 * The request's parameters for the next form. Once the user has signed in during this request,
 * `prompt=login` and `max_age` have done their work and are dropped, so that the approval form does
 * not ask for the password again; the code's `auth_time` tells the client when the sign-in was.
 */
export function continuedParams(flow: SignInFlow): Record<string, string> {
  const params = { ...flow.authz.params };
  if (flow.signedInNow) {
    delete params.max_age;
    const prompt = [...flow.authz.prompt].filter((value) => value !== 'login');
    if (prompt.length > 0) params.prompt = prompt.join(' ');
    else delete params.prompt;
  }
  return params;
}

/** The form of a step, with the CSRF token derived from `cookieValue`. */
export function formContext(flow: SignInFlow, purpose: FormPurpose, cookieValue: string): FormContext {
  return {
    action: flow.request.path,
    hidden: continuedParams(flow),
    csrfToken: formToken(purpose, cookieValue),
    redirectSource: redirectUriSource(flow.authz.redirectUri),
  };
}
