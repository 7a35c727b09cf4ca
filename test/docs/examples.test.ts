/**
 * Every `@example` in the public sources runs, and checks the values its comments show.
 *
 * Each fenced ```ts block inside a doc comment under src/ and reference/ (and of the README) is
 * written to test/.examples/ (git-ignored) and imported; `intern-s1-ts` and
 * `intern-s1-ts/reference` resolve to the sources (see test/vitest.config.ts). console output is
 * silenced. A line `EXPR; // => VALUE` (or `// ~> VALUE`, numbers to the decimals shown) is turned
 * into an assertion that EXPR equals VALUE (see test/docs/check.ts for the convention). An example
 * that throws, or whose shown value is wrong, fails the test named after its file and line.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { initBackend } from '../../src/backend/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const outDir = path.join(root, 'test', '.examples');
/** What an instrumented example imports its assertion from (relative to test/.examples/). */
const CHECK_MODULE = '../docs/check.js';

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.ts') ? [p] : [];
  });
}

export interface Example { file: string; line: number; code: string }

/** A statement line with a shown value: `STATEMENT; // => VALUE` or `// ~> VALUE` (prose after `  --`). */
const SHOWN = /^(\s*)([^\s/].*?);\s*\/\/\s*(=>|~>)\s*(.*?)\s*(?:\s--\s.*)?$/;

/**
 * Rewrite the lines of an example that show a value into {@link checkShown} calls; `checks` is how
 * many. `console.log(A, B)` checks the list `[A, B]` against `[VALUE]`; `T.print()` checks `T`.
 */
export function instrument(ex: Example, checkModule: string): { code: string; checks: number } {
  let checks = 0;
  const raw = ex.code.split('\n');
  // A comment line `// => VALUE` under a statement (a long one) shows that statement's value.
  for (let i = 1; i < raw.length; i++) {
    if (/^\s*\/\/\s*(=>|~>)/.test(raw[i]) && /;\s*$/.test(raw[i - 1]) && !raw[i - 1].includes('//')) {
      raw[i - 1] = `${raw[i - 1]} ${raw[i].trim()}`;
      raw[i] = '';
    }
  }
  const lines = raw.map((line, i) => {
    const m = SHOWN.exec(line);
    if (!m) return line;
    const [, indent, stmt, arrow, value] = m;
    const log = /^console\.log\((.*)\)$/.exec(stmt);
    const print = /^(.*)\.print\(\)$/.exec(stmt);
    const [actual, expected] = log ? [`[${log[1]}]`, `[${value}]`] : print ? [print[1], value] : [stmt, value];
    checks++;
    const where = JSON.stringify(`${ex.file}:${ex.line + i}`);
    return `${indent}__checkShown(${actual}, ${expected}, ${arrow === '~>'}, ${JSON.stringify(value)}, ${where});`;
  });
  const head = checks > 0 ? `import { checkShown as __checkShown } from ${JSON.stringify(checkModule)};\n` : '';
  return { code: head + lines.join('\n'), checks };
}

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

  /** Write an example (instrumented) to test/.examples/ and import it. */
  const runExample = async (ex: Example, n: number | string): Promise<unknown> => {
    const name = `${ex.file.replace(/[^A-Za-z0-9]+/g, '_')}_${ex.line}_${n}.ts`;
    const file = path.join(outDir, name);
    writeFileSync(file, `${instrument(ex, CHECK_MODULE).code}\nexport {};\n`);
    return import(pathToFileURL(file).href);
  };

  it('a shown value is checked: a right one passes, a wrong one (or a wrong decimal) fails naming the line', async () => {
    const ok: Example = { file: 'x.ts', line: 10, code: "import * as tf from '@tensorflow/tfjs';\nconsole.log(1 + 1, 'a'); // => 2, 'a'\ntf.tensor1d([0.5, 1]).print(); // => [0.5, 1]\nMath.PI; // ~> 3.1416  -- four decimals" };
    expect(instrument(ok, CHECK_MODULE).checks).toBe(3);
    await expect(runExample(ok, 'ok')).resolves.toBeDefined();
    const wrong: Example = { file: 'x.ts', line: 20, code: 'const a = [1, 2];\na.length; // => 3' };
    await expect(runExample(wrong, 'wrong')).rejects.toThrow(/x\.ts:21: the example shows 3/);
    const close: Example = { file: 'x.ts', line: 30, code: 'Math.PI; // ~> 3.1415' };
    await expect(runExample(close, 'close')).rejects.toThrow(/x\.ts:30: .*not 3\.1415 to the decimals shown/);
    expect(instrument({ file: 'x.ts', line: 1, code: 'f(); // 3: prose only' }, CHECK_MODULE).checks).toBe(0);
  });

  examples.forEach((ex, n) => {
    const { checks } = instrument(ex, CHECK_MODULE);
    it(`${ex.file}:${ex.line} runs${checks > 0 ? ` and shows the right ${checks === 1 ? 'value' : `${checks} values`}` : ''}`, async () => {
      // Examples may keep tensors alive for brevity; what is checked is that they run and show true values.
      await expect(runExample(ex, n)).resolves.toBeDefined();
    });
  });
});
