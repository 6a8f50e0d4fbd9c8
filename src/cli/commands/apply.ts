import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { UserError } from '../../core/errors.ts';
import { applySetup, describeChange, parseSetup } from '../../manage/apply.ts';
import { type DataOptions, withDataOptions, withStore } from '../context.ts';

export function applyCommand(program: Command): void {
  withDataOptions(
    program
      .command('apply')
      .description('create or update settings, groups, scopes, users, clients, services and ACLs from a YAML file')
      .requiredOption('-f, --file <setup.yaml>', 'the setup file'),
  ).action(async (options: DataOptions & { file: string }) => {
    let text: string;
    try {
      text = readFileSync(options.file, 'utf8');
    } catch {
      throw new UserError(`cannot read ${options.file}`);
    }
    const doc = parseSetup(text);
    await withStore(options, async (cli) => {
      const result = await applySetup(cli.store, cli.hasher, cli.clock, doc);
      const secrets = result.secrets.map(
        (s) => `client ${s.name}${s.version ? ` ${s.version}` : ''}: client_id ${s.client_id} client_secret ${s.client_secret}`,
      );
      cli.print(
        result,
        [...result.changes.map(describeChange), ...(secrets.length ? ['new secrets (shown only now):', ...secrets] : [])].join('\n'),
      );
    });
  });
}
