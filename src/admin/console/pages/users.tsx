import { useState } from 'preact/hooks';
import { api, enc, type Group, type User } from '../api.ts';
import { Checkboxes, ConfirmButton, DataTable, Field, type FieldErrors, FormError, Notice, errorsFrom, formatTime, useLoad } from '../components.tsx';
import { LiveGrantsSection, RecentEventsSection } from './activity.tsx';
import { UserConsentsSection, UserSessionsSection } from './sign-in.tsx';
import { UserMfaSection } from './user-mfa.tsx';

function UserCreateForm(props: { groups: string[]; onCreated: () => void; onCancel: () => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [groups, setGroups] = useState<string[]>([]);
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [errors, setErrors] = useState<FieldErrors>({});
  const submit = async (event: Event) => {
    event.preventDefault();
    const found: FieldErrors = {};
    if (username.trim() === '') found.username = 'username is required';
    if (password === '') found.password = 'password is required';
    setErrors(found);
    if (Object.keys(found).length > 0) return;
    try {
      await api('POST', '/users', { username: username.trim(), password, groups, name: name.trim(), email: email.trim() });
      setUsername('');
      setPassword('');
      setName('');
      setEmail('');
      setGroups([]);
      props.onCreated();
    } catch (caught) {
      setErrors(errorsFrom(caught));
    }
  };
  return (
    <form class="card form" onSubmit={submit} noValidate>
      <FormError errors={errors} />
      <div class="row">
        <Field id="user-username" label="Username" error={errors.username}>
          <input id="user-username" autoComplete="off" value={username} onInput={(e) => setUsername(e.currentTarget.value)} />
        </Field>
        <Field id="user-password" label="Password" error={errors.password}>
          <input id="user-password" type="password" autoComplete="new-password" value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
        </Field>
      </div>
      <div class="row">
        <Field id="user-name" label="Name" error={errors.name} hint="optional; shown to applications by userinfo">
          <input id="user-name" autoComplete="off" value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </Field>
        <Field id="user-email" label="Email" error={errors.email} hint="optional">
          <input id="user-email" type="email" autoComplete="off" value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
        </Field>
      </div>
      <Field id="user-groups" label="Groups" error={errors.groups}>
        <Checkboxes id="user-groups" options={props.groups} selected={groups} onChange={setGroups} />
      </Field>
      <div class="actions">
        <button type="submit">Create user</button>
        <button type="button" class="secondary" onClick={props.onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function GroupsSection(props: { groups: Group[]; reload: () => void }) {
  const [name, setName] = useState('');
  const [errors, setErrors] = useState<FieldErrors>({});
  const create = async (event: Event) => {
    event.preventDefault();
    if (name.trim() === '') return setErrors({ name: 'name is required' });
    try {
      await api('POST', '/groups', { name: name.trim() });
      setName('');
      setErrors({});
      props.reload();
    } catch (caught) {
      setErrors(errorsFrom(caught));
    }
  };
  return (
    <section>
      <h2>Groups</h2>
      <form class="card form inline" onSubmit={create} noValidate>
        <FormError errors={errors} />
        <Field id="group-name" label="New group" error={errors.name}>
          <input id="group-name" value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </Field>
        <button type="submit">Create group</button>
      </form>
      <DataTable
        id="groups-table"
        rows={props.groups}
        rowKey={(group) => group.name}
        filterText={(group) => group.name}
        columns={[
          { label: 'Name', render: (group) => group.name },
          { label: 'Members', render: (group) => group.members },
          {
            label: '',
            render: (group) =>
              group.built_in ? (
                <span class="muted">built in</span>
              ) : (
                <ConfirmButton
                  label="Delete"
                  title={`Delete group ${group.name}?`}
                  message="Its members leave the group; ACLs naming it no longer match anyone."
                  onConfirm={async () => {
                    await api('DELETE', `/groups/${enc(group.name)}`);
                    props.reload();
                  }}
                />
              ),
          },
        ]}
      />
    </section>
  );
}

export function UsersPage() {
  const users = useLoad(() => api<User[]>('GET', '/users'));
  const groups = useLoad(() => api<Group[]>('GET', '/groups'));
  const [creating, setCreating] = useState(false);
  const reload = () => (users.reload(), groups.reload());
  return (
    <>
      <section>
        <header class="page-header">
          <h2>Users</h2>
          {!creating && (
            <button type="button" onClick={() => setCreating(true)}>
              New user
            </button>
          )}
        </header>
        {creating && groups.data && (
          <>
            <h3>New user</h3>
            <UserCreateForm
              groups={groups.data.map((group) => group.name)}
              onCreated={() => (setCreating(false), reload())}
              onCancel={() => setCreating(false)}
            />
          </>
        )}
        <DataTable
          id="users-table"
          rows={users.data ?? []}
          rowKey={(user) => user.username}
          filterText={(user) => `${user.username} ${user.name ?? ''} ${user.email ?? ''} ${user.groups.join(' ')}`}
          columns={[
            { label: 'Username', render: (user) => <a href={`#/users/${enc(user.username)}`}>{user.username}</a> },
            { label: 'Name', render: (user) => user.name ?? '' },
            { label: 'Groups', render: (user) => user.groups.join(', ') },
            { label: 'Status', render: (user) => <span class={`badge ${user.enabled ? 'ok' : 'off'}`}>{user.enabled ? 'enabled' : 'disabled'}</span> },
            { label: 'Source', render: (user) => (user.source === 'directory' ? <span class="badge warn">directory</span> : 'local') },
            { label: 'Created', render: (user) => formatTime(user.created_at) },
          ]}
        />
      </section>
      <GroupsSection groups={groups.data ?? []} reload={reload} />
    </>
  );
}

/**
 * A directory user: a read-only copy of what the directory said at the last sign-in or refresh.
 * Deleting forgets the copy and ends the user's tokens; it comes back at their next sign-in.
 */
function DirectoryUserDetail(props: { user: User; navigate: (hash: string) => void }) {
  const { user } = props;
  return (
    <section>
      <header class="page-header">
        <h2>User {user.username}</h2>
        <a href="#/users">All users</a>
      </header>
      <Notice kind="info">
        This user comes from the directory (<a href="#/directory">Directory</a>). Their password, groups and status are changed there; this is
        the copy read at their last sign-in or refresh.
      </Notice>
      <div class="card">
        <dl class="facts">
          <dt>Status</dt>
          <dd>
            <span class={`badge ${user.enabled ? 'ok' : 'off'}`}>{user.enabled ? 'enabled' : 'disabled'}</span>
          </dd>
          <dt>Entry</dt>
          <dd>
            <code>{user.dn}</code>
          </dd>
          <dt>Groups</dt>
          <dd>{user.groups.join(', ') || '(none)'}</dd>
          <dt>Read from the directory</dt>
          <dd>{formatTime(user.synced_at ?? null)}</dd>
        </dl>
      </div>
      <UserMfaSection username={user.username} />
      <div class="actions danger-zone">
        <ConfirmButton
          label="Forget user"
          title={`Forget ${user.username}?`}
          message="The copy and every token of this user are deleted. They can sign in again while the directory lets them."
          confirmLabel="Forget"
          onConfirm={async () => {
            await api('DELETE', `/users/${enc(user.username)}`);
            props.navigate('#/users');
          }}
        />
      </div>
    </section>
  );
}

export function UserDetailPage(props: { username: string; navigate: (hash: string) => void }) {
  const user = useLoad(() => api<User>('GET', `/users/${enc(props.username)}`), [props.username]);
  const groups = useLoad(() => api<Group[]>('GET', '/groups'));
  const [selected, setSelected] = useState<string[]>();
  const [profile, setProfile] = useState<{ name: string; email: string }>();
  const [password, setPassword] = useState('');
  const [errors, setErrors] = useState<FieldErrors>({});
  const [notice, setNotice] = useState<string>();
  if (user.error) return <p class="form-error">{user.error}</p>;
  if (!user.data || !groups.data) return <p class="muted">Loading…</p>;
  const current = user.data;
  const path = `/users/${enc(current.username)}`;
  if (current.source === 'directory') return <DirectoryUserDetail user={current} navigate={props.navigate} />;
  const attempt = async (work: () => Promise<void>, done: string) => {
    try {
      await work();
      setErrors({});
      setNotice(done);
      user.reload();
    } catch (caught) {
      setErrors(errorsFrom(caught));
    }
  };
  return (
    <section>
      <header class="page-header">
        <h2>User {current.username}</h2>
        <a href="#/users">All users</a>
      </header>
      <p>
        <span class={`badge ${current.enabled ? 'ok' : 'off'}`}>{current.enabled ? 'enabled' : 'disabled'}</span> · created{' '}
        {formatTime(current.created_at)}
      </p>
      {notice && <Notice kind="success">{notice}</Notice>}
      <FormError errors={errors} />
      <div class="card form">
        <div class="row">
          <Field id="detail-name" label="Name" error={errors.name} hint="shown to applications by userinfo; empty for none">
            <input
              id="detail-name"
              value={profile?.name ?? current.name ?? ''}
              onInput={(e) => setProfile({ name: e.currentTarget.value, email: profile?.email ?? current.email ?? '' })}
            />
          </Field>
          <Field id="detail-email" label="Email" error={errors.email} hint="empty for none">
            <input
              id="detail-email"
              type="email"
              value={profile?.email ?? current.email ?? ''}
              onInput={(e) => setProfile({ name: profile?.name ?? current.name ?? '', email: e.currentTarget.value })}
            />
          </Field>
        </div>
        <div class="actions">
          <button
            type="button"
            onClick={() =>
              attempt(() => api('PATCH', path, { name: (profile?.name ?? current.name ?? '').trim(), email: (profile?.email ?? current.email ?? '').trim() }), 'Profile saved.')
            }
          >
            Save profile
          </button>
        </div>
      </div>
      <div class="card form">
        <Field id="detail-groups" label="Groups" error={errors.groups}>
          <Checkboxes id="detail-groups" options={groups.data.map((group) => group.name)} selected={selected ?? current.groups} onChange={setSelected} />
        </Field>
        <div class="actions">
          <button type="button" onClick={() => attempt(() => api('PATCH', path, { groups: selected ?? current.groups }), 'Groups saved.')}>
            Save groups
          </button>
        </div>
      </div>
      <form
        class="card form"
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          if (password === '') return setErrors({ password: 'enter the new password' });
          void attempt(async () => {
            await api('PUT', `${path}/password`, { password });
            setPassword('');
          }, 'Password changed; the user\'s tokens have ended.');
        }}
      >
        <Field id="detail-password" label="New password" error={errors.password} hint="setting it ends every token and sign-in session of this user">
          <input id="detail-password" type="password" autoComplete="new-password" value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
        </Field>
        <div class="actions">
          <button type="submit">Set password</button>
        </div>
      </form>
      <UserMfaSection username={current.username} />
      <LiveGrantsSection subject={{ username: current.username }} />
      <UserSessionsSection username={current.username} />
      <UserConsentsSection username={current.username} />
      <RecentEventsSection subject={{ username: current.username }} />
      <div class="actions danger-zone">
        {current.enabled ? (
          <ConfirmButton
            label="Disable"
            title={`Disable ${current.username}?`}
            message="Every token of this user ends, and they cannot sign in until enabled again."
            onConfirm={() => attempt(() => api('PATCH', path, { enabled: false }), 'User disabled.')}
          />
        ) : (
          <button type="button" onClick={() => attempt(() => api('PATCH', path, { enabled: true }), 'User enabled.')}>
            Enable
          </button>
        )}
        <ConfirmButton
          label="Delete user"
          title={`Delete ${current.username}?`}
          message="The user and every token they hold are deleted. This cannot be undone."
          confirmLabel="Delete"
          onConfirm={async () => {
            await api('DELETE', path);
            props.navigate('#/users');
          }}
        />
      </div>
    </section>
  );
}
