/**
 * Line counts of the `forward` methods of paired layer classes (issue 13, part 3): for every method
 * whose name starts with `forward` (`forward`, `forwardEmbeds`, `forwardAdapted`, ...) of a class in
 * `src/{nn,models}/**` that the same-named class of the twin file under `reference/` also has, the
 * number of code lines of each method body. A code line is a
 * non-blank line of the body that is not only a comment; the signature and the closing brace do
 * not count. Parsed with the TypeScript compiler API, so formatting tricks cannot hide lines.
 */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

/** One paired class. */
export interface ForwardPair {
  /** `nn/norm.ts#RMSNorm.forward`. */
  name: string;
  /** Code lines of the fast path's forward body. */
  src: number;
  /** Code lines of the reference's forward body. */
  ref: number;
}

function tsFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? tsFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []);
}

/** Code lines of a block's body (between its braces). */
function bodyLines(text: string, body: ts.Block): number {
  const inner = text.slice(body.getStart() + 1, body.getEnd() - 1);
  const noBlock = inner.replace(/\/\*[\s\S]*?\*\//g, (m) => m.replace(/[^\n]/g, ' '));
  return noBlock.split('\n').filter((l) => {
    const t = l.trim();
    return t !== '' && !t.startsWith('//');
  }).length;
}

/** Body line counts of the `forward*` methods of the classes of one file, by `Class.method`. */
export function forwardsIn(text: string, file = 'x.ts'): Map<string, number> {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const out = new Map<string, number>();
  sf.forEachChild((node) => {
    if (!ts.isClassDeclaration(node) || !node.name) return;
    for (const m of node.members) {
      if (ts.isMethodDeclaration(m) && /^forward/.test(m.name.getText(sf)) && m.body) out.set(`${node.name.text}.${m.name.getText(sf)}`, bodyLines(text, m.body));
    }
  });
  return out;
}

/** Every class with a `forward` in both `src/X.ts` and `reference/X.ts`, for X under nn/ and models/. */
export function forwardPairs(root: string): ForwardPair[] {
  const pairs: ForwardPair[] = [];
  for (const sub of ['nn', 'models']) {
    for (const file of tsFiles(join(root, 'src', sub))) {
      const rel = relative(join(root, 'src'), file);
      const twin = join(root, 'reference', rel);
      if (!existsSync(twin)) continue;
      const ref = forwardsIn(readFileSync(twin, 'utf8'), twin);
      for (const [cls, n] of forwardsIn(readFileSync(file, 'utf8'), file)) {
        const r = ref.get(cls);
        if (r !== undefined) pairs.push({ name: `${rel}#${cls}`, src: n, ref: r });
      }
    }
  }
  return pairs;
}

// `npx tsx test/support/forward-lines.ts` prints the table.
if (process.argv[1] && process.argv[1].endsWith('forward-lines.ts')) {
  const root = join(import.meta.dirname, '..', '..');
  const rows = forwardPairs(root).sort((a, b) => b.src / b.ref - a.src / a.ref);
  for (const p of rows) console.log(`${(p.src / p.ref).toFixed(2).padStart(6)}  ${String(p.src).padStart(3)} / ${String(p.ref).padEnd(3)} ${p.name}`);
}
