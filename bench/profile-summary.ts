import { readFileSync } from 'node:fs';

/**
 * Summarises a V8 .cpuprofile (from `npm run bench -- --profile DIR`): self time by function and
 * inclusive time by package, so that an analysis can say where the time goes.
 * Usage: tsx bench/profile-summary.ts FILE.cpuprofile [top=25]
 */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
}

function place(url: string): string {
  const modules = url.lastIndexOf('node_modules/');
  if (modules >= 0) {
    const rest = url.slice(modules + 'node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  const src = url.indexOf('/src/');
  if (src >= 0) return url.slice(src + 1);
  if (url.startsWith('node:')) return url;
  return url === '' ? '(native)' : url.replace(/^file:\/\//, '');
}

function main(): void {
  const [file, topArg] = process.argv.slice(2);
  if (!file) throw new Error('usage: profile-summary.ts FILE.cpuprofile [top]');
  const top = Number(topArg ?? 25);
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  // Percentages are of busy samples: idle time says nothing about where the work goes.
  const idle = new Set(['(idle)', '(program)']);
  const total = profile.nodes.reduce((sum, node) => sum + (idle.has(node.callFrame.functionName) ? 0 : (node.hitCount ?? 0)), 0);

  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    if (hits === 0 || idle.has(node.callFrame.functionName)) continue;
    const frame = node.callFrame;
    const key = `${frame.functionName || '(anonymous)'}  ${place(frame.url)}${frame.url ? `:${frame.lineNumber + 1}` : ''}`;
    self.set(key, (self.get(key) ?? 0) + hits);
    // Inclusive by package: count each package once per sample stack.
    const seen = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const frameUrl = byId.get(id)!.callFrame.url;
      const name = frameUrl ? place(frameUrl) : undefined;
      if (name && !seen.has(name)) {
        seen.add(name);
        inclusive.set(name, (inclusive.get(name) ?? 0) + hits);
      }
    }
  }
  const pct = (hits: number) => `${((hits / total) * 100).toFixed(1).padStart(5)}%`;
  console.log(`${file}: ${total} busy samples over ${((profile.endTime - profile.startTime) / 1e6).toFixed(1)} s`);
  console.log('\nself time by function:');
  for (const [key, hits] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(hits)}  ${key}`);
  console.log('\ninclusive time by package or file:');
  for (const [key, hits] of [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(hits)}  ${key}`);
}

main();
