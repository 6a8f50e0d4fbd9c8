import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ComponentChildren } from 'preact';
import { renderToString } from 'preact-render-to-string';
import { packageFile } from '../../package-files.ts';
import type { Branding, FormContext, Problem, View } from './views.ts';

/** The pages' one stylesheet, inlined and allowed by its hash: the pages load nothing else. */
const CSS = readFileSync(packageFile('src', 'authz', 'pages', 'pages.css'), 'utf8');
const CSS_HASH = `'sha256-${createHash('sha256').update(CSS, 'utf8').digest('base64')}'`;

/** A rendered page and the Content-Security-Policy it needs. */
export interface RenderedPage {
  html: string;
  csp: string;
}

function Layout(props: { branding: Branding; title: string; children: ComponentChildren }) {
  const { branding } = props;
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="robots" content="noindex" />
        <title>{`${props.title} · ${branding.title}`}</title>
        {/* Our own stylesheet, read from the package: not data, so it is not escaped. */}
        <style dangerouslySetInnerHTML={{ __html: CSS }} />
      </head>
      <body>
        <main>
          <header class="brand">
            {branding.logoUrl !== '' && <img src={branding.logoUrl} alt="" />}
            <span>{branding.title}</span>
          </header>
          <section class="card">{props.children}</section>
          {branding.footer !== '' && <footer class="footer">{branding.footer}</footer>}
        </main>
      </body>
    </html>
  );
}

function HiddenFields(props: { form: FormContext; step: string }) {
  return (
    <>
      {Object.entries(props.form.hidden).map(([name, value]) => (
        <input key={name} type="hidden" name={name} value={value} />
      ))}
      <input type="hidden" name="step" value={props.step} />
      <input type="hidden" name="csrf_token" value={props.form.csrfToken} />
    </>
  );
}

/** An input whose error, if it has one, is read out with it (aria-describedby) and marked invalid. */
function TextField(props: {
  id: string;
  label: string;
  type: string;
  autoComplete: string;
  value?: string;
  problem: Problem | undefined;
  autoFocus: boolean;
}) {
  const invalid = props.problem !== undefined && props.problem.field === props.id;
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      <input
        id={props.id}
        name={props.id}
        type={props.type}
        autoComplete={props.autoComplete}
        value={props.value}
        required
        autoFocus={props.autoFocus}
        autoCapitalize="none"
        spellcheck={false}
        aria-invalid={invalid ? 'true' : undefined}
        aria-describedby={invalid ? 'problem' : undefined}
      />
    </div>
  );
}

function SignInPage({ view }: { view: Extract<View, { page: 'sign-in' }> }) {
  const { problem } = view;
  // The field to start in: the one at fault, else the first one still empty.
  const focus = problem?.field ?? (view.username === '' ? 'username' : 'password');
  return (
    <Layout branding={view.branding} title="Sign in">
      <h1>Sign in</h1>
      <p>
        to continue to <strong>{view.clientName}</strong>
      </p>
      {problem && (
        <p class="problem" id="problem" role="alert">
          {problem.text}
        </p>
      )}
      <form method="post" action={view.form.action}>
        <HiddenFields form={view.form} step="credentials" />
        <TextField id="username" label="Username" type="text" autoComplete="username" value={view.username} problem={problem} autoFocus={focus === 'username'} />
        <TextField id="password" label="Password" type="password" autoComplete="current-password" problem={problem} autoFocus={focus === 'password'} />
        <div class="actions">
          <button type="submit">Sign in</button>
        </div>
      </form>
    </Layout>
  );
}

function SecondFactorPage({ view }: { view: Extract<View, { page: 'second-factor' }> }) {
  const { problem, enrolment } = view;
  return (
    <Layout branding={view.branding} title={enrolment ? 'Set up your authenticator' : 'Two-step verification'}>
      <h1>{enrolment ? 'Set up your authenticator' : 'Two-step verification'}</h1>
      <p class="muted">
        Signed in as <strong>{view.username}</strong> to continue to <strong>{view.clientName}</strong>.
      </p>
      {problem && (
        <p class="problem" id="problem" role="alert">
          {problem.text}
        </p>
      )}
      {enrolment && (
        <>
          <p>Scan this code with an authenticator app, then enter the six-digit code it shows.</p>
          {/* The QR code library's own SVG (path data only, no text of the request): not data, so not escaped. */}
          <div class="qr" role="img" aria-label="QR code of your authenticator secret" dangerouslySetInnerHTML={{ __html: enrolment.qrSvg }} />
          <p class="muted">
            Or type this secret: <code id="totp-secret">{enrolment.secret}</code>
          </p>
          <p>Keep these recovery codes somewhere safe. Each works once, if you lose your phone; they are shown only now.</p>
          <ul class="codes" id="recovery-codes">
            {enrolment.recoveryCodes.map((code) => (
              <li key={code}>
                <code>{code}</code>
              </li>
            ))}
          </ul>
        </>
      )}
      <form method="post" action={view.form.action}>
        <HiddenFields form={view.form} step="second-factor" />
        <div class="field">
          <label for="otp">Code from your authenticator app</label>
          <input
            id="otp"
            name="otp"
            type="text"
            inputMode="numeric"
            pattern="[0-9 ]*"
            autoComplete="one-time-code"
            autoFocus={problem?.field !== 'recovery_code'}
            aria-invalid={problem?.field === 'otp' ? 'true' : undefined}
            aria-describedby={problem?.field === 'otp' ? 'problem' : undefined}
          />
        </div>
        {!enrolment && (
          <details open={problem?.field === 'recovery_code'}>
            <summary>Use a recovery code instead</summary>
            <div class="field">
              <label for="recovery_code">Recovery code</label>
              <input
                id="recovery_code"
                name="recovery_code"
                type="text"
                autoComplete="off"
                autoCapitalize="characters"
                spellcheck={false}
                autoFocus={problem?.field === 'recovery_code'}
                aria-invalid={problem?.field === 'recovery_code' ? 'true' : undefined}
                aria-describedby={problem?.field === 'recovery_code' ? 'problem' : undefined}
              />
            </div>
          </details>
        )}
        <div class="actions">
          <button type="submit">Verify</button>
        </div>
      </form>
    </Layout>
  );
}

function ApprovalPage({ view }: { view: Extract<View, { page: 'approval' }> }) {
  return (
    <Layout branding={view.branding} title={view.branding.heading}>
      <h1>{view.branding.heading}</h1>
      <p>
        <strong>{view.clientName}</strong> wants to access your account.
      </p>
      <p class="muted">
        Signed in as <strong>{view.username}</strong>. <a href={view.switchAccountHref}>Not you?</a>
      </p>
      {view.scopes.length > 0 ? (
        <>
          <p id="scopes-heading">It asks for:</p>
          <ul class="scopes" aria-labelledby="scopes-heading">
            {view.scopes.map((scope) => (
              <li key={scope.name}>
                <span>{scope.description === '' ? scope.name : scope.description}</span>
                <code>{scope.name}</code>
              </li>
            ))}
          </ul>
        </>
      ) : (
        <p>It asks for no scopes: it only learns that you signed in.</p>
      )}
      <form method="post" action={view.form.action}>
        <HiddenFields form={view.form} step="consent" />
        <div class="actions">
          <button type="submit" name="decision" value="approve">
            Allow
          </button>
          <button type="submit" name="decision" value="deny" class="secondary">
            Deny
          </button>
        </div>
      </form>
    </Layout>
  );
}

function ErrorPage({ view }: { view: Extract<View, { page: 'error' }> }) {
  return (
    <Layout branding={view.branding} title={view.heading}>
      <h1>{view.heading}</h1>
      <p role="alert">{view.text}</p>
      <p class="muted">Go back to the application and start again, or close this window.</p>
    </Layout>
  );
}

function SignOutPage({ view }: { view: Extract<View, { page: 'sign-out' }> }) {
  return (
    <Layout branding={view.branding} title="Sign out">
      <h1>Sign out</h1>
      <p>
        You are signed in as <strong>{view.username}</strong>.
      </p>
      <form method="post" action={view.form.action}>
        <input type="hidden" name="csrf_token" value={view.form.csrfToken} />
        <div class="actions">
          <button type="submit">Sign out</button>
        </div>
      </form>
    </Layout>
  );
}

function SignedOutPage({ view }: { view: Extract<View, { page: 'signed-out' }> }) {
  return (
    <Layout branding={view.branding} title="Signed out">
      <h1>You are signed out</h1>
      <p>Applications that you signed in to will ask you to sign in again.</p>
    </Layout>
  );
}

function body(view: View) {
  switch (view.page) {
    case 'sign-in':
      return <SignInPage view={view} />;
    case 'second-factor':
      return <SecondFactorPage view={view} />;
    case 'approval':
      return <ApprovalPage view={view} />;
    case 'error':
      return <ErrorPage view={view} />;
    case 'sign-out':
      return <SignOutPage view={view} />;
    case 'signed-out':
      return <SignedOutPage view={view} />;
  }
}

/**
 * The policy of a page: nothing loads but its own inline stylesheet (by hash) and the logo; forms
 * post only to this origin and lead only to the client's redirect URI; no framing (clickjacking,
 * RFC 6749 §10.13); no base URI.
 */
function policy(view: View): string {
  const formAction =
    view.page === 'sign-in' || view.page === 'second-factor' || view.page === 'approval' ? `'self' ${view.form.redirectSource}` : view.page === 'sign-out' ? "'self'" : "'none'";
  const directives = [`default-src 'none'`, `style-src ${CSS_HASH}`];
  if (view.branding.logoUrl !== '') directives.push(`img-src ${new URL(view.branding.logoUrl).origin}`);
  directives.push(`form-action ${formAction}`, `frame-ancestors 'none'`, `base-uri 'none'`);
  return directives.join('; ');
}

/** Renders a view as a complete HTML document; every value is escaped by the renderer. */
export function renderPage(view: View): RenderedPage {
  return { html: `<!doctype html>${renderToString(body(view))}`, csp: policy(view) };
}
