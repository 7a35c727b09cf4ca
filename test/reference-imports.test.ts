/**
 * The reference imports nothing from tfjs (DESIGN.md). From src/ it imports exactly the shared
 * modules listed in {@link SHARED}: code that computes nothing (parsing, templating, configs,
 * constants, plans of shapes, shared types) lives once and both trees import it, while anything
 * that computes numbers or token ids is twinned. This test walks the import graph of every file
 * under reference/ and checks that
 *
 * - no file imports `@tensorflow/*`;
 * - every relative import of a reference file stays in reference/ or names a module of SHARED;
 * - every SHARED module imports, transitively, no tfjs and no src module outside SHARED (so the
 *   list is closed: importing a shared module never drags the fast path in);
 * - every SHARED module is reached from reference/ (the list names no stale module).
 *
 * Adding a module to SHARED is a design decision: say in its module comment why it has no twin.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The src/ modules the reference may import (paths from the repository root). */
export const SHARED: readonly string[] = [
  'src/errors.ts', // the error classes every module throws
  'src/image/pro-plan.ts', // Pro pixel budgets, options, pyRound, smart_resize: sizes only
  'src/image/tiling-plan.ts', // InternVL candidate grids and the grid choice: sizes only
  'src/image/types.ts', // RgbImage, ResizeMethod and their checks
  'src/io/configs/fields.ts', // config field parsing helpers (ConfigError naming the key)
  'src/io/fs-safe.ts', // file-system checks and atomic writes (Node I/O; FileError naming the path)
  'src/io/configs/time-series.ts', // the ts_config type the reference picks its fields from
  'src/io/configs/vision.ts', // the vision_config types the reference picks its fields from
  'src/io/weight-names.ts', // join(prefix, name) and the checkpoint shape check
  'src/models/intern-s1/options.ts', // model inputs, tower prefixes, projector LayerNorm eps
  'src/models/internvit/options.ts', // InternViT forward options
  'src/models/pro-vision/constants.ts', // LayerNorm eps and RoPE theta the Pro code fixes
  'src/models/qwen3/options.ts', // text-stack option types (generic in the position encoding)
  'src/io/file-reader.ts', // the Node file reader (reference/node.ts installs it for fromDir)
  'src/models/time-series/constants.ts', // widths, kernel, epsilons, limits of the release
  'src/models/time-series/options.ts', // encoder / model option types
  'src/models/time-series/plan.ts', // stride, patch count, padding, token count: sizes only
  'src/nn/fope-config.ts', // FopeConfig, FopeOptions, the padding constants
  'src/generation/processor-options.ts', // the logits processors' options and token history
  'src/train/optimizer-config.ts', // the optimizer's hyper-parameters and their defaults
  'src/ops/options.ts', // conv, interpolate and attention option types (generic in the tensor type)
  'src/platform/host.ts', // the Node host registry (fromDir reads folders through it; issue 14)
  'src/platform/node-files.ts', // installs the tfjs-free Node host (reference/node.ts)
  'src/tokenizer/chat.ts', // chat template: string building
  'src/tokenizer/config.ts', // flavours, domains, offsets: configuration data
  'src/tokenizer/detector-rules.ts', // detector interface, element lists, run-detector settings
  'src/tokenizer/files.ts', // parsing a tokenizer folder's files
  'src/tokenizer/options.ts', // tokenizer option / result types, the choice of flavour
  'src/tokenizer/read-dir.ts', // reading a tokenizer folder by path (Node I/O)
  'src/tokenizer/sentencepiece-proto.ts', // the .model protobuf schema and parser
  'src/util/check-values.ts', // checks of plain numbers (no tensors)
  'src/util/random.ts', // mulberry32: the one seeded stream both trees draw from
];

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Every module specifier in `import ... from`, `export ... from`, `import(...)` and `require(...)`. */
export function specifiers(src: string): string[] {
  const re = /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)|require\(\s*['"]([^'"]+)['"]\s*\)|import\s+['"]([^'"]+)['"]/g;
  return [...src.matchAll(re)].map((m) => m[1] ?? m[2] ?? m[3] ?? m[4]);
}

/** A relative specifier of `from` as a repository path (`.js` → `.ts`), or null for a package. */
function resolve(from: string, spec: string): string | null {
  if (!spec.startsWith('.')) return null;
  const abs = path.resolve(path.dirname(path.join(root, from)), spec).replace(/\.js$/, '.ts');
  return path.relative(root, existsSync(abs) || abs.endsWith('.ts') ? abs : `${abs}.ts`).split(path.sep).join('/');
}

/**
 * What is wrong with the imports of `file` (a repository path) whose text is `text`: tfjs, or a
 * relative import outside what `file` may reach (reference files: reference/ and `shared`;
 * shared modules: `shared` only).
 */
export function violations(file: string, text: string, shared: ReadonlySet<string>): string[] {
  const out: string[] = [];
  const inReference = file.startsWith('reference/');
  for (const s of specifiers(text)) {
    if (/^@tensorflow\//.test(s)) out.push(`${file} imports ${s}`);
    const r = resolve(file, s);
    if (r === null || shared.has(r) || (inReference && r.startsWith('reference/'))) continue;
    out.push(`${file} imports ${r}, which is not ${inReference ? 'in reference/ nor ' : ''}a shared module`);
  }
  return out;
}

describe('reference import graph', () => {
  const files = walk(path.join(root, 'reference')).map((f) => path.relative(root, f).split(path.sep).join('/'));
  const shared = new Set(SHARED);
  const text = (f: string) => readFileSync(path.join(root, f), 'utf8');

  it('finds the reference files', () => expect(files.length).toBeGreaterThan(0));

  it('the specifier scanner sees the forbidden forms', () => {
    expect(specifiers(`import * as tf from '@tensorflow/tfjs';\nexport { x } from "../src/a.js";\nconst m = await import('@tensorflow/tfjs-core');`))
      .toEqual(['@tensorflow/tfjs', '../src/a.js', '@tensorflow/tfjs-core']);
  });

  it('the checker flags tfjs, a non-shared src module and an escape from reference/, and passes a shared one', () => {
    const s = new Set(['src/errors.ts']);
    expect(violations('reference/ops/x.ts', `import { a } from '../../src/errors.js';\nimport { b } from './y.js';`, s)).toEqual([]);
    expect(violations('reference/ops/x.ts', `import * as tf from '@tensorflow/tfjs-core';`, s)).toEqual(['reference/ops/x.ts imports @tensorflow/tfjs-core']);
    expect(violations('reference/ops/x.ts', `import { c } from '../../src/ops/softmax.js';`, s)).toHaveLength(1);
    expect(violations('reference/ops/x.ts', `import { c } from '../../bench/a.js';`, s)).toHaveLength(1);
    // a shared module may not reach back into reference/ nor into other src modules
    expect(violations('src/errors.ts', `import { d } from '../reference/ndarray.js';`, s)).toHaveLength(1);
    expect(violations('src/errors.ts', `import { d } from './util/check.js';`, s)).toHaveLength(1);
  });

  for (const f of files) {
    it(`${f} imports no tfjs, and from src/ only shared modules`, () => {
      expect(violations(f, text(f), shared)).toEqual([]);
    });
  }

  for (const f of SHARED) {
    it(`shared module ${f} imports no tfjs and no src module outside the shared list`, () => {
      expect(existsSync(path.join(root, f)), `${f} exists`).toBe(true);
      expect(violations(f, text(f), shared)).toEqual([]);
    });
  }

  it('the shared list is exactly what reference/ reaches in src/', () => {
    const reached = new Set<string>();
    const queue = [...files];
    while (queue.length > 0) {
      const f = queue.pop()!;
      for (const s of specifiers(text(f))) {
        const r = resolve(f, s);
        if (r === null || !r.startsWith('src/') || reached.has(r)) continue;
        reached.add(r);
        queue.push(r);
      }
    }
    expect([...reached].sort()).toEqual([...SHARED].sort());
  });
});
