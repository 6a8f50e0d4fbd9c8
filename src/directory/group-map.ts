/** One `type=value` pair of a relative distinguished name, its escapes undone (RFC 4514 §2.4). */
export interface Ava {
  type: string;
  value: string;
}

/**
 * Splits a distinguished name into its RDNs, each a list of `type=value` pairs (several when joined
 * by `+`), with backslash escapes undone: `\,` and the other specials, and `\XX` hex pairs.
 * Throws on a DN it cannot read. Does NOT check attribute types against a schema.
 * @see RFC 4514 §3
 */
export function parseDn(dn: string): Ava[][] {
  if (dn.trim() === '') return [];
  const rdns: Ava[][] = [];
  let rdn: Ava[] = [];
  let type = '';
  let bytes: number[] = [];
  let inValue = false;
  const finishAva = () => {
    if (!inValue || type.trim() === '') throw new Error(`not a distinguished name: ${dn}`);
    rdn.push({ type: type.trim().toLowerCase(), value: Buffer.from(bytes).toString('utf8').trim() });
    type = '';
    bytes = [];
    inValue = false;
  };
  for (let i = 0; i < dn.length; i++) {
    const char = dn[i]!;
    if (!inValue) {
      if (char === '=') inValue = true;
      else type += char;
      continue;
    }
    if (char === '\\') {
      const hex = dn.slice(i + 1, i + 3);
      if (/^[0-9a-fA-F]{2}$/.test(hex)) {
        bytes.push(Number.parseInt(hex, 16));
        i += 2;
      } else if (i + 1 < dn.length) {
        bytes.push(...Buffer.from(dn[++i]!, 'utf8'));
      } else {
        throw new Error(`not a distinguished name: ${dn}`);
      }
    } else if (char === ',' || char === ';' || char === '+') {
      finishAva();
      if (char !== '+') {
        rdns.push(rdn);
        rdn = [];
      }
    } else {
      bytes.push(...Buffer.from(char, 'utf8'));
    }
  }
  finishAva();
  rdns.push(rdn);
  return rdns;
}

/**
 * A DN's comparison key: types and values lower-cased, escapes undone, spaces around separators
 * dropped, the pairs of a multi-valued RDN sorted. `CN=Staff, OU=Groups,dc=example,dc=org` and
 * `cn=staff,ou=groups,dc=example,dc=org` have the same key.
 */
export function dnKey(dn: string): string {
  return JSON.stringify(
    parseDn(dn).map((rdn) =>
      rdn.map((ava) => `${ava.type}=${ava.value.toLowerCase()}`).sort(),
    ),
  );
}

/** The value of a DN's first RDN when its type is `cn`: the group's common name. */
export function commonName(dn: string): string | undefined {
  const first = parseDn(dn)[0];
  return first?.length === 1 && first[0]!.type === 'cn' ? first[0]!.value : undefined;
}

/**
 * Maps directory groups to Portcullis groups (docs/directory.md): a key with `=` names one group by
 * its DN, any other key a group by its common name (`cn`); both compare case-insensitively.
 * Directory groups the map does not name give nothing. Each group is looked up once in a hash map,
 * so a user in thousands of groups costs thousands of lookups, not a scan of the map per group.
 */
export class GroupMap {
  private readonly byDn = new Map<string, string[]>();
  private readonly byCn = new Map<string, string[]>();

  constructor(map: Readonly<Record<string, readonly string[]>>) {
    for (const [key, groups] of Object.entries(map)) {
      if (key.includes('=')) this.byDn.set(dnKey(key), [...groups]);
      else this.byCn.set(key.toLowerCase(), [...groups]);
    }
  }

  /** The Portcullis groups of these directory groups (DNs), sorted, without repeats. A DN that cannot be read gives nothing. */
  map(groupDns: Iterable<string>): string[] {
    const found = new Set<string>();
    for (const dn of groupDns) {
      let key: string;
      let cn: string | undefined;
      try {
        key = dnKey(dn);
        cn = commonName(dn);
      } catch {
        continue;
      }
      for (const group of this.byDn.get(key) ?? []) found.add(group);
      if (cn !== undefined) for (const group of this.byCn.get(cn.toLowerCase()) ?? []) found.add(group);
    }
    return [...found].sort();
  }

  /** Every Portcullis group the map names. */
  targets(): string[] {
    return [...new Set([...this.byDn.values(), ...this.byCn.values()].flat())].sort();
  }
}
