// @ts-check
/**
 * typedoc plugin: LaTeX in doc comments and guides, rendered with KaTeX at build time.
 *
 * `$...$` is inline math and `$$...$$` display math (on its own lines, or inline in a paragraph);
 * a fenced block with the language `math` is display math too. The parsing is
 * `@vscode/markdown-it-katex` (the rules VS Code's Markdown preview uses: a `$` followed by a space
 * or a closing `$` followed by a digit is not math, so prices and template strings survive), hooked
 * into typedoc's own markdown-it through `markdownItLoader`, so code spans and code blocks are never
 * touched. The HTML is rendered on the build machine; the page only needs KaTeX's stylesheet and
 * fonts, which are copied from the `katex` package into `<out>/assets/katex/` and linked from every
 * page's `<head>`: no script and no CDN at reading time.
 *
 * Write `\lbrace` / `\rbrace` for braces: typedoc's comment parser turns `\{` into `{`.
 *
 * A formula KaTeX cannot parse is a typedoc warning naming the page (the build treats warnings as
 * errors), and the test `test/docs/site.test.ts` checks that no page holds a `katex-error` or a raw
 * `$$`.
 *
 * Why a small plugin rather than typedoc-plugin-katex-like packages: none is maintained for
 * typedoc 0.28 in the registry, and client-side rendering (auto-render) would leave raw `$$` in the
 * HTML and need JavaScript to read a formula.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import katex from 'katex';
import markdownItKatex from '@vscode/markdown-it-katex';
import { Application, JSX, PageEvent, RendererEvent } from 'typedoc';

const require = createRequire(import.meta.url);

/** @param {import('typedoc').Application} app */
export function load(app) {
  let page = '(unknown page)';
  app.renderer.on(PageEvent.BEGIN, (e) => { page = e.url; });

  /** KaTeX with errors reported through typedoc's logger (so the build fails on them). */
  const checked = {
    renderToString(tex, options) {
      try {
        return katex.renderToString(tex, {
          ...options,
          throwOnError: true,
          strict: (code, msg) => { app.logger.warn(`KaTeX (${code}) on ${page}: ${msg} in: ${tex}`); return 'ignore'; },
        });
      } catch (err) {
        app.logger.warn(`KaTeX could not render a formula on ${page}: ${err instanceof Error ? err.message : String(err)}`);
        throw err;
      }
    },
  };
  // markdownItLoader is a function-valued option, so it is set here rather than in typedoc.json.
  // Set once the options are read (typedoc resets them after loading plugins).
  app.on(Application.EVENT_BOOTSTRAP_END, () => {
    const previous = app.options.getValue('markdownItLoader');
    app.options.setValue('markdownItLoader', (md) => {
      previous(md);
      md.use(markdownItKatex.default ?? markdownItKatex, { katex: checked, enableFencedBlocks: true });
    });
  });

  app.renderer.hooks.on('head.end', (context) =>
    JSX.createElement('link', { rel: 'stylesheet', href: context.relativeURL('assets/katex/katex.min.css') }));

  app.renderer.on(RendererEvent.END, (event) => {
    const dist = path.dirname(require.resolve('katex/dist/katex.min.css'));
    const out = path.join(event.outputDirectory, 'assets', 'katex');
    fs.mkdirSync(path.join(out, 'fonts'), { recursive: true });
    fs.copyFileSync(path.join(dist, 'katex.min.css'), path.join(out, 'katex.min.css'));
    // All three font formats the stylesheet names (1.2 MB), so no url() in it dangles.
    for (const f of fs.readdirSync(path.join(dist, 'fonts'))) {
      fs.copyFileSync(path.join(dist, 'fonts', f), path.join(out, 'fonts', f));
    }
  });
}
