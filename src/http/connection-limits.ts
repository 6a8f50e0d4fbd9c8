import { BlockList, isIP, type Server } from 'node:net';
import type { Socket } from 'node:net';
import type { HttpLimits } from '../config/config.ts';

/**
 * How often Node looks for requests past their headers or request timeout. Node's default (30 s)
 * let a slow request live up to 30 s beyond its timeout; a tenth of the headers timeout, at most
 * one second, keeps the overshoot small without a timer per connection.
 */
export function connectionsCheckingInterval(limits: HttpLimits): number {
  return Math.max(10, Math.min(1000, Math.floor(limits.headersTimeoutMs / 10)));
}

/** The named ranges `trusted_proxies` accepts (as proxy-addr reads them), as CIDRs. */
const NAMED_RANGES: Record<string, [string, number, 'ipv4' | 'ipv6'][]> = {
  loopback: [['127.0.0.0', 8, 'ipv4'], ['::1', 128, 'ipv6']],
  linklocal: [['169.254.0.0', 16, 'ipv4'], ['fe80::', 10, 'ipv6']],
  uniquelocal: [['10.0.0.0', 8, 'ipv4'], ['172.16.0.0', 12, 'ipv4'], ['192.168.0.0', 16, 'ipv4'], ['fc00::', 7, 'ipv6']],
};

/** The trusted proxies as a BlockList, to test an address against them. */
function proxyList(trustedProxies: readonly string[]): BlockList {
  const list = new BlockList();
  for (const entry of trustedProxies) {
    for (const [address, bits, family] of NAMED_RANGES[entry] ?? []) list.addSubnet(address, bits, family);
    if (NAMED_RANGES[entry]) continue;
    const [address = '', bits] = entry.split('/');
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    list.addSubnet(address, bits === undefined ? (family === 'ipv6' ? 128 : 32) : Number(bits), family);
  }
  return list;
}

/**
 * Closes a connection that sends nothing within the headers timeout, and caps open connections: all of them (`net.Server#maxConnections`, Node closes the excess), and
 * those of one peer address, closed as they arrive once the address has its share, so that one
 * client's thousand idle connections cannot exhaust the descriptors that everyone else's
 * requests (and `/healthz`) need. A trusted proxy carries many clients' connections: it is exempt
 * from the per-address cap, and only the total applies to it.
 */
export function limitConnections(server: Server, limits: HttpLimits, trustedProxies: readonly string[]): void {
  if (limits.maxConnections > 0) server.maxConnections = limits.maxConnections;
  // Node's headers timeout starts with the first byte of a request: a connection that sends nothing
  // at all would hold its place until the peer leaves. It gets the same time to start.
  server.on('connection', (socket: Socket) => {
    const silent = setTimeout(() => socket.destroy(), limits.headersTimeoutMs);
    silent.unref();
    socket.once('data', () => clearTimeout(silent));
    socket.once('close', () => clearTimeout(silent));
  });
  if (limits.maxConnectionsPerAddress <= 0) return;
  const proxies = proxyList(trustedProxies);
  const open = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress;
    if (address === undefined) return;
    if (proxies.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4')) return;
    const count = open.get(address) ?? 0;
    if (count >= limits.maxConnectionsPerAddress) {
      socket.destroy();
      return;
    }
    open.set(address, count + 1);
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left <= 0) open.delete(address);
      else open.set(address, left);
    });
  });
}
