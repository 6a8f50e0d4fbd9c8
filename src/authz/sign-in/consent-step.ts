import { AccessDenied, ConsentRequired } from '../../core/errors.ts';
import { isSubset } from '../../core/scope.ts';
import type { PageAnswer } from '../pages/views.ts';
import { branding, formContext, type SignInFlow, type SignInStep } from './flow.ts';

function signedIn(flow: SignInFlow): { id: string; username: string } {
  // The credentials step comes first: by now the browser has a session.
  const session = flow.session!;
  return { id: session.id, username: session.record.username };
}

async function approvalPage(flow: SignInFlow, status = 200): Promise<PageAnswer> {
  const { id, username } = signedIn(flow);
  const described = new Map((await flow.ctx.store.listScopes()).map((scope) => [scope.name, scope.description]));
  const again = new URLSearchParams({ ...flow.authz.params, prompt: 'login' });
  return {
    status,
    view: {
      page: 'approval',
      branding: branding(flow.settings),
      clientName: flow.authz.client.name,
      username,
      scopes: flow.authz.scope.map((name) => ({ name, description: described.get(name) ?? '' })),
      form: formContext(flow, 'consent', id),
      switchAccountHref: `${flow.request.path}?${again.toString()}`,
    },
  };
}

/**
 * The approval page: the user sees the client's name and the scopes' descriptions and approves
 * or denies. Whether it is shown depends on the client (`consent: always | remember | skip`), on
 * what the user approved before, and on `prompt=consent`. Approval is remembered per user and
 * client, the scopes added to those approved before; denial answers `access_denied` to the client.
 * @see RFC 6749 §4.1.1, §4.1.2.1; OpenID Connect Core §3.1.2.4
 */
export const consentStep: SignInStep = {
  name: 'consent',
  form: 'consent',
  promptNoneError: () => new ConsentRequired(),

  async isNeeded(flow) {
    if (flow.approvedNow) return false;
    if (flow.authz.prompt.has('consent')) return true;
    const { client } = flow.authz;
    if (client.consent === 'skip') return false;
    if (client.consent === 'always') return true;
    const remembered = await flow.ctx.store.findConsent(signedIn(flow).username, client.id);
    return remembered === undefined || !isSubset(flow.authz.scope, remembered.scope);
  },

  page: (flow) => approvalPage(flow),

  async submit(flow) {
    const { ctx, authz } = flow;
    const decision = flow.request.params.decision;
    if (decision === 'deny') throw new AccessDenied('the user denied the request');
    if (decision !== 'approve') return approvalPage(flow, 400);
    const { username } = signedIn(flow);
    const before = await ctx.store.findConsent(username, authz.client.id);
    const scope = [...new Set([...(before?.scope ?? []), ...authz.scope])].sort();
    const now = ctx.clock.nowSeconds();
    await ctx.store.saveConsent({ username, clientId: authz.client.id, scope, grantedAt: now });
    ctx.audit.record({
      at: now,
      type: 'consent.granted',
      ip: flow.request.ip,
      clientId: authz.client.id,
      username,
      detail: { scope: authz.scope.join(' ') },
    });
    flow.approvedNow = true;
    return undefined;
  },
};
