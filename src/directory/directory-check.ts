import type { DirectoryUnavailable } from './ldap-connection.ts';
import type { LdapDirectory } from './ldap-directory.ts';

/** One step of `directory test`: what was tried, whether it worked, and what was found or went wrong. */
export interface CheckStep {
  step: string;
  ok: boolean;
  detail: string;
}

/** What `directory test` (CLI, admin API, console) reports. */
export interface DirectoryReport {
  ok: boolean;
  steps: CheckStep[];
  /** The user tried, when a username was given and found. */
  user?: { username: string; dn: string; enabled: boolean; directory_groups: string[]; groups: string[] };
}

export interface CheckOptions {
  username?: string;
  /** Checked only when given (and the user is found and enabled); never kept or shown. */
  password?: string;
  /** Local usernames to look for in the directory (a name in both is a configuration error). */
  localUsernames?: string[];
}

/**
 * Checks the directory settings end to end (docs/directory.md, "Checking the settings"): a
 * connection to each URL (TLS verified), the service account's bind, the user and group bases,
 * and optionally one user's search, bind and groups, and the local names. Stops at the first step
 * that later ones need. Messages never hold a password.
 */
export async function checkDirectory(directory: LdapDirectory, options: CheckOptions = {}): Promise<DirectoryReport> {
  const steps: CheckStep[] = [];
  const step = (name: string, ok: boolean, detail: string) => {
    steps.push({ step: name, ok, detail });
    return ok;
  };
  const report = (user?: DirectoryReport['user']): DirectoryReport => ({ ok: steps.every((s) => s.ok), steps, ...(user ? { user } : {}) });
  const attempt = async (name: string, work: () => Promise<string>): Promise<boolean> => {
    try {
      return step(name, true, await work());
    } catch (error) {
      return step(name, false, (error as DirectoryUnavailable).message);
    }
  };

  const config = directory.config;
  const tls = (url: string) => (url.startsWith('ldaps:') ? ', TLS certificate verified' : config.startTls ? ', StartTLS, certificate verified' : ', unencrypted');
  const reached = await directory.connectEach();
  for (const { url, error } of reached) step(`connect ${url}`, error === undefined, error ?? `connected${tls(url)}`);
  if (!reached.some(({ error }) => error === undefined)) return report();

  const bound = await attempt('service bind', async () => {
    await directory.checkServiceBind();
    return config.bindDn === undefined ? 'anonymous (no directory.bind_dn)' : `bound as ${config.bindDn}`;
  });
  if (!bound) return report();
  const bases = [['user base', config.userBase], ...(config.groups === 'search' ? [['group base', config.groupBase!]] : [])] as const;
  for (const [name, dn] of bases) {
    await attempt(name, async () => {
      if (!(await directory.exists(dn))) throw new Error(`${dn} does not exist, or the service account cannot read it`);
      return `${dn} exists`;
    });
  }

  if (options.localUsernames !== undefined) {
    await attempt('local and directory names', async () => {
      const both = await directory.findNames(options.localUsernames!);
      if (both.length > 0) throw new Error(`the directory also has the local user${both.length > 1 ? 's' : ''} ${both.join(', ')}: narrow directory.user_filter`);
      return `the directory has none of the local usernames (${options.localUsernames!.length})`;
    });
  }

  if (options.username === undefined) return report();
  let user: DirectoryReport['user'];
  try {
    const found = await directory.findUser(options.username, directory.deadline());
    if (found === undefined) {
      step('user search', false, `no entry matches ${config.usernameAttribute}=${options.username} under ${config.userBase} with ${config.userFilter} (or more than one does)`);
      return report();
    }
    step('user search', true, `found ${found.entry.dn}${found.disabled ? ' (disabled)' : ''}`);
    if (options.password !== undefined) {
      if (found.disabled) step('user bind', false, 'not tried: the account is disabled');
      else if (options.password === '') step('user bind', false, 'not tried: the password is empty');
      else {
        const accepted = await directory.checkPassword(found.entry.dn, options.password, directory.deadline());
        step('user bind', accepted, accepted ? 'the directory accepted the password' : 'the directory refused the password');
      }
    }
    const entry = await directory.describeFound(options.username, found);
    step('groups', true, `${entry.groupDns.length} directory group(s), mapped to: ${entry.groups.join(', ') || '(none)'}`);
    user = { username: entry.username, dn: entry.dn, enabled: entry.enabled, directory_groups: entry.groupDns, groups: entry.groups };
  } catch (error) {
    step('user search', false, (error as Error).message);
  }
  return report(user);
}
