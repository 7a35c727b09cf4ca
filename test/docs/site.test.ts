/**
 * The typedoc site, built once into a temporary folder with the project's own configuration
 * (`docs/typedoc.json` and its plugins in `docs/plugins/`), then checked page by page:
 *
 * - the build logs no warning and no error (what `npm run docs` turns into a failure);
 * - every symbol page links to its source lines, and every relative link of every page resolves
 *   to an existing page, and its anchor (`#L<n>` of a source page, `#spec-…` of a guide) to an
 *   existing id there;
 * - KaTeX rendered: no `katex-error`, no raw `$$` or `$\…` TeX left outside code, and the pages
 *   that carry the formulas (the MoE block, routing and its STE gradient, the losses, attention,
 *   RoPE, FoPE, norms, time-series patching, pixel shuffle, the Pro merger) hold rendered math;
 * - every "spec N.M" mention in the text of a page is a link;
 * - every exported symbol of both entry points has a summary of at least 4 words.
 *
 * One build (about a minute on the 2-core CI machine) serves every assertion.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Application, type Comment, type CommentDisplayPart, type DeclarationReflection, type ProjectReflection, ReflectionKind } from 'typedoc';

const ROOT = path.resolve(import.meta.dirname, '../..');
const SYMBOL_DIRS = ['classes', 'functions', 'interfaces', 'types', 'variables'];
const BUILD_TIMEOUT = 600_000;

let out = '';
let project: ProjectReflection;
let warnings = -1;
let errors = -1;
let pages: string[] = [];
const html = new Map<string, string>();

function read(rel: string): string {
  let s = html.get(rel);
  if (s === undefined) {
    s = fs.readFileSync(path.join(out, rel), 'utf8');
    html.set(rel, s);
  }
  return s;
}

function walk(dir: string): string[] {
  const res: string[] = [];
  for (const e of fs.readdirSync(path.join(out, dir), { withFileTypes: true })) {
    const rel = dir ? `${dir}/${e.name}` : e.name;
    if (e.isDirectory()) res.push(...walk(rel));
    else if (e.name.endsWith('.html')) res.push(rel);
  }
  return res;
}

/** The page text with code, pre blocks, KaTeX's TeX annotations and scripts removed. */
function prose(page: string): string {
  return page
    .replace(/<(pre|code|script|annotation)\b[^>]*>[\s\S]*?<\/\1>/g, '')
    .replace(/<[^>]+>/g, ' ');
}

beforeAll(async () => {
  out = fs.mkdtempSync(path.join(os.tmpdir(), 'intern-s1-site-'));
  const started = Date.now();
  const app = await Application.bootstrapWithPlugins({ options: path.join(ROOT, 'docs/typedoc.json'), out });
  const converted = await app.convert();
  if (!converted) throw new Error('typedoc could not convert the project');
  project = converted;
  app.validate(project);
  await app.generateOutputs(project);
  warnings = app.logger.warningCount;
  errors = app.logger.errorCount;
  pages = walk('');
  console.log(`docs site: ${pages.length} pages built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}, BUILD_TIMEOUT);

afterAll(() => {
  if (out) fs.rmSync(out, { recursive: true, force: true });
});

describe('the typedoc site', () => {
  it('builds without a warning or an error', () => {
    expect({ warnings, errors }).toEqual({ warnings: 0, errors: 0 });
    expect(pages.length).toBeGreaterThan(300);
  });

  it('has one highlighted page per source file of src/ and reference/, with a line anchor per line', () => {
    const files: string[] = [];
    const list = (dir: string) => {
      for (const e of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
        const rel = `${dir}/${e.name}`;
        if (e.isDirectory()) list(rel);
        else if (e.name.endsWith('.ts')) files.push(rel);
      }
    };
    list('src');
    list('reference');
    const missing = files.filter((f) => !fs.existsSync(path.join(out, 'source', `${f}.html`)));
    expect(missing).toEqual([]);
    for (const f of ['reference/models/qwen3/moe.ts', 'src/models/qwen3/moe.ts']) {
      const lines = fs.readFileSync(path.join(ROOT, f), 'utf8').replace(/\n$/, '').split('\n').length;
      const page = read(`source/${f}.html`);
      expect(page).toContain(`id="L${lines}"`);
      expect(page).not.toContain(`id="L${lines + 1}"`);
      expect(page).toMatch(/class="hl-\d+"/); // highlighted
    }
  });

  it('links every symbol page to its source lines', () => {
    const symbolPages = pages.filter((p) => SYMBOL_DIRS.includes(p.split('/')[0]));
    expect(symbolPages.length).toBeGreaterThan(300);
    const without = symbolPages.filter((p) => !/href="(\.\.\/)+source\/[^"#]+\.ts\.html#L\d+"/.test(read(p)));
    expect(without).toEqual([]);
  });

  it('resolves every relative link of every page (source pages and their import links included) to an existing page and anchor', () => {
    const broken: string[] = [];
    const ids = new Map<string, Set<string>>();
    const idsOf = (page: string) => {
      let set = ids.get(page);
      if (!set) ids.set(page, (set = new Set(Array.from(read(page).matchAll(/id="([^"]+)"/g), (m) => m[1]))));
      return set;
    };
    let checked = 0;
    for (const p of pages) {
      for (const m of read(p).matchAll(/href="([^"]+)"/g)) {
        const href = m[1].replace(/&amp;/g, '&');
        if (/^[a-z][a-z0-9+.-]*:/i.test(href) || href.startsWith('//')) continue; // external
        const [file, anchor] = href.split('#');
        const target = file ? path.posix.normalize(path.posix.join(path.posix.dirname(p), decodeURI(file))) : p;
        checked++;
        if (!fs.existsSync(path.join(out, target))) { broken.push(`${p} -> ${href} (no page)`); continue; }
        if (anchor && /^(L\d+|(tokenizer-)?spec-[\d-]+)$/.test(anchor) && !idsOf(target).has(anchor)) {
          broken.push(`${p} -> ${href} (no anchor)`);
        }
      }
    }
    expect(broken).toEqual([]);
    expect(checked).toBeGreaterThan(30000);
    expect(read('source/reference/models/qwen3/moe.ts.html')).toContain('<a class="import" href="routing.ts.html">');
  });

  it('renders every formula with KaTeX: no error, no raw TeX left', () => {
    const bad: string[] = [];
    for (const p of pages.filter((x) => !x.startsWith('source/'))) {
      const page = read(p);
      if (page.includes('katex-error')) bad.push(`${p}: katex-error`);
      const text = prose(page);
      const raw = /\$\$|\$\\[a-zA-Z]|\\(frac|mathrm|operatorname|sum|lfloor)\b/.exec(text);
      if (raw) bad.push(`${p}: raw TeX near '${text.slice(Math.max(0, raw.index - 40), raw.index + 40)}'`);
    }
    expect(bad).toEqual([]);
    expect(fs.existsSync(path.join(out, 'assets/katex/katex.min.css'))).toBe(true);
    expect(fs.readdirSync(path.join(out, 'assets/katex/fonts')).some((f) => f.endsWith('.woff2'))).toBe(true);
    expect(read('index.html')).toContain('assets/katex/katex.min.css');
  });

  it('shows the formulas on the class and function pages they belong to', () => {
    const withMath = [
      'classes/reference.Qwen3MoeSparseBlock.html', 'classes/reference.Qwen3Attention.html',
      'classes/reference.Qwen3MLP.html', 'classes/reference.Qwen3DecoderLayer.html',
      'classes/reference.Qwen3RotaryEmbedding.html', 'classes/reference.FourierPositionEmbedding.html',
      'classes/reference.RMSNorm.html', 'classes/reference.LayerNorm.html',
      'classes/reference.ProVisionPatchMerger.html', 'classes/reference.TimeSeriesPatchEncoder.html',
      'functions/reference.selectExperts.html', 'functions/reference.routingWeights.html',
      'functions/reference.routingWeightsGrad.html', 'functions/reference.hfLoadBalancingLoss.html',
      'functions/reference.xtunerBalancingLoss.html', 'functions/reference.routerZLoss.html',
      'functions/reference.attention.html', 'functions/reference.applyRope.html',
      'functions/reference.ropeTables.html', 'functions/reference.fopeTables.html',
      'functions/reference.applyFope.html', 'functions/reference.rmsNorm.html',
      'functions/reference.layerNorm.html', 'functions/reference.pixelShuffle.html',
      'functions/reference.patchRows.html', 'functions/reference.concatSubsample.html',
      // the plan is one tfjs-free module both trees export: typedoc documents it once, under either entry
      'functions/*.timeSeriesPlan.html', 'functions/*.timeSeriesTokenCount.html',
      // the fast-path pages carry the formula too, with a link to the reference twin
      'classes/src.Qwen3MoeSparseBlock.html', 'classes/src.Qwen3Attention.html', 'classes/src.Qwen3MLP.html',
      'classes/src.FourierPositionEmbedding.html', 'classes/src.TimeSeriesPatchEncoder.html',
      'classes/src.ProVisionPatchMerger.html', 'functions/src.routingWeightsGrad.html',
      'functions/src.hfLoadBalancingLoss.html', 'functions/src.attention.html', 'functions/src.rmsNorm.html',
      'functions/src.pixelShuffle.html',
    ];
    const pageOf = (p: string) => (p.includes('/*.') ? ['src', 'reference'].map((e) => p.replace('*', e)).find((q) => fs.existsSync(path.join(out, q))) ?? p : p);
    const without = withMath.map(pageOf).filter((p) => !fs.existsSync(path.join(out, p)) || !read(p).includes('class="katex"'));
    expect(without).toEqual([]);
    const twinless = withMath.filter((p) => p.includes('/src.'))
      .filter((p) => !read(p).includes(`href="${path.posix.basename(p).replace(/^src\./, 'reference.')}"`));
    expect(twinless).toEqual([]);
  });

  it('links every "spec N.M" mention of the text to a guide section', () => {
    const unlinked: string[] = [];
    for (const p of pages.filter((x) => !x.startsWith('source/'))) {
      const text = read(p)
        .replace(/<(pre|code|script|annotation|a|h[1-6])\b[^>]*>[\s\S]*?<\/\1>/g, '')
        .replace(/<[^>]+>/g, '');
      for (const m of text.matchAll(/\bspec(?:[ \t]+sections?)?[ \t]+§?[ \t]?\d+(?:\.\d+)*/g)) unlinked.push(`${p}: ${m[0]}`);
    }
    expect(unlinked).toEqual([]);
    expect(read('documents/Reading_path.html')).toMatch(/class="spec-link"/);
  });

  it('gives every exported symbol a summary of at least 4 words', () => {
    const text = (parts: readonly CommentDisplayPart[] | undefined) => (parts ?? []).map((q) => q.text).join('');
    const summaryOf = (r: DeclarationReflection): string => {
      const own = (c: Comment | undefined) => text(c?.summary).trim();
      return own(r.comment) || own(r.signatures?.find((s) => s.comment)?.comment)
        || own(r.getSignature?.comment) || own(r.setSignature?.comment);
    };
    const short: string[] = [];
    let count = 0;
    for (const mod of project.children ?? []) {
      for (const r of mod.children ?? []) {
        if (r.kindOf(ReflectionKind.Reference)) continue; // a re-export of a symbol counted already
        count++;
        const words = summaryOf(r).split(/\s+/).filter(Boolean).length;
        if (words < 4) short.push(`${mod.name}.${r.name}: '${summaryOf(r)}'`);
      }
    }
    expect(count).toBeGreaterThan(400);
    expect(short).toEqual([]);
  });
});
