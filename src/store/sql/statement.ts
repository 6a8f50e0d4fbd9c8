export type Dialect = 'sqlite' | 'postgres';

/** A statement as one dialect runs it. */
export interface Compiled {
  readonly text: string;
  /** Parameter names in `$n` order (PostgreSQL binds by position; SQLite binds `:name` by name). */
  readonly names: readonly string[];
  /** Parameters written `:name::boolean`: SQLite has no boolean, so they are bound as 1 or 0. */
  readonly booleans: readonly string[];
}

/**
 * One SQL statement, written once for both dialects: parameters are `:name`, and a cast
 * (`:limit::integer`, `count(*)::int`) is written as PostgreSQL needs it. PostgreSQL gets `$1…$n`
 * with the casts; SQLite keeps `:name` and drops the casts and `COLLATE "C"` (it compares bytes
 * anyway). Compiled on first use, once per dialect, never per call.
 */
export class Statement {
  private readonly compiled: Partial<Record<Dialect, Compiled>> = {};

  constructor(private readonly source: string | Readonly<Record<Dialect, string>>) {}

  for(dialect: Dialect): Compiled {
    return (this.compiled[dialect] ??= compile(typeof this.source === 'string' ? this.source : this.source[dialect], dialect));
  }
}

export function sql(text: string): Statement {
  return new Statement(text);
}

/** A statement that genuinely differs by dialect: both texts side by side, the same parameters. */
export function sqlByDialect(texts: Readonly<Record<Dialect, string>>): Statement {
  return new Statement(texts);
}

/**
 * A multi-row INSERT: given rows of values in `columns` order, the statement for that many rows
 * (made once per count; one round trip on PostgreSQL) and its parameters (`:hash0`, `:hash1`, …).
 */
export function multiInsert(table: string, columns: readonly string[]): (rows: readonly (readonly unknown[])[]) => [Statement, object] {
  const keys: string[][] = [];
  const statements: Statement[] = [];
  const keysOf = (i: number) => (keys[i] ??= columns.map((column) => `${column}${i}`));
  return (rows) => {
    const params: Record<string, unknown> = {};
    rows.forEach((row, i) => keysOf(i).forEach((key, c) => (params[key] = row[c] ?? null)));
    const values = () => rows.map((_, i) => `(${keysOf(i).map((key) => `:${key}`).join(', ')})`).join(', ');
    return [(statements[rows.length] ??= sql(`INSERT INTO ${table} (${columns.join(', ')}) VALUES ${values()}`)), params];
  };
}

// Quoted literals and identifiers pass untouched; then `:name` with an optional cast, or a lone cast.
const TOKENS = /'(?:[^']|'')*'|"[^"]*"|:([A-Za-z_]\w*)(?:::(\w+(?:\[\])?))?|::\w+(?:\[\])?/g;

function compile(source: string, dialect: Dialect): Compiled {
  const names: string[] = [];
  const booleans = new Set<string>();
  const input = dialect === 'sqlite' ? source.replace(/\s+COLLATE "C"/g, '') : source;
  const text = input.replace(TOKENS, (token, name: string | undefined, cast: string | undefined) => {
    if (token.startsWith("'") || token.startsWith('"')) return token;
    if (name === undefined) return dialect === 'postgres' ? token : '';
    if (cast === 'boolean') booleans.add(name);
    if (dialect === 'sqlite') return `:${name}`;
    const index = names.includes(name) ? names.indexOf(name) : names.push(name) - 1;
    return `$${index + 1}${cast === undefined ? '' : `::${cast}`}`;
  });
  return { text, names, booleans: [...booleans] };
}
