/**
 * File names (issue 13, part 5): every TypeScript file of src/, reference/, test/ and bench/ is
 * named in kebab-case (`pixel-shuffle.ts`, `preprocess-image.ts`, `assert-close.ts`), and each CLI
 * command lives in `src/cli/commands/<command>.ts`, named like the command.
 */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../src/cli/commands/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SKIP = new Set(['node_modules', 'fixtures', 'results', '.examples']);

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    if (SKIP.has(f)) return [];
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? tsFiles(p) : p.endsWith('.ts') ? [path.relative(root, p)] : [];
  });
}

/** `name.ts`, `name.test.ts`, `name.bench.ts`, `name.d.ts` with `name` in lower-case words joined by `-`. */
const KEBAB = /^[a-z0-9]+(-[a-z0-9]+)*(\.[a-z]+)*\.ts$/;

describe('file names', () => {
  it('the pattern tells kebab-case from camelCase', () => {
    expect(['pixel-shuffle.ts', 'jpeg-color.test.ts', 'ops.bench.ts', 'index.ts'].every((f) => KEBAB.test(f))).toBe(true);
    expect(['pixelShuffle.ts', 'jpeg_color.ts', 'Tower.ts', 'a--b.ts'].some((f) => KEBAB.test(f))).toBe(false);
  });
  it('every .ts file of src/, reference/, test/ and bench/ is kebab-case', () => {
    const files = ['src', 'reference', 'test', 'bench'].flatMap((d) => tsFiles(path.join(root, d)));
    expect(files.length).toBeGreaterThan(100);
    expect(files.filter((f) => !KEBAB.test(path.basename(f)))).toEqual([]);
  });
  it('each CLI command is in src/cli/commands/<command>.ts', () => {
    const files = readdirSync(path.join(root, 'src/cli/commands')).filter((f) => f !== 'index.ts').map((f) => f.replace(/\.ts$/, ''));
    expect(files.sort()).toEqual(Object.keys(COMMANDS).sort());
  });
});
