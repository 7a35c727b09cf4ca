/**
 * Every `@example` in the public sources runs (issue: "@examples extracted and run by a test").
 *
 * Each fenced ```ts block inside a doc comment under src/ and reference/ is written to
 * test/.examples/ (git-ignored) and imported; `intern-s1-ts` and `intern-s1-ts/reference` resolve
 * to the sources (see test/vitest.config.ts). console output is silenced. An example that throws
 * fails the test named after its file and line.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { initBackend } from '../../src/backend/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const outDir = path.join(root, 'test', '.examples');

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.ts') ? [p] : [];
  });
}

export interface Example { file: string; line: number; code: string }

/** The ```ts blocks that follow an `@example` tag inside `/** ... *\/` comments. */
export function extractExamples(file: string, src: string): Example[] {
  const out: Example[] = [];
  const lines = src.split('\n');
  let inExample = false;
  let fence: string[] | null = null;
  let start = 0;
  for (let i = 0; i < lines.length; i++) {
    const body = lines[i].replace(/^\s*\*\s?/, '');
    if (/^\s*\*\s*@example\b/.test(lines[i])) { inExample = true; continue; }
    if (!inExample) continue;
    if (fence === null && /^```(ts|typescript)\s*$/.test(body.trim())) { fence = []; start = i + 2; continue; }
    if (fence !== null && body.trim() === '```') {
      out.push({ file, line: start, code: fence.join('\n') });
      fence = null;
      inExample = false;
      continue;
    }
    if (fence !== null) fence.push(body);
    else if (/^\s*\*\//.test(lines[i]) || /^\s*\*\s*@\w+/.test(lines[i])) inExample = false;
  }
  return out;
}

/** The ```ts blocks of a markdown file (the README's API tour). */
export function markdownExamples(file: string, src: string): Example[] {
  const out: Example[] = [];
  const re = /^```ts\n([\s\S]*?)^```$/gm;
  for (const m of src.matchAll(re)) out.push({ file, line: src.slice(0, m.index).split('\n').length + 1, code: m[1] });
  return out;
}

const examples = [
  ...['src', 'reference'].flatMap((d) => walk(path.join(root, d)))
    .flatMap((f) => extractExamples(path.relative(root, f), readFileSync(f, 'utf8'))),
  ...markdownExamples('README.md', readFileSync(path.join(root, 'README.md'), 'utf8')),
];

describe('doc examples', () => {
  beforeAll(async () => {
    rmSync(outDir, { recursive: true, force: true });
    mkdirSync(outDir, { recursive: true });
    await initBackend('cpu');
    vi.spyOn(console, 'log').mockImplementation(() => {});
    vi.spyOn(console, 'warn').mockImplementation(() => {});
  });
  afterAll(() => {
    vi.restoreAllMocks();
    rmSync(outDir, { recursive: true, force: true });
  });

  it('the extractor finds fenced examples after @example only', () => {
    const src = ['/**', ' * Text', ' * @example', ' * ```ts', ' * const a = 1;', ' * ```', ' */', '/** ```ts', ' * nope', ' * ```', ' */'].join('\n');
    expect(extractExamples('x.ts', src)).toEqual([{ file: 'x.ts', line: 5, code: 'const a = 1;' }]);
  });

  it('finds examples in the sources and the README', () => {
    expect(examples.length).toBeGreaterThan(20);
    expect(examples.some((e) => e.file === 'README.md')).toBe(true);
  });

  examples.forEach((ex, n) => {
    it(`${ex.file}:${ex.line} runs`, async () => {
      const name = `${ex.file.replace(/[^A-Za-z0-9]+/g, '_')}_${ex.line}_${n}.ts`;
      const file = path.join(outDir, name);
      writeFileSync(file, `${ex.code}\nexport {};\n`);
      // Examples may keep tensors alive for brevity; what is checked is that they run.
      await expect(import(pathToFileURL(file).href)).resolves.toBeDefined();
    });
  });
});
