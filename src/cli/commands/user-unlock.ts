import type { Command } from 'commander';
import { loadConfig } from '../../config/config.ts';
import { systemClock } from '../../core/clock.ts';
import { openStore } from '../../store/open-store.ts';
import { type DataOptions, withDataOptions } from '../context.ts';

/**
 * `portcullis user unlock --username U`: clears a username's throttling counters where the running
 * servers keep them (the SQLite file, the PostgreSQL database, or Redis when redis_url is set).
 */
export function userUnlockCommand(user: Command): void {
  withDataOptions(
    user
      .command('unlock')
      .description('clear the brute-force blocks and delay of a username, so that it can log in again at once')
      .requiredOption('--username <name>', 'username (need not exist: unknown names are throttled alike)'),
  ).action(async (options: DataOptions & { username: string }) => {
    const config = loadConfig({ db: options.db, databaseUrl: options.databaseUrl, config: options.config });
    // Loaded here: only this command needs the limiter libraries.
    const { openThrottleBackend } = await import('../../authz/throttle-backends.ts');
    const { LoginThrottle } = await import('../../authz/throttle.ts');
    const { unlockUsername } = await import('../../manage/throttle.ts');
    const store = await openStore(config);
    try {
      await store.migrate();
      const backend = await openThrottleBackend(config, store);
      try {
        const result = await unlockUsername(store, new LoginThrottle(config.throttle, backend), systemClock, options.username);
        const text = `unlocked ${result.username} (${result.cleared} recorded block${result.cleared === 1 ? '' : 's'} cleared)`;
        process.stdout.write(options.json ? `${JSON.stringify(result, null, 2)}\n` : `${text}\n`);
      } finally {
        await backend.close?.();
      }
    } finally {
      await store.close();
    }
  });
}
