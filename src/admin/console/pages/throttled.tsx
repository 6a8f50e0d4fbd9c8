import { useState } from 'preact/hooks';
import { api, type ThrottleBlock, type UnlockResult } from '../api.ts';
import { ConfirmButton, DataTable, Field, type FieldErrors, FormError, Notice, errorsFrom, formatTime, useLoad } from '../components.tsx';

/** What each counter means for the person locked out (docs/security.md, "Brute-force defence"). */
const COUNTERS: Record<ThrottleBlock['counter'], { label: string; hint: string }> = {
  user_ip: { label: 'blocked', hint: 'this username from this address' },
  ip: { label: 'blocked', hint: 'this address, for every username' },
  user: { label: 'delayed', hint: 'this username, from every address' },
};

type Subject = { username: string } | { ip: string };

/** An address block is lifted by address; a username's block or delay by username (which ends all of its blocks). */
function subjectOf(block: ThrottleBlock): Subject {
  return block.counter === 'ip' ? { ip: block.ip ?? '' } : { username: block.username ?? '' };
}

function subjectName(subject: Subject): string {
  return 'username' in subject ? subject.username : `address ${subject.ip}`;
}

function unlocked(result: UnlockResult): string {
  const what = result.username !== undefined ? result.username : `address ${result.ip}`;
  return `Unlocked ${what}: ${result.cleared} recorded block${result.cleared === 1 ? '' : 's'} ended.`;
}

function duration(block: ThrottleBlock): string {
  const seconds = Math.round((Date.parse(block.until) - Date.parse(block.since)) / 1000);
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  return `${Math.round(seconds / 360) / 10} h`;
}

function UnlockForm(props: { onUnlocked: (result: UnlockResult) => void }) {
  const [kind, setKind] = useState<'username' | 'ip'>('username');
  const [value, setValue] = useState('');
  const [errors, setErrors] = useState<FieldErrors>({});
  const submit = async (event: Event) => {
    event.preventDefault();
    if (value.trim() === '') return setErrors({ value: kind === 'username' ? 'type the username to unlock' : 'type the address to unlock (203.0.113.7)' });
    setErrors({});
    try {
      props.onUnlocked(await api<UnlockResult>('POST', '/throttle/unlock', { [kind]: value.trim() }));
      setValue('');
    } catch (caught) {
      const found = errorsFrom(caught);
      const message = found.username ?? found.ip;
      setErrors(message === undefined ? found : { value: message });
    }
  };
  return (
    <form class="card form inline" id="throttle-unlock-form" onSubmit={submit} noValidate>
      <FormError errors={errors} />
      <Field id="throttle-kind" label="Unlock">
        <select id="throttle-kind" value={kind} onChange={(e) => setKind(e.currentTarget.value as 'username' | 'ip')}>
          <option value="username">username</option>
          <option value="ip">address</option>
        </select>
      </Field>
      <Field id="throttle-value" label={kind === 'username' ? 'Username' : 'Address'} error={errors.value}>
        <input id="throttle-value" value={value} placeholder={kind === 'username' ? 'alice' : '203.0.113.7'} onInput={(e) => setValue(e.currentTarget.value)} />
      </Field>
      <button type="submit">Unlock</button>
    </form>
  );
}

/**
 * Brute-force blocks and delays now running, newest first, and unlocking them. Only blocks are
 * listed: failures below a threshold are counted but not recorded, so they cannot be shown.
 */
export function ThrottledPage() {
  const blocks = useLoad(() => api<ThrottleBlock[]>('GET', '/throttle'));
  const [notice, setNotice] = useState<string>();
  const done = (result: UnlockResult) => {
    setNotice(unlocked(result));
    blocks.reload();
  };
  return (
    <section>
      <header class="page-header">
        <h2>Throttled accounts</h2>
        <button type="button" class="secondary" onClick={blocks.reload}>
          Refresh
        </button>
      </header>
      <p class="muted">
        Too many wrong passwords block a username from one address, or an address for every username; a username attacked from
        many addresses is slowed down, never blocked. Unlocking a username ends its delay and all its blocks at once, on every
        instance; unlocking an address ends its blocks. Times are UTC.
      </p>
      {notice && <Notice kind="success">{notice}</Notice>}
      <UnlockForm onUnlocked={done} />
      {blocks.error && <p class="form-error">{blocks.error}</p>}
      <DataTable
        id="throttle-table"
        rows={blocks.data ?? []}
        rowKey={(block) => `${block.counter} ${block.username ?? ''} ${block.ip ?? ''}`}
        filterText={(block) => `${COUNTERS[block.counter].label} ${COUNTERS[block.counter].hint} ${block.username ?? ''} ${block.ip ?? ''}`}
        pageSize={20}
        empty="Nobody is throttled."
        columns={[
          {
            label: 'Counter',
            render: (block) => (
              <>
                <span class={`badge ${block.counter === 'user' ? 'off' : 'warn'}`}>{COUNTERS[block.counter].label}</span>{' '}
                <span class="muted">{COUNTERS[block.counter].hint}</span>
              </>
            ),
          },
          { label: 'Username', render: (block) => block.username ?? <span class="muted">(any)</span> },
          { label: 'Address', render: (block) => block.ip ?? <span class="muted">(any)</span> },
          { label: 'Since', render: (block) => <span class="nowrap">{formatTime(block.since)}</span> },
          {
            label: 'Until',
            render: (block) => (
              <span class="nowrap">
                {formatTime(block.until)} <span class="muted">({duration(block)})</span>
              </span>
            ),
          },
          {
            label: '',
            render: (block) => {
              const subject = subjectOf(block);
              return (
                <div class="row-actions">
                  <ConfirmButton
                    label="Unlock"
                    title={`Unlock ${subjectName(subject)}?`}
                    message={
                      'username' in subject ? (
                        <p>
                          <strong>{subject.username}</strong> may try to sign in again at once, from every address: its delay and every
                          block of this username end. The unlock is written to the audit log.
                        </p>
                      ) : (
                        <p>
                          Address <strong>{subject.ip}</strong> may try passwords again at once, with every username. The unlock is
                          written to the audit log.
                        </p>
                      )
                    }
                    confirmLabel="Unlock"
                    danger={false}
                    onConfirm={async () => done(await api<UnlockResult>('POST', '/throttle/unlock', subject))}
                  />
                </div>
              );
            },
          },
        ]}
      />
    </section>
  );
}
