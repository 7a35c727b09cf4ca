// @ts-check
/**
 * typedoc plugin: the source files of `src/` and `reference/` as pages of the built site.
 *
 * Every `.ts` file under `src/` and `reference/` becomes `<out>/source/<path>.html`, highlighted
 * with typedoc's own highlighter (so it shares `assets/highlight.css` and its light/dark themes),
 * one `<span id="L<n>">` per line, the line numbers links to themselves, and every relative import
 * a link to the page of the file it imports. `source/index.html` lists the files; each page links
 * to its twin (`src/X.ts` <-> `reference/X.ts`) when it has one.
 *
 * Symbol pages link here through typedoc's own "Defined in" links: `docs/typedoc.json` sets
 * `disableGit: true` and `sourceLinkTemplate: "internsite:source/{path}.html#L{line}"`; the
 * `internsite:` prefix is a marker that {@link rewriteSiteLinks} turns into a path relative to
 * each page when the page is written (typedoc pages live at different depths, and a template can
 * only produce one string). Everything works offline from the built folder.
 *
 * Why a plugin and not a hosted repository: the issue asks for the site to work offline, and the
 * reference implementation's code is the content a researcher browses.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Converter, PageEvent, RendererEvent } from 'typedoc';

/** The folders whose files become pages, relative to the repository root. */
export const SOURCE_ROOTS = ['src', 'reference'];
/** The marker that `sourceLinkTemplate`, `navigationLinks` and the spec links use. */
export const SITE_MARKER = 'internsite:';

/** Every `.ts` file under `dir` (sorted, `/`-separated, relative to `root`). */
export function listSources(root, dir) {
  const out = [];
  const walk = (rel) => {
    for (const e of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
      const r = `${rel}/${e.name}`;
      if (e.isDirectory()) walk(r);
      else if (e.isFile() && e.name.endsWith('.ts')) out.push(r);
    }
  };
  walk(dir);
  return out.sort();
}

const escapeHtml = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Rewrite `href="internsite:X"` into a link relative to the page at `pageUrl`. */
export function rewriteSiteLinks(html, pageUrl) {
  const depth = pageUrl.split('/').length - 1;
  const prefix = '../'.repeat(depth);
  return html.replace(/(href|src)="internsite:/g, `$1="${prefix}`);
}

/**
 * Split highlighted HTML into lines. typedoc's highlighter ends every line with `<br/>` (shiki
 * closes each token on its own line, so no `<span>` is open there); its plain-text fallback keeps
 * the `\n`s. A final empty line (the file's last newline) is dropped.
 */
function splitLines(html) {
  const lines = html.split(html.includes('<br/>') ? '<br/>' : '\n');
  if (lines.length > 1 && lines[lines.length - 1].trim() === '') lines.pop();
  return lines;
}

const PAGE_CSS = `
.source-page { max-width: none; padding: 1rem 2rem; }
.source-page header { margin-bottom: 1rem; }
.source-page nav a { margin-right: 1rem; }
pre.source { font-size: 0.85rem; line-height: 1.45; padding: 0.5rem 0; counter-reset: none; overflow-x: auto; }
pre.source .line { display: block; padding-right: 1rem; }
pre.source .line:target { background: var(--color-background-secondary, #ffeeba); outline: 1px solid var(--color-accent, #c9a227); }
pre.source a.ln { display: inline-block; width: 3.5em; padding-right: 1em; text-align: right; color: var(--color-text-aside, #888); user-select: none; text-decoration: none; }
pre.source a.import { color: inherit; text-decoration: underline dotted; }
ul.source-index { columns: 2; font-family: monospace; }
`;

/** The HTML of one page (`body` inside typedoc's stylesheets and a small header). */
function page(title, depth, nav, body) {
  const up = '../'.repeat(depth);
  return `<!DOCTYPE html><html class="default" lang="en"><head><meta charset="utf-8"/>
<meta name="viewport" content="width=device-width, initial-scale=1"/><title>${escapeHtml(title)}</title>
<link rel="stylesheet" href="${up}assets/style.css"/><link rel="stylesheet" href="${up}assets/highlight.css"/>
<style>${PAGE_CSS}</style></head><body><div class="source-page"><header><h1>${escapeHtml(title)}</h1>
<nav><a href="${up}index.html">intern-s1-ts documentation</a><a href="${up}source/index.html">all source files</a>${nav}</nav></header>
${body}</div></body></html>
`;
}

/**
 * Link the relative module specifiers of a highlighted line (`from '../ops/norm.js'`, also
 * `import('./x.js')`) to the page of the file they name, when that file is one of the pages.
 */
function linkImports(line, file, all) {
  return line.replace(/(<span class="hl-\d+">)(&#39;|&quot;)(\.\.?\/[^<]*?)\.js\2(<\/span>)/g, (m, open, q, spec, close) => {
    const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), `${spec}.ts`));
    if (!all.has(target)) return m;
    const href = path.posix.relative(path.posix.dirname(file), target);
    return `${open}<a class="import" href="${href}.html">${q}${spec}.js${q}</a>${close}`;
  });
}

/** @param {import('typedoc').Application} app */
export function load(app) {
  const root = path.resolve(path.dirname(app.options.getValue('tsconfig')));
  // Members inherited from outside the project (Error's `message`, `stack`, from TypeScript's and
  // Node's .d.ts files) keep their "Defined in" text but lose the link: only src/ and reference/
  // have pages.
  app.converter.on(Converter.EVENT_RESOLVE_END, (context) => {
    for (const r of Object.values(context.project.reflections)) {
      for (const src of r.sources ?? []) {
        if (src.url && !SOURCE_ROOTS.some((d) => src.fileName.startsWith(`${d}/`))) src.url = undefined;
      }
    }
  });

  // Written before MarkedPlugin writes highlight.css (priority 100 > its 0), so the colours of
  // the source pages are in it.
  app.renderer.on(RendererEvent.END, (event) => {
    const started = Date.now();
    const files = SOURCE_ROOTS.flatMap((d) => listSources(root, d));
    const all = new Set(files);
    const outDir = path.join(event.outputDirectory, 'source');
    for (const file of files) {
      const code = fs.readFileSync(path.join(root, file), 'utf8');
      const lines = splitLines(app.renderer.markedPlugin.getHighlighted(code, 'typescript'));
      const body = lines
        .map((l, i) => `<span class="line" id="L${i + 1}"><a class="ln" href="#L${i + 1}">${i + 1}</a>${linkImports(l, file, all)}</span>`)
        .join('');
      const depth = file.split('/').length; // source/<file>
      const twin = file.startsWith('src/') ? `reference/${file.slice(4)}` : `src/${file.slice(10)}`;
      const nav = all.has(twin)
        ? `<a href="${'../'.repeat(depth - 1)}${twin}.html">${twin.startsWith('src/') ? 'fast path twin' : 'reference twin'}: ${escapeHtml(twin)}</a>`
        : '';
      const target = path.join(outDir, `${file}.html`);
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, page(file, depth, nav, `<pre class="source"><code>${body}</code></pre>`));
    }
    const index = SOURCE_ROOTS.map((d) => {
      const items = files.filter((f) => f.startsWith(`${d}/`))
        .map((f) => `<li><a href="${f}.html">${escapeHtml(f)}</a></li>`).join('');
      return `<h2>${d}/</h2><ul class="source-index">${items}</ul>`;
    }).join('\n');
    const intro = '<p><code>reference/</code> is the float64 reference, written to be read next to the spec; '
      + '<code>src/</code> is the TensorFlow.js fast path. A file that computes something has a twin of the same '
      + 'path in the other tree; each page links to its twin.</p>';
    fs.mkdirSync(outDir, { recursive: true });
    fs.writeFileSync(path.join(outDir, 'index.html'), page('Source files', 1, '', intro + index));
    app.logger.verbose(`source pages: ${files.length} files in ${Date.now() - started} ms`);
  }, 100);

  app.renderer.on(PageEvent.END, (event) => {
    if (event.contents) event.contents = rewriteSiteLinks(event.contents, event.url);
  });
}
