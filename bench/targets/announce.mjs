// How a bench target tells whoever started it that it is ready, in plain JavaScript so that every
// peer and bound runs under `node` with no loader. The runner (bench/lib/spawn.ts) opens a pipe on
// the descriptor named by BENCH_CONTROL_FD and reads one JSON line per message from it; a target
// started by hand (`node bench/targets/oidc-provider.mjs`) prints the same line on stdout instead.
import { writeSync } from 'node:fs';
import { createInterface } from 'node:readline';

const fd = process.env.BENCH_CONTROL_FD === undefined ? undefined : Number(process.env.BENCH_CONTROL_FD);

/** Sends one message (a JSON line) to the runner. */
export function announce(message) {
  const line = `${JSON.stringify(message)}\n`;
  if (fd === undefined) process.stdout.write(line);
  else writeSync(fd, line);
}

/** The options the runner passed as the first argument (JSON), or `{}`. */
export function targetOptions() {
  return process.argv[2] ? JSON.parse(process.argv[2]) : {};
}

/**
 * Answers the runner's requests: one JSON line `{ id, method, argument }` per request on stdin,
 * one `{ id, value }` or `{ id, error }` line back per answer. Without a runner, stdin is ignored.
 */
export function serveRequests(methods) {
  if (fd === undefined) return;
  createInterface({ input: process.stdin }).on('line', (line) => {
    const { id, method, argument } = JSON.parse(line);
    const run = methods[method];
    Promise.resolve()
      .then(() => {
        if (!run) throw new Error(`no operation ${method}`);
        return run(argument);
      })
      .then(
        (value) => announce({ id, value }),
        (error) => announce({ id, error: error?.stack ?? String(error) }),
      );
  });
}

/** The argon2id parameters of the password rows; the runner passes Portcullis's own (src/core/password-hash.ts). */
export function argon2Options(options) {
  return { algorithm: 2, ...(options.argon2 ?? { memoryCost: 19456, timeCost: 2, parallelism: 1 }) };
}
