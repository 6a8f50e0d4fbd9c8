import { isIP, type Socket, connect as netConnect } from 'node:net';
import { performance } from 'node:perf_hooks';
import { type ConnectionOptions, connect as tlsConnect } from 'node:tls';
import { Client, ResultCodeError } from 'ldapts';

/** The directory did not answer in time, could not be reached, or refused the service account. */
export class DirectoryUnavailable extends Error {
  override name = 'DirectoryUnavailable';
}

/** How to reach the directory: TLS (certificates always verified) and the deadline of each step. */
export interface Transport {
  /** Upgrade `ldap://` connections with StartTLS (RFC 4511 §4.14) before anything is sent. */
  startTls: boolean;
  /** PEM certificates to trust instead of Node's built-in list; `undefined` keeps the built-in list. */
  ca: string | undefined;
  /** The longest any one operation may take (a backstop: every call also has its request's deadline). */
  timeoutMs: number;
}

/** One open connection to one directory server. Never reconnects: a closed one is thrown away. */
export interface LdapConnection {
  client: Client;
  url: string;
  /** Whether the socket is still open. */
  readonly open: boolean;
  close(): void;
}

/** Milliseconds left until `deadline` (on performance.now()'s clock). */
export function remaining(deadline: number): number {
  return Math.max(0, deadline - performance.now());
}

/**
 * Settles with `work`, or, past `deadline`, calls `onLate` (which closes the connection, so that
 * no answer arrives later on a pooled one) and fails with `DirectoryUnavailable`.
 */
export async function beforeDeadline<T>(deadline: number, what: string, work: Promise<T>, onLate: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onLate();
      reject(new DirectoryUnavailable(`the directory did not answer ${what} in time`));
    }, remaining(deadline));
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Whether a failure means the connection itself is unusable (anything but an LDAP result code). */
export function isConnectionFailure(error: unknown): boolean {
  return !(error instanceof ResultCodeError);
}

function tlsOptions(host: string, transport: Transport): ConnectionOptions {
  // rejectUnauthorized stays at Node's default (true): the certificate chain and the host name are checked.
  return {
    host,
    ...(isIP(host) === 0 ? { servername: host } : {}),
    ...(transport.ca !== undefined ? { ca: transport.ca } : {}),
    minVersion: 'TLSv1.2',
  };
}

/** Opens the TCP (or TLS, for ldaps://) socket, giving up at the deadline. */
function openSocket(url: URL, transport: Transport, deadline: number): Promise<Socket> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const secure = url.protocol === 'ldaps:';
  const port = Number(url.port || (secure ? 636 : 389));
  return new Promise((resolve, reject) => {
    const socket: Socket = secure ? tlsConnect({ ...tlsOptions(host, transport), port }) : netConnect({ host, port });
    const timer = setTimeout(() => fail(new DirectoryUnavailable(`${url.origin}: no connection within the timeout`)), remaining(deadline));
    function fail(error: Error) {
      clearTimeout(timer);
      socket.destroy();
      reject(error instanceof DirectoryUnavailable ? error : new DirectoryUnavailable(`${url.protocol}//${url.host}: ${error.message}`, { cause: error }));
    }
    socket.once('error', fail);
    socket.once(secure ? 'secureConnect' : 'connect', () => {
      clearTimeout(timer);
      socket.removeListener('error', fail);
      // The client adds its own listeners at its first operation; until then an error must not go unheard.
      socket.on('error', () => undefined);
      resolve(socket);
    });
  });
}

/**
 * Opens one connection: the socket (TLS for ldaps://), then StartTLS when asked. The ldapts client
 * gets this socket only: if it ever tried to reconnect on its own it would do so without StartTLS
 * and without the bind, so a second socket is refused and the connection fails instead.
 */
export async function openConnection(url: string, transport: Transport, deadline: number): Promise<LdapConnection> {
  const parsed = new URL(url);
  const socket = await openSocket(parsed, transport, deadline);
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  let handedOut = false;
  const once = () => {
    if (handedOut) throw new DirectoryUnavailable(`${url}: the connection closed`);
    handedOut = true;
    return socket;
  };
  let upgraded = false;
  const client = new Client({
    url,
    timeout: transport.timeoutMs,
    // DNs are the directory's own; they are passed on as they are.
    strictDN: false,
    createConnection: once,
    createSecureConnection: ((options: ConnectionOptions) => {
      if (parsed.protocol === 'ldaps:') return once();
      // The StartTLS upgrade of this one socket, once.
      if (upgraded) throw new DirectoryUnavailable(`${url}: the connection closed`);
      upgraded = true;
      return tlsConnect({ ...options, ...tlsOptions(host, transport) });
    }) as unknown as typeof tlsConnect,
  });
  const connection: LdapConnection = {
    client,
    url,
    get open() {
      return client.isConnected && !socket.destroyed;
    },
    close() {
      socket.destroy();
      void client.unbind().catch(() => undefined);
    },
  };
  if (parsed.protocol === 'ldap:' && transport.startTls) {
    try {
      await beforeDeadline(deadline, 'StartTLS', client.startTLS(tlsOptions(host, transport)), () => connection.close());
    } catch (error) {
      connection.close();
      throw error instanceof DirectoryUnavailable ? error : new DirectoryUnavailable(`${url}: StartTLS failed: ${(error as Error).message}`, { cause: error });
    }
  }
  return connection;
}

/**
 * Opens a connection to the first server that answers, trying `urls` in order from `first` (the
 * last one that worked), each with an equal share of the time left. Returns the index that worked.
 */
export async function openAny(urls: readonly string[], first: number, transport: Transport, deadline: number): Promise<{ connection: LdapConnection; index: number }> {
  const failures: string[] = [];
  for (let attempt = 0; attempt < urls.length; attempt++) {
    const index = (first + attempt) % urls.length;
    const share = performance.now() + remaining(deadline) / (urls.length - attempt);
    try {
      return { connection: await openConnection(urls[index]!, transport, share), index };
    } catch (error) {
      failures.push((error as Error).message);
    }
  }
  throw new DirectoryUnavailable(failures.join('; '));
}
