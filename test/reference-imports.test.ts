/**
 * The reference imports nothing from tfjs and nothing from src/ (DESIGN.md): walk the import
 * graph of every file under reference/ and check each specifier.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

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

describe('reference import graph', () => {
  const files = walk(path.join(root, 'reference'));
  it('finds the reference files', () => expect(files.length).toBeGreaterThan(0));
  it('the specifier scanner sees the forbidden forms', () => {
    expect(specifiers(`import * as tf from '@tensorflow/tfjs';\nexport { x } from "../src/a.js";\nconst m = await import('@tensorflow/tfjs-core');`))
      .toEqual(['@tensorflow/tfjs', '../src/a.js', '@tensorflow/tfjs-core']);
  });
  for (const f of files) {
    it(`${path.relative(root, f)} imports no tfjs and nothing from src/`, () => {
      for (const s of specifiers(readFileSync(f, 'utf8'))) {
        expect(s, `${f} imports ${s}`).not.toMatch(/^@tensorflow\//);
        const resolved = s.startsWith('.') ? path.resolve(path.dirname(f), s) : '';
        expect(resolved.startsWith(path.join(root, 'src')), `${f} imports ${s} from src/`).toBe(false);
        if (s.startsWith('.')) expect(resolved.startsWith(path.join(root, 'reference')), `${f} reaches outside reference/: ${s}`).toBe(true);
      }
    });
  }
});
