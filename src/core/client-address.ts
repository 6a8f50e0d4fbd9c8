import ipaddr from 'ipaddr.js';
import { LRUCache } from 'lru-cache';

/**
 * The one spelling of a client address, or `null` when the text is not an IP address. Accepts what
 * proxies write in `X-Forwarded-For` and sockets report: `[2001:db8::1]:443` and `203.0.113.7:5678`
 * (brackets and port dropped), upper case and leading zeros (`2001:0DB8::1`), IPv4-mapped IPv6
 * (`::ffff:203.0.113.7` becomes `203.0.113.7`), a zone (`fe80::1%eth0`, dropped). IPv6 comes out in
 * RFC 5952's canonical form. Anything else (`unknown`, an obfuscated `_hidden` node name from
 * RFC 7239 §6, `not-an-ip<script>`) is `null`: it is never stored or counted as an address.
 */
export function normalizeAddress(raw: string | undefined): string | null {
  if (raw === undefined) return null;
  // Every request asks for its peer's address, and parsing one costs more than the rest of the
  // request's address handling: the few addresses a server sees at a time are remembered.
  let known = normalized.get(raw);
  if (known === undefined) {
    known = { address: normalize(raw) };
    normalized.set(raw, known);
  }
  return known.address;
}

/** Bounded, so that a flood of forwarded addresses cannot grow it (boxed: lru-cache holds no `null`). */
const normalized = new LRUCache<string, { address: string | null }>({ max: 4096 });

function normalize(raw: string): string | null {
  let text = raw.trim();
  if (text.length === 0 || text.length > 100) return null;
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(text);
  if (bracketed) text = bracketed[1]!;
  else if (/^\d{1,3}(?:\.\d{1,3}){3}:\d{1,5}$/.test(text)) text = text.slice(0, text.lastIndexOf(':'));
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  // Only the dotted-quad form of IPv4 (ipaddr.js would also read `0x7f.1` or `2130706433`).
  if (!text.includes(':') && !/^\d{1,3}(?:\.\d{1,3}){3}$/.test(text)) return null;
  if (!ipaddr.isValid(text)) return null;
  let parsed = ipaddr.parse(text);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  return parsed.kind() === 'ipv6' ? (parsed as ipaddr.IPv6).toRFC5952String() : parsed.toString();
}

/**
 * The address as the throttle counts it: an IPv4 address alone, an IPv6 address by its network of
 * `ipv6PrefixLength` bits (64 by default: one site or one customer's line, docs/security.md), written
 * `2001:db8:0:1::/64`. A prefix of 128 counts every IPv6 address alone. Expects a normalised address;
 * anything that does not parse is returned as it is.
 */
export function addressGroup(address: string, ipv6PrefixLength: number): string {
  if (!ipaddr.IPv6.isValid(address) || ipv6PrefixLength >= 128) return address;
  const bytes = ipaddr.IPv6.parse(address).toByteArray();
  for (let bit = ipv6PrefixLength; bit < 128; bit++) bytes[bit >> 3]! &= ~(0x80 >> (bit & 7));
  return `${(ipaddr.fromByteArray(bytes) as ipaddr.IPv6).toRFC5952String()}/${ipv6PrefixLength}`;
}
