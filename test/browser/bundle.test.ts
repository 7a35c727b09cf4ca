/**
 * The browser entries reach no Node built-in (issue 14, item 1): esbuild bundles `src/browser.ts`
 * and `reference/index.ts` for `platform: 'browser'`, where a Node built-in (`node:fs`, `fs`,
 * `zlib`, `stream`, ...) does not resolve and fails the build; packages that map them away in
 * their own `browser` field (tfjs, protobufjs) are bundled as a browser would get them. Our own
 * modules are also checked for the Node globals `process` and `Buffer`, which a bundle does not
 * catch (they fail only at run time in a page).
 */
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

interface BundleResult {
  /** Build errors (an unresolved Node built-in is one), as `text <- importer`. */
  readonly errors: string[];
  /** Repository files (src/, reference/) in the bundle. */
  readonly own: string[];
}

async function bundle(entry: string, contents?: string): Promise<BundleResult> {
  try {
    const r = await esbuild.build({
      ...(contents === undefined ? { entryPoints: [path.join(root, entry)] }
        : { stdin: { contents, resolveDir: path.join(root, path.dirname(entry)), sourcefile: entry, loader: 'ts' } }),
      bundle: true, platform: 'browser', format: 'esm', write: false, logLevel: 'silent', metafile: true,
      absWorkingDir: root,
    });
    const own = Object.keys(r.metafile.inputs).filter((f) => /^(src|reference)\//.test(f));
    return { errors: [], own };
  } catch (e) {
    const errors = (e as esbuild.BuildFailure).errors.map((x) => `${x.text} <- ${x.location?.file ?? '?'}`);
    return { errors, own: [] };
  }
}

/** Uses of the Node globals `process` and `Buffer` in code (comments and strings stripped). */
export function nodeGlobals(text: string): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '').replace(/'(?:\\.|[^'\\])*'|"(?:\\.|[^"\\])*"|`(?:\\.|[^`\\])*`/g, "''");
  return [...code.matchAll(/\b(process|Buffer)\s*[.([]/g)].map((m) => m[1]);
}

describe('browser bundle: nothing Node-only is reachable', () => {
  for (const entry of ['src/browser.ts', 'reference/index.ts']) {
    it(`${entry} bundles for the browser with Node built-ins unresolvable`, async () => {
      const r = await bundle(entry);
      expect(r.errors, 'Node built-ins (or other unresolvable imports) reachable from the browser entry').toEqual([]);
      expect(r.own.length).toBeGreaterThan(10);
      for (const f of r.own) {
        expect(nodeGlobals(readFileSync(path.join(root, f), 'utf8')), `${f} uses a Node global`).toEqual([]);
      }
      expect(r.own.filter((f) => /platform\/node|file-reader|read-dir|decode-png|io\/checkpoint|backend\/index/.test(f))).toEqual([]);
    }, 120_000);
  }

  it('the check fails when a Node built-in is reachable (the Node entry, and one import)', async () => {
    const node = await bundle('src/index.ts');
    expect(node.errors.some((e) => /node:fs/.test(e))).toBe(true);
    for (const b of ['fs', 'node:zlib', 'path']) {
      expect(builtinModules.includes(b.replace(/^node:/, ''))).toBe(true);
      const one = await bundle('src/probe.ts', `import * as m from '${b}';\nexport const x = m;`);
      expect(one.errors.join('\n')).toMatch(new RegExp(b.replace(':', '\\:')));
    }
  }, 120_000);

  it('the Node-global scan sees process and Buffer in code, not in comments or strings', () => {
    expect(nodeGlobals('const a = process.env.X; const b = Buffer.from(y);')).toEqual(['process', 'Buffer']);
    expect(nodeGlobals('// process.env\n/* Buffer.from */ const s = "process.env";')).toEqual([]);
  });
});
