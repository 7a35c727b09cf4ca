// @ts-check
/**
 * typedoc plugin: every "spec N.M" in a doc comment or a guide links to the guide section that
 * explains spec section N.M.
 *
 * The guides carry the targets as empty anchors, `<a id="spec-3-4"></a>` for section 3.4 of
 * `spec/architecture.md` and `<a id="tokenizer-spec-1-3"></a>` for section 1.3 of
 * `spec/tokenizer.md`, placed just above the paragraph or heading that explains the section. The
 * plugin reads them from the guides at start-up (an id in two guides is a warning), then a
 * markdown-it rule, run after typedoc's own rules, links each mention in text (never in code, in
 * headings or inside an existing link): "spec 3.4", "spec §3.4", "spec section 9", "spec 3.4, 4.1,
 * 4.2", "spec 5.2-5.3", "tokenizer spec §1.3". A section without an anchor of its own links to its
 * nearest ancestor that has one (4.2.1 -> 4.2 -> 4); a number with no anchor at all is a warning,
 * so `npm run docs` fails until a guide explains it.
 *
 * Which spec: "tokenizer spec" names spec/tokenizer.md, "architecture spec" and a bare "spec"
 * spec/architecture.md, except in comments of files under a `tokenizer/` folder, where a bare
 * "spec" has always meant the tokenizer spec: there the comment text is rewritten to
 * "tokenizer spec" when typedoc has resolved the project, so the rendered text says which spec.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Application, Converter, PageEvent, ReflectionKind, RendererEvent } from 'typedoc';

const NUM = String.raw`\d+(?:\.\d+)*`;
/** A mention: optional spec name, "spec", optional "section(s)" / "§", the first number, more numbers. */
const MENTION = new RegExp(
  String.raw`\b(?:(tokenizer|architecture)\s+)?spec(?:\s+(tokenizer))?\s+(?:sections?\s+)?(§\s?)?(${NUM})`
  + String.raw`((?:\s*[–-]\s*§?${NUM}|(?:,\s*|\s+and\s+)(?:§\s?${NUM}|\d+\.\d+(?:\.\d+)*))*)`,
  'g',
);
const MORE = new RegExp(String.raw`(\s*[–-]\s*|,\s*|\s+and\s+)(§\s?)?(${NUM})`, 'g');

/** The anchor id of section `num` of the architecture spec (`arch`) or the tokenizer spec (`tok`). */
export const specAnchor = (ns, num) => `${ns === 'tok' ? 'tokenizer-' : ''}spec-${num.replace(/\./g, '-')}`;

/** Anchors of every guide: id -> the guide's title (front matter), from the `projectDocuments` files. */
function readAnchors(app, docsDir) {
  const files = [...fs.readdirSync(path.join(docsDir, 'guides')).map((f) => path.join(docsDir, 'guides', f)),
    path.join(docsDir, 'performance.md')].filter((f) => f.endsWith('.md'));
  const anchors = new Map();
  for (const file of files) {
    const text = fs.readFileSync(file, 'utf8');
    const title = /^---\n[\s\S]*?^title:\s*(.+)$/m.exec(text)?.[1].trim().replace(/^["']|["']$/g, '');
    if (!title) continue;
    for (const m of text.matchAll(/<a id="((?:tokenizer-)?spec-[\d-]+)"><\/a>/g)) {
      if (anchors.has(m[1]) && anchors.get(m[1]).file !== file) {
        app.logger.warn(`spec anchor ${m[1]} is in two guides: ${anchors.get(m[1]).file} and ${file}`);
      }
      anchors.set(m[1], { title, file });
    }
  }
  return anchors;
}

/** @param {import('typedoc').Application} app */
export function load(app) {
  const docsDir = path.resolve(path.dirname(app.options.getValue('tsconfig')), 'docs');
  const anchors = readAnchors(app, docsDir);
  /** @type {Map<string, string>} guide title -> page URL */
  let docUrls = new Map();
  let page = '(unknown page)';

  app.converter.on(Converter.EVENT_RESOLVE_END, (context) => {
    for (const r of Object.values(context.project.reflections)) {
      let s = r;
      while (s && !s.sources?.length) s = s.parent;
      const file = s?.sources?.[0]?.fullFileName ?? '';
      if (!/[\\/]tokenizer[\\/]/.test(file)) continue;
      const comments = [r.comment, ...(r.comment?.blockTags ?? [])].filter(Boolean);
      for (const c of comments) {
        for (const part of c.summary ?? c.content ?? []) {
          if (part.kind === 'text') {
            part.text = part.text.replace(/(?<!tokenizer |architecture |\w)spec(?!\s+tokenizer)(?=\s+(?:sections?\s+)?§?\s?\d)/g, 'tokenizer spec');
          }
        }
      }
    }
  });

  app.renderer.on(RendererEvent.BEGIN, (event) => {
    docUrls = new Map();
    for (const d of event.project.getReflectionsByKind(ReflectionKind.Document)) {
      docUrls.set(d.name, app.renderer.router.getFullUrl(d));
    }
  });
  app.renderer.on(PageEvent.BEGIN, (e) => { page = e.url; });

  /** The marker URL of section `num` (see source-pages.mjs for the marker), or undefined. */
  const target = (ns, num) => {
    for (let n = num; n; n = n.includes('.') ? n.slice(0, n.lastIndexOf('.')) : '') {
      const a = anchors.get(specAnchor(ns, n));
      if (a && docUrls.has(a.title)) return `internsite:${docUrls.get(a.title)}#${specAnchor(ns, n)}`;
    }
    app.logger.warn(`${ns === 'tok' ? 'tokenizer ' : ''}spec ${num} is mentioned on ${page} but no guide has an anchor `
      + `<a id="${specAnchor(ns, num)}"></a> (or one of a parent section) for it`);
    return undefined;
  };

  // Set once the options are read (typedoc resets them after loading plugins).
  app.on(Application.EVENT_BOOTSTRAP_END, () => {
    const previous = app.options.getValue('markdownItLoader');
    app.options.setValue('markdownItLoader', (md) => {
      previous(md);
      md.core.ruler.push('intern_s1_spec_links', (state) => {
        const Token = state.Token;
        state.tokens.forEach((block, bi) => {
          if (block.type !== 'inline' || !block.children || state.tokens[bi - 1]?.type === 'heading_open') return;
          const out = [];
          let inLink = 0;
          for (const tok of block.children) {
            if (tok.type === 'link_open') inLink++;
            if (tok.type === 'link_close') inLink--;
            if (tok.type !== 'text' || inLink > 0 || !MENTION.test(tok.content)) { out.push(tok); continue; }
            MENTION.lastIndex = 0;
            const text = (s) => { if (s) { const t = new Token('text', '', 0); t.content = s; out.push(t); } };
            const link = (label, href) => {
              if (!href) { text(label); return; }
              const open = new Token('link_open', 'a', 1); open.attrs = [['href', href], ['class', 'spec-link']];
              out.push(open); text(label); out.push(new Token('link_close', 'a', -1));
            };
            let at = 0;
            for (const m of tok.content.matchAll(MENTION)) {
              const ns = m[1] === 'tokenizer' || m[2] === 'tokenizer' ? 'tok' : 'arch';
              text(tok.content.slice(at, m.index));
              const headLen = m[0].length - m[5].length;
              link(m[0].slice(0, headLen), target(ns, m[4]));
              let k = 0;
              for (const c of m[5].matchAll(MORE)) {
                text(c[1]);
                link(`${c[2] ?? ''}${c[3]}`, target(ns, c[3]));
                k = c.index + c[0].length;
              }
              text(m[5].slice(k));
              at = m.index + m[0].length;
            }
            text(tok.content.slice(at));
          }
          block.children = out;
        });
      });
    });
  });
}
