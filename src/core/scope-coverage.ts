import { parseResource } from './resource-name.ts';

/**
 * Whether a scope covers a request (docs/resource-server.md): the scope lists the service, one of its folders
 * (a folder covers everything below it), or a URL template matching the request's method and path.
 *
 * The rules for paths, written down once and used both for routing and for coverage, so that the
 * gateway and the scope check can never disagree about which path a request names:
 *
 * - **Segments.** A path is split on `/` first and each segment is percent-decoded afterwards, so
 *   `%2F` can never create a segment boundary. A decoded segment that contains `/`, `\` or NUL is
 *   refused, because an upstream that decodes again would see a different path than we checked.
 * - **Dot segments.** `.` and `..` (also as `%2e`, `%2E%2e`, …) are refused, never resolved:
 *   resolving them would let `/rest/public/../admin` be checked as one path and served as another.
 *   So is a segment that some upstream would read as one (`looksLikeDotSegment`): `..;x` (Tomcat
 *   and Spring drop a `;` parameter), `..%09` and `.%20.` (whitespace dropped), `%252e%252e`
 *   (decoded twice), fullwidth `．．` (Unicode compatibility forms).
 * - **Empty segments.** `//` inside a path is refused for the same reason.
 * - **Trailing slash.** One trailing `/` is ignored: `/rest/orders/` and `/rest/orders` are the same
 *   path for matching (the upstream still receives the path as sent).
 * - **Percent-encoding.** Compared after decoding, so `%41` equals `A`, and hex case does not
 *   matter. Malformed escapes (`%zz`, invalid UTF-8) are refused.
 * - **Case.** Paths are case-sensitive (RFC 3986 §6.2.2.1); so are folder and service names.
 *   Methods are compared as sent (HTTP methods are case-sensitive); `HEAD` also matches `GET` templates.
 *
 * Templates: a segment `{name}` matches exactly one segment and captures it (decoded); `*` matches
 * exactly one segment; `**` matches zero or more segments. Any other segment is literal; a segment
 * that only partly holds braces (`{id}.json`) is literal too. The method `*` matches any method.
 *
 * Refused paths are the caller's to answer (the gateway answers 400); coverage never matches them.
 */

export type TemplateSegment =
  | { kind: 'literal'; value: string }
  | { kind: 'param'; name: string }
  | { kind: 'any' }
  | { kind: 'rest' };

export interface CompiledTemplate {
  /** As written, for messages and listings. */
  text: string;
  method: string;
  segments: TemplateSegment[];
}

/** The request as coverage sees it. `segments` comes from `parsePath()`. */
export interface CoverageTarget {
  /** `folder.sub:name`. */
  service: string;
  method: string;
  segments: readonly string[];
}

/**
 * Splits a request path (without its query) into decoded segments, or returns `undefined` when
 * the path is refused by the rules above.
 */
export function parsePath(rawPath: string): string[] | undefined {
  if (!rawPath.startsWith('/')) return undefined;
  let path = rawPath.slice(1);
  if (path.endsWith('/')) path = path.slice(0, -1);
  if (path === '') return [];
  const segments: string[] = [];
  for (const raw of path.split('/')) {
    if (raw === '') return undefined;
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      return undefined;
    }
    if (segment === '.' || segment === '..' || /[/\\\0]/.test(segment) || looksLikeDotSegment(segment)) return undefined;
    segments.push(segment);
  }
  return segments;
}

/** Decodes up to `rounds` more times, stopping at the first value that no longer changes or does not decode. */
function decodedAgain(value: string, rounds: number): string[] {
  const seen = [value];
  let current = value;
  for (let round = 0; round < rounds && current.includes('%'); round++) {
    try {
      current = decodeURIComponent(current);
    } catch {
      break;
    }
    seen.push(current);
  }
  return seen;
}

/**
 * Whether a decoded segment is `.` or `..`, or empty, or holds a separator, as a less careful
 * upstream may read it: decoded once or twice more, in Unicode compatibility form (NFKC: fullwidth
 * `．` is `.`), without its `;…` path parameter (Tomcat, Spring, Jetty) and without whitespace or
 * control characters. The gateway refuses such a segment rather than guess which reading the
 * upstream makes.
 */
export function looksLikeDotSegment(segment: string): boolean {
  // The common case, letters, digits, `-` and `_`, has no other reading.
  if (/^[A-Za-z0-9_-]+$/.test(segment)) return false;
  for (const reading of decodedAgain(segment, 2)) {
    const compatible = reading.normalize('NFKC');
    if (reading !== segment && /[/\\\0]/.test(reading)) return true;
    if (compatible !== reading && /[/\\\0]/.test(compatible)) return true;
    const bare = compatible.split(';')[0]!.replace(/[\s\p{Cc}\p{Cf}]/gu, '');
    if (bare === '.' || bare === '..' || (bare === '' && reading !== '')) return true;
  }
  return false;
}

/** Compiles a URL template such as `GET /rest/orders/{id}`; throws on a path the rules refuse. */
export function compileTemplate(text: string): CompiledTemplate {
  const ref = parseResource(text);
  if (!ref || ref.kind !== 'template') throw new Error(`"${text}" is not a URL template (METHOD /path)`);
  const parts = parsePath(ref.path);
  if (!parts) throw new Error(`"${text}": the path has an empty, dot or malformed segment`);
  const segments = parts.map((part): TemplateSegment => {
    if (part === '*') return { kind: 'any' };
    if (part === '**') return { kind: 'rest' };
    const param = /^\{([A-Za-z_][A-Za-z0-9_]*)\}$/.exec(part);
    if (param) return { kind: 'param', name: param[1]! };
    return { kind: 'literal', value: part };
  });
  return { text, method: ref.method, segments };
}

function methodMatches(templateMethod: string, method: string): boolean {
  return templateMethod === '*' || templateMethod === method || (method === 'HEAD' && templateMethod === 'GET');
}

function matchFrom(
  template: readonly TemplateSegment[],
  t: number,
  segments: readonly string[],
  s: number,
  params: Record<string, string>,
): boolean {
  if (t === template.length) return s === segments.length;
  const part = template[t]!;
  if (part.kind === 'rest') {
    for (let end = segments.length; end >= s; end--) {
      if (matchFrom(template, t + 1, segments, end, params)) return true;
    }
    return false;
  }
  if (s === segments.length) return false;
  const segment = segments[s]!;
  if (part.kind === 'literal' && part.value !== segment) return false;
  if (part.kind === 'param') params[part.name] = segment;
  return matchFrom(template, t + 1, segments, s + 1, params);
}

/** Matches a request against a template; returns the captured parameters, or `undefined`. */
export function matchTemplate(
  template: CompiledTemplate,
  method: string,
  segments: readonly string[],
): Record<string, string> | undefined {
  if (!methodMatches(template.method, method)) return undefined;
  const params: Record<string, string> = {};
  return matchFrom(template.segments, 0, segments, 0, params) ? params : undefined;
}

/**
 * Orders templates so that the most specific wins when several match: more literal segments
 * first, then fewer `**`, then fewer `*`/`{param}`, then an exact method before `*`.
 */
export function compareSpecificity(a: CompiledTemplate, b: CompiledTemplate): number {
  const count = (t: CompiledTemplate, kind: TemplateSegment['kind']) => t.segments.filter((s) => s.kind === kind).length;
  return (
    count(b, 'literal') - count(a, 'literal') ||
    count(a, 'rest') - count(b, 'rest') ||
    count(a, 'any') + count(a, 'param') - (count(b, 'any') + count(b, 'param')) ||
    Number(a.method === '*') - Number(b.method === '*')
  );
}

/** The folder of a service name: `orders.v1` for `orders.v1:getOrder`. */
export function serviceFolder(service: string): string {
  const colon = service.indexOf(':');
  return colon < 0 ? service : service.slice(0, colon);
}

/** Whether `folder` is `ancestor` or lies below it (`orders.v1` is below `orders`, `ordersX` is not). */
export function isWithinFolder(folder: string, ancestor: string): boolean {
  return folder === ancestor || folder.startsWith(`${ancestor}.`);
}

/** One scope's resource list, compiled once so that each check is a few comparisons. */
export class ScopeCoverage {
  private readonly services = new Set<string>();
  private readonly folders: string[] = [];
  private readonly templates: CompiledTemplate[] = [];

  /** Resources that do not parse are ignored here; `saveScope` refuses them on the way in. */
  constructor(resources: readonly string[]) {
    for (const resource of resources) {
      const ref = parseResource(resource);
      if (!ref) continue;
      if (ref.kind === 'service') this.services.add(`${ref.folder}:${ref.service}`);
      else if (ref.kind === 'folder') this.folders.push(ref.folder);
      else {
        try {
          this.templates.push(compileTemplate(resource));
        } catch {
          // A template whose path the rules refuse can match nothing.
        }
      }
    }
  }

  covers(target: CoverageTarget): boolean {
    if (this.services.has(target.service)) return true;
    const folder = serviceFolder(target.service);
    if (this.folders.some((ancestor) => isWithinFolder(folder, ancestor))) return true;
    return this.templates.some((template) => matchTemplate(template, target.method, target.segments) !== undefined);
  }
}

/** True when any of the token's scopes covers the target. Unknown scope names cover nothing. */
export function scopesCover(
  tokenScopes: readonly string[],
  coverage: ReadonlyMap<string, ScopeCoverage>,
  target: CoverageTarget,
): boolean {
  return tokenScopes.some((name) => coverage.get(name)?.covers(target) === true);
}
