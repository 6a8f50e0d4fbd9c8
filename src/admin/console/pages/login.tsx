import { useState } from 'preact/hooks';
import { api, type Session } from '../api.ts';
import { Field, type FieldErrors, FormError, errorsFrom } from '../components.tsx';

export function LoginPage(props: { onSignedIn: (session: Session) => void; expired?: boolean }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [errors, setErrors] = useState<FieldErrors>({});
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    const found: FieldErrors = {};
    if (username.trim() === '') found.username = 'enter your username';
    if (password === '') found.password = 'enter your password';
    setErrors(found);
    if (Object.keys(found).length > 0) return;
    setBusy(true);
    try {
      props.onSignedIn(await api<Session>('POST', '/session', { username: username.trim(), password }));
    } catch (caught) {
      setPassword('');
      setErrors(errorsFrom(caught));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="login">
      <form class="card form" onSubmit={submit} noValidate aria-label="Sign in">
        <h1>Portcullis</h1>
        <p class="muted">Administrator sign-in</p>
        {props.expired && <p class="muted">Your session has ended. Sign in again.</p>}
        <FormError errors={errors} />
        <Field id="login-username" label="Username" error={errors.username}>
          <input id="login-username" autoComplete="username" value={username} onInput={(e) => setUsername(e.currentTarget.value)} />
        </Field>
        <Field id="login-password" label="Password" error={errors.password}>
          <input id="login-password" type="password" autoComplete="current-password" value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
        </Field>
        <button type="submit" disabled={busy}>
          Sign in
        </button>
      </form>
    </main>
  );
}
