import type { Command } from 'commander';
import {
  deleteClient,
  describeClient,
  parseAccessTtl,
  parseConsent,
  parseTokenFormat,
  parseCount,
  parseGrants,
  registerClient,
  requireClient,
  rotateClientSecret,
  updateClient,
} from '../../manage/clients.ts';
import type { ClientPatch } from '../../store/store.ts';
import { type DataOptions, splitCsv, table, withDataOptions, withStore } from '../context.ts';

interface ClientOptions {
  name?: string;
  version?: string;
  description?: string;
  type?: string;
  grants?: string;
  scopes?: string;
  refreshLimit?: string;
  refreshTtl?: string;
  accessTtl?: string;
  introspect?: boolean;
  trustedForEndUserAddress?: boolean;
  serviceUser?: string;
  redirectUris?: string;
  consent?: string;
  tokenFormat?: string;
}

function refreshLimit(value: string): number | null {
  return value === 'unlimited' ? null : parseCount('--refresh-limit', value, 0);
}

function withClientSettings(command: Command): Command {
  return command
    .option('--description <text>', 'description')
    .option('--scopes <list>', 'associated scopes, comma-separated')
    .option('--refresh-limit <n>', 'refreshes allowed per grant; 0 = no refresh token; "unlimited" (default)')
    .option('--refresh-ttl <seconds>', 'refresh-token lifetime (default 30 days)')
    .option('--access-ttl <seconds|never|global>', 'access-token lifetime (default: the global setting)')
    .option('--service-user <username>', 'user whose ACL rights client_credentials tokens carry')
    .option('--redirect-uris <list>', 'where the authorization endpoint may send the user back, comma-separated (authorization_code)')
    .option('--consent <mode>', 'when the user approves the client: always, remember (default) or skip')
    .option('--token-format <format>', 'access tokens: opaque (default) or jwt (RFC 9068; default lifetime 5 minutes)');
}

export function clientCommand(program: Command): void {
  const client = program.command('client').description('register and manage OAuth clients');

  withDataOptions(
    withClientSettings(
      client
        .command('create')
        .description('register a client; a confidential client\'s secret is printed once')
        .requiredOption('--name <name>', 'client name')
        .option('--version <version>', 'client version (name + version are unique)', '')
        .requiredOption('--type <type>', 'confidential or public')
        .requiredOption('--grants <list>', 'allowed grants: authorization_code,password,refresh_token,client_credentials')
        .option('--introspect', 'may introspect any client\'s tokens (a resource server)')
        .option('--trusted-for-end-user-address', 'a backend that may pass its end user\'s address (end_user_ip) with a password grant'),
    ),
  ).action(async (options: ClientOptions & { json?: boolean }) =>
    withStore(options, async (cli) => {
      const { client: created, secret } = await registerClient(cli.store, cli.clock, {
        name: options.name!,
        version: options.version,
        description: options.description,
        type: options.type as 'confidential' | 'public',
        grants: splitCsv(options.grants) ?? [],
        scopes: splitCsv(options.scopes),
        refreshLimit: options.refreshLimit === undefined ? undefined : refreshLimit(options.refreshLimit),
        refreshTokenTtl: options.refreshTtl === undefined ? undefined : parseCount('--refresh-ttl', options.refreshTtl, 1),
        accessTokenTtl: options.accessTtl === undefined ? undefined : parseAccessTtl(options.accessTtl),
        introspect: options.introspect,
        trustedForEndUserAddress: options.trustedForEndUserAddress,
        serviceUser: options.serviceUser,
        redirectUris: splitCsv(options.redirectUris),
        consent: options.consent,
        tokenFormat: options.tokenFormat,
      });
      const result = secret === undefined ? { client_id: created.id } : { client_id: created.id, client_secret: secret };
      cli.print(
        result,
        secret === undefined
          ? `client_id: ${created.id}`
          : `client_id:     ${created.id}\nclient_secret: ${secret}\n(the secret is shown only now; store it safely)`,
      );
    }),
  );

  withDataOptions(client.command('list').description('list clients')).action(async (options: DataOptions) =>
    withStore(options, async (cli) => {
      const rows = (await cli.store.listClients()).map(describeClient);
      cli.print(rows, table(rows, ['client_id', 'name', 'version', 'type', 'grants', 'scopes', 'enabled']));
    }),
  );

  withDataOptions(client.command('show').description('show one client').argument('<client_id>')).action(
    async (id: string, options: DataOptions) =>
      withStore(options, async (cli) => {
        const shown = describeClient(await requireClient(cli.store, id));
        cli.print(shown, Object.entries(shown).map(([key, value]) => `${key}: ${Array.isArray(value) ? value.join(',') : String(value)}`).join('\n'));
      }),
  );

  withDataOptions(
    withClientSettings(
      client
        .command('update')
        .description('change a client\'s settings')
        .argument('<client_id>')
        .option('--name <name>', 'client name')
        .option('--version <version>', 'client version')
        .option('--grants <list>', 'allowed grants')
        .option('--introspect', 'may introspect any client\'s tokens')
        .option('--no-introspect', 'may introspect only its own tokens')
        .option('--trusted-for-end-user-address', 'may pass its end user\'s address (end_user_ip)')
        .option('--no-trusted-for-end-user-address', 'may not pass end_user_ip'),
    ),
  ).action(async (id: string, options: ClientOptions & { json?: boolean }) =>
    withStore(options, async (cli) => {
      const patch: ClientPatch = {};
      if (options.name !== undefined) patch.name = options.name;
      if (options.version !== undefined) patch.version = options.version;
      if (options.description !== undefined) patch.description = options.description;
      if (options.grants !== undefined) patch.grants = parseGrants(splitCsv(options.grants) ?? []);
      if (options.scopes !== undefined) patch.scopes = splitCsv(options.scopes) ?? [];
      if (options.refreshLimit !== undefined) patch.refreshLimit = refreshLimit(options.refreshLimit);
      if (options.refreshTtl !== undefined) patch.refreshTokenTtl = parseCount('--refresh-ttl', options.refreshTtl, 1);
      if (options.accessTtl !== undefined) patch.accessTokenTtl = parseAccessTtl(options.accessTtl);
      if (options.introspect !== undefined) patch.introspect = options.introspect;
      if (options.trustedForEndUserAddress !== undefined) patch.trustedForEndUserAddress = options.trustedForEndUserAddress;
      if (options.serviceUser !== undefined) patch.serviceUser = options.serviceUser === '' ? null : options.serviceUser;
      if (options.redirectUris !== undefined) patch.redirectUris = splitCsv(options.redirectUris) ?? [];
      if (options.consent !== undefined) patch.consent = parseConsent(options.consent);
      if (options.tokenFormat !== undefined) patch.tokenFormat = parseTokenFormat(options.tokenFormat);
      const updated = describeClient(await updateClient(cli.store, id, patch));
      cli.print(updated, `updated client ${id}`);
    }),
  );

  for (const [name, enabled] of [['enable', true], ['disable', false]] as const) {
    withDataOptions(
      client
        .command(name)
        .description(enabled ? 'enable a client' : 'disable a client; its tokens are inactive until it is enabled again')
        .argument('<client_id>'),
    ).action(async (id: string, options: DataOptions) =>
      withStore(options, async (cli) => {
        await updateClient(cli.store, id, { enabled });
        cli.print({ client_id: id, enabled }, `${name}d client ${id}`);
      }),
    );
  }

  withDataOptions(client.command('delete').description('delete a client and all its tokens').argument('<client_id>')).action(
    async (id: string, options: DataOptions) =>
      withStore(options, async (cli) => {
        await deleteClient(cli.store, id);
        cli.print({ client_id: id, deleted: true }, `deleted client ${id}`);
      }),
  );

  withDataOptions(
    client.command('rotate-secret').description('issue a new secret (printed once); the old one stops working').argument('<client_id>'),
  ).action(async (id: string, options: DataOptions) =>
    withStore(options, async (cli) => {
      const secret = await rotateClientSecret(cli.store, id);
      cli.print({ client_id: id, client_secret: secret }, `client_secret: ${secret}\n(the secret is shown only now; store it safely)`);
    }),
  );
}

