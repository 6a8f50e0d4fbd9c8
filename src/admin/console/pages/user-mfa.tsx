import { useState } from 'preact/hooks';
import { api, enc } from '../api.ts';
import { ConfirmButton, type FieldErrors, FormError, Notice, errorsFrom, useLoad } from '../components.tsx';

interface MfaStatus {
  enrolled: boolean;
  pending: boolean;
  enrolled_at: string | null;
  recovery_codes_left: number;
}

interface MfaEnrolment {
  secret: string;
  otpauth_uri: string;
  qr_code: string;
  recovery_codes: string[];
}

/**
 * A user's second factor (docs/mfa.md): whether they have one, an administrator's enrolment (the QR
 * code, the secret and the recovery codes, shown once, to hand to the user), and a reset.
 */
export function UserMfaSection(props: { username: string }) {
  const path = `/users/${enc(props.username)}/mfa`;
  const status = useLoad(() => api<MfaStatus>('GET', path), [props.username]);
  const [enrolment, setEnrolment] = useState<MfaEnrolment>();
  const [errors, setErrors] = useState<FieldErrors>({});
  const [notice, setNotice] = useState<string>();
  const attempt = async (work: () => Promise<void>) => {
    try {
      await work();
      setErrors({});
      status.reload();
    } catch (caught) {
      setErrors(errorsFrom(caught));
    }
  };
  const state = status.data;
  return (
    <section id="mfa">
      <h3>Second factor</h3>
      {notice && <Notice kind="success">{notice}</Notice>}
      <FormError errors={errors} />
      {enrolment ? (
        <div class="card mfa-enrolment">
          <Notice kind="warning">Shown only now. Give the QR code or the secret to {props.username}, with the recovery codes.</Notice>
          <img id="mfa-qr" src={enrolment.qr_code} alt={`QR code of the authenticator secret for ${props.username}`} width={180} height={180} />
          <dl class="facts">
            <dt>Secret</dt>
            <dd>
              <code id="mfa-secret">{enrolment.secret}</code>
            </dd>
            <dt>Recovery codes</dt>
            <dd>
              <ul id="mfa-recovery-codes" class="codes">
                {enrolment.recovery_codes.map((code) => (
                  <li key={code}>
                    <code>{code}</code>
                  </li>
                ))}
              </ul>
            </dd>
          </dl>
          <div class="actions">
            <button type="button" onClick={() => setEnrolment(undefined)}>
              Done
            </button>
          </div>
        </div>
      ) : (
        <div class="card">
          <p id="mfa-status">
            {state === undefined
              ? 'Loading…'
              : state.enrolled
                ? `Enrolled (TOTP) since ${new Date(state.enrolled_at!).toLocaleString()}; ${state.recovery_codes_left} recovery codes left.`
                : state.pending
                  ? 'Enrolment started, no code accepted yet.'
                  : 'No second factor.'}
          </p>
          <div class="actions">
            {state !== undefined && !state.enrolled && (
              <button
                type="button"
                onClick={() =>
                  attempt(async () => {
                    setNotice(undefined);
                    setEnrolment(await api<MfaEnrolment>('POST', path));
                  })
                }
              >
                Enrol authenticator
              </button>
            )}
            {state !== undefined && (state.enrolled || state.pending) && (
              <ConfirmButton
                label="Reset second factor"
                title={`Reset the second factor of ${props.username}?`}
                message="Their authenticator and recovery codes stop working. Where the policy requires a second factor, they enrol again at their next sign-in."
                confirmLabel="Reset"
                onConfirm={() =>
                  attempt(async () => {
                    await api('DELETE', path);
                    setNotice('Second factor removed.');
                  })
                }
              />
            )}
          </div>
        </div>
      )}
    </section>
  );
}
