import { InvalidRequest, type OAuthError, UnauthorizedClient, UnsupportedResponseType } from '../core/errors.ts';
import type { Client, Settings } from '../core/model.ts';
import { isS256Challenge } from '../core/pkce.ts';
import { isRegisteredRedirectUri } from '../core/redirect-uri.ts';
import type { ClientStore } from '../store/store.ts';
import type { OAuthRequest } from './oauth-request.ts';
import { resolveRequestedScope } from './requested-scope.ts';

/** The parameters of an authorization request (RFC 6749 §4.1.1, RFC 7636 §4.3, OpenID Connect Core §3.1.2.1) that the pages carry forward. */
const REQUEST_PARAMETERS = [
  'client_id',
  'redirect_uri',
  'response_type',
  'response_mode',
  'scope',
  'state',
  'code_challenge',
  'code_challenge_method',
  'nonce',
  'prompt',
  'max_age',
  'login_hint',
] as const;

const MAX_NONCE = 512;
const MAX_LOGIN_HINT = 200;

/** Where the answer to an authorization request may go: a known, enabled client and one of its redirect URIs. */
export interface RedirectTarget {
  client: Client;
  redirectUri: string;
  /** Whether the request named the redirect URI (else the client's only one is used: RFC 6749 §3.1.2.3). */
  redirectUriGiven: boolean;
  /** `state`, echoed in every answer sent there (RFC 6749 §4.1.2). */
  state: string | undefined;
}

/** OpenID Connect Core §3.1.2.1; `select_account` is read as `login`: the sign-in page is where one picks the account. */
export type Prompt = 'none' | 'login' | 'consent';

/** An authorization request that passed every check of `readAuthorizationRequest`. */
export interface AuthorizationRequest extends RedirectTarget {
  scope: string[];
  /** The PKCE S256 challenge, or `null` for a confidential client that sent none. */
  codeChallenge: string | null;
  nonce: string | null;
  prompt: ReadonlySet<Prompt>;
  /** Seconds since the sign-in beyond which the user must sign in again (OpenID Connect Core §3.1.2.1). */
  maxAge: number | undefined;
  /** A username to offer on the sign-in page. */
  loginHint: string | undefined;
  /** The request's own parameters, for the hidden fields of the pages that continue it. */
  params: Record<string, string>;
}

/**
 * Finds where errors about this request may be sent (RFC 6749 §4.1.2.1): the client must be known
 * and enabled and the redirect URI registered for it. When one of these fails, the answer is an
 * error page and never a redirect, since the request could have been made up to send the user (or
 * a code) anywhere. Throws `OAuthError`s for that page.
 */
export async function resolveRedirectTarget(store: Pick<ClientStore, 'findClient'>, request: OAuthRequest): Promise<RedirectTarget> {
  if (request.formError !== undefined) throw new InvalidRequest(request.formError);
  const params = request.params;
  for (const name of ['client_id', 'redirect_uri'] as const) {
    if (request.repeated.includes(name)) throw new InvalidRequest(`parameter ${name} must not be repeated`);
  }
  if (params.client_id === undefined || params.client_id === '') throw new InvalidRequest('the request has no client_id');
  const client = await store.findClient(params.client_id);
  if (!client?.enabled) throw new InvalidRequest('the client is unknown or disabled');
  const given = params.redirect_uri;
  if (given === undefined) {
    // RFC 6749 §3.1.2.3: without one in the request, only a client with exactly one will do.
    if (client.redirectUris.length !== 1) throw new InvalidRequest('the request has no redirect_uri, and the client has not exactly one registered');
    return { client, redirectUri: client.redirectUris[0]!, redirectUriGiven: false, state: params.state };
  }
  if (!isRegisteredRedirectUri(client.redirectUris, given)) throw new InvalidRequest('the redirect_uri is not registered for this client');
  return { client, redirectUri: given, redirectUriGiven: true, state: params.state };
}

function readPrompt(raw: string | undefined): Set<Prompt> {
  const values = new Set((raw ?? '').split(' ').filter((value) => value !== ''));
  const prompt = new Set<Prompt>();
  for (const value of values) {
    if (value === 'select_account') prompt.add('login');
    else if (value === 'none' || value === 'login' || value === 'consent') prompt.add(value);
    else throw new InvalidRequest('prompt must be none, login, consent or select_account');
  }
  if (prompt.has('none') && values.size > 1) throw new InvalidRequest('prompt=none cannot be combined with other values');
  return prompt;
}

/** PKCE (RFC 7636 §4.3): S256 only (RFC 9700 §2.1.1), required of public clients and, by setting, of all. */
function readCodeChallenge(params: Record<string, string>, client: Client, settings: Settings): string | null {
  const challenge = params.code_challenge;
  const method = params.code_challenge_method;
  if (challenge === undefined) {
    if (method !== undefined) throw new InvalidRequest('code_challenge_method was sent without code_challenge');
    if (client.type === 'public' || settings.requirePkce) {
      throw new InvalidRequest('PKCE is required: send code_challenge with code_challenge_method=S256');
    }
    return null;
  }
  // RFC 7636 §4.3 makes a missing method mean `plain`, which is refused like an explicit one.
  if (method !== 'S256') throw new InvalidRequest('code_challenge_method must be S256 (plain is not accepted)');
  if (!isS256Challenge(challenge)) throw new InvalidRequest('code_challenge must be 43 base64url characters (an S256 challenge)');
  return challenge;
}

/**
 * Checks an authorization request whose redirect target is known, in order: well formed,
 * `response_type=code` (RFC 9700 §2.1.2: no implicit grant), the client may use the grant, the scope
 * is the client's, PKCE, then the OpenID Connect parameters. Every failure is an `OAuthError` to
 * send back to the client (RFC 6749 §4.1.2.1). Does NOT look at the user or the session.
 */
export function readAuthorizationRequest(request: OAuthRequest, target: RedirectTarget, settings: Settings): AuthorizationRequest {
  const params = request.params;
  if (request.repeated.length > 0) throw new InvalidRequest(`parameter ${request.repeated[0]} must not be repeated`);
  if (params.response_type === undefined) throw new InvalidRequest('missing parameter response_type');
  if (params.response_type !== 'code') throw new UnsupportedResponseType('only response_type=code is supported');
  if (params.response_mode !== undefined && params.response_mode !== 'query') throw new InvalidRequest('response_mode must be query');
  const { client } = target;
  if (!client.grants.includes('authorization_code')) throw new UnauthorizedClient('this client may not use the authorization_code grant');
  const scope = resolveRequestedScope(client, params.scope);
  const codeChallenge = readCodeChallenge(params, client, settings);
  const prompt = readPrompt(params.prompt);
  if (params.max_age !== undefined && !/^\d{1,9}$/.test(params.max_age)) throw new InvalidRequest('max_age must be a number of seconds');
  if (params.nonce !== undefined && params.nonce.length > MAX_NONCE) throw new InvalidRequest(`nonce is longer than ${MAX_NONCE} characters`);
  if (params.login_hint !== undefined && params.login_hint.length > MAX_LOGIN_HINT) throw new InvalidRequest('login_hint is too long');
  const carried: Record<string, string> = {};
  for (const name of REQUEST_PARAMETERS) if (params[name] !== undefined) carried[name] = params[name];
  return {
    ...target,
    scope,
    codeChallenge,
    nonce: params.nonce ?? null,
    prompt,
    maxAge: params.max_age === undefined ? undefined : Number(params.max_age),
    loginHint: params.login_hint,
    params: carried,
  };
}

/**
 * The redirect back to the client (RFC 6749 §4.1.2, §4.1.2.1): the given parameters added to the
 * redirect URI's own query, with `state` when the request had one and `iss` always (RFC 9207 §2).
 */
export function redirectBack(target: RedirectTarget, issuer: string, answer: Record<string, string>): string {
  const url = new URL(target.redirectUri);
  for (const [name, value] of Object.entries(answer)) url.searchParams.append(name, value);
  if (target.state !== undefined) url.searchParams.append('state', target.state);
  url.searchParams.append('iss', issuer);
  return url.href;
}

/** An error answered by redirect (RFC 6749 §4.1.2.1): its code and fixed text, never anything from the request. */
export function errorRedirect(target: RedirectTarget, issuer: string, error: OAuthError): string {
  const answer: Record<string, string> = { error: error.error };
  if (error.description !== undefined) answer.error_description = error.description;
  return redirectBack(target, issuer, answer);
}
