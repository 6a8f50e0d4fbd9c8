import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Languages whose blocks are commands: run by the docs harness, or marked as not run. */
export const SHELL_LANGUAGES = new Set(['sh', 'bash', 'shell', 'console']);

/** `<!-- not run: REASON -->` on the line before a block. */
const NOT_RUN = /^<!--\s*not run:\s*(\S.*?)\s*-->$/;

export interface DocBlock {
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  language: string;
  text: string;
  /** The reason it is not run, when marked. */
  notRun?: string;
}

export const HOW_TO_MARK =
  'Every shell block of README.md and docs/*.md is run by test/docs/shell-blocks.test.ts against a fresh server, ' +
  'or marked on the line before it with <!-- not run: REASON --> (say why: needs a TLS certificate, PostgreSQL, a browser…). ' +
  'Blocks that are not commands take a language that says so: ```text, ```yaml, ```json.';

/** README.md and every docs/*.md, relative to `root`. */
export function documentFiles(root: string): string[] {
  return ['README.md', ...readdirSync(join(root, 'docs')).filter((name) => name.endsWith('.md')).sort().map((name) => `docs/${name}`)];
}

/** The fenced blocks of one Markdown file, with the problems found (unclosed or unlabelled fences). */
export function readBlocks(root: string, file: string): { blocks: DocBlock[]; problems: string[] } {
  const lines = readFileSync(join(root, file), 'utf8').split('\n');
  const blocks: DocBlock[] = [];
  const problems: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(`{3,}|~{3,})\s*([\w-]*)/.exec(lines[i]!);
    if (!open) continue;
    const fence = open[1]!;
    const language = open[2]!.toLowerCase();
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !lines[i]!.startsWith(fence); i++) body.push(lines[i]!);
    if (i >= lines.length) problems.push(`${file}:${start + 1}: the block is never closed`);
    if (language === '') problems.push(`${file}:${start + 1}: a block without a language`);
    const before = start > 0 ? lines[start - 1]!.trim() : '';
    const marked = NOT_RUN.exec(before);
    blocks.push({ file, line: start + 1, language, text: body.join('\n'), ...(marked ? { notRun: marked[1] } : {}) });
  }
  return { blocks, problems };
}

/** `…` matches anything; whitespace is ignored on both sides (JSON may be printed indented or not). */
export function outputPattern(expected: string): RegExp {
  const squeezed = expected.replace(/\s+/g, '');
  const source = squeezed
    .split('…')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*?');
  return new RegExp(source, 's');
}

export function squeeze(output: string): string {
  return output.replace(/\s+/g, '');
}
