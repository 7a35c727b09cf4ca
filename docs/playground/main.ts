/**
 * The docs playground (issue 14, item 5): bundled by `docs/plugins/playground.mjs` into
 * `<site>/playground/playground.js` during `npm run docs`, served by `intern-s1 serve-docs`.
 *
 * - Tokenizer panel: the text's pieces coloured by sub-tokenizer, with the real tokenizer when
 *   `serve-docs --files DIR` serves one at `/tokenizer/`, else the built-in tiny demo tokenizer.
 * - Model panel: the built-in tiny model end to end (picture, signal, text, streamed tokens) on the
 *   backend picked, with the expert load per layer and timings. It runs what `intern-s1 demo` runs
 *   (`src/cli/demo/run.ts`), so a seed gives the same tokens here and in Node
 *   (test/playground/playground.test.ts checks it).
 *
 * Generation steps a {@link GenerationSession} and yields to the page between tokens, so tokens
 * appear as they come (the same steps `generate` loops over, hence the same tokens).
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend, type BackendInfo } from '../../src/backend/browser.js';
import { isBrowserBackendName } from '../../src/backend/ladder.js';
import { demoImage, demoSignal } from '../../src/cli/demo/media.js';
import {
  DEMO_PROMPT, type DemoVariant, demoGenerateOptions, demoModel, demoTokenizer, disposePrepared, prepareDemo,
} from '../../src/cli/demo/run.js';
import { readableToken } from '../../src/cli/show.js';
import { GenerationSession } from '../../src/generation/session.js';
import type { RgbImage } from '../../src/image/types.js';
import type { Encoding } from '../../src/tokenizer/options.js';
import { tokenizerFilesFromSource } from '../../src/tokenizer/sources.js';
import { InternS1Tokenizer } from '../../src/tokenizer/tokenizer.js';

/** Where `serve-docs --files` serves a tokenizer folder (src/cli/commands/serve-docs.ts, TOKENIZER_MOUNT). */
const TOKENIZER_URL = new URL('/tokenizer/', location.href).href;
/** The wasm binaries sit next to this bundle (copied by the docs plugin). */
const WASM_PATHS = new URL('./', import.meta.url).href;
const DOMAINS = ['text', 'added', 'SMILES', 'PROT', 'XNA', 'IUPAC', 'FASTA'];

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

/** State the browser test reads (window.playground). */
interface PlaygroundState {
  tokenizer: 'real' | 'demo' | 'loading';
  tokenizerNote: string;
  /** The ids of the tokenizer panel's text, as last encoded. */
  encoded: number[];
  running: boolean;
  lastRun: null | { backend: BackendInfo; tokens: number[]; text: string; error?: string };
}
const state: PlaygroundState = { tokenizer: 'loading', tokenizerNote: '', encoded: [], running: false, lastRun: null };
(window as unknown as { playground: PlaygroundState }).playground = state;

/** Pieces of an encoding as coloured spans (runs of one repeated added token folded as `×n`). */
function renderPieces(target: HTMLElement, enc: Encoding): Map<string, number> {
  target.textContent = '';
  const counts = new Map<string, number>();
  for (const d of enc.domains) counts.set(d, (counts.get(d) ?? 0) + 1);
  for (let i = 0; i < enc.tokens.length;) {
    let j = i + 1;
    while (j < enc.tokens.length && enc.domains[i] === 'added' && enc.tokens[j] === enc.tokens[i]) j++;
    const d = enc.domains[i];
    const span = document.createElement('span');
    span.className = `piece d-${DOMAINS.includes(d) ? d : 'other'}`;
    span.dataset.domain = d;
    span.title = `${d}: id ${enc.ids[i]}${j - i > 1 ? ` (×${j - i})` : ''}`;
    span.textContent = readableToken(enc.tokens[i], d).replace(/\n/g, '\\n') + (j - i > 1 ? `×${j - i}` : '');
    target.append(span);
    i = j;
  }
  return counts;
}

function legend(): void {
  const el = $('legend');
  el.textContent = 'colours: ';
  for (const d of DOMAINS.slice(0, 6)) {
    const s = document.createElement('span');
    s.className = `piece d-${d}`;
    s.textContent = d === 'text' ? 'text (byte-level BPE)' : d === 'added' ? 'added / special' : d;
    el.append(s);
  }
}

/** The real tokenizer when serve-docs serves one, else the built-in tiny one. */
async function loadTokenizer(): Promise<InternS1Tokenizer> {
  const probe = await fetch(`${TOKENIZER_URL}tokenizer_config.json`, { method: 'HEAD' }).catch(() => null);
  if (probe?.ok) {
    const t0 = performance.now();
    const { files, flavour } = await tokenizerFilesFromSource(TOKENIZER_URL);
    const tok = InternS1Tokenizer.fromFiles(files, { flavour });
    state.tokenizer = 'real';
    state.tokenizerNote = `the tokenizer served at ${TOKENIZER_URL} (flavour ${flavour.name}), loaded in ${(performance.now() - t0).toFixed(0)} ms`;
    return tok;
  }
  const t0 = performance.now();
  const { tokenizer, demoTok } = demoTokenizer();
  state.tokenizer = 'demo';
  state.tokenizerNote = `the built-in tiny demo tokenizer (${demoTok.vocabSize} ids: byte-level BPE + SMILES / PROT / XNA sentencepiece), built in ${(performance.now() - t0).toFixed(0)} ms; `
    + 'run `intern-s1 serve-docs --files DIR` to use a real one (e.g. Intern-S1-Pro\'s)';
  return tokenizer;
}

async function tokenizerPanel(): Promise<void> {
  legend();
  const text = $<HTMLTextAreaElement>('text');
  text.value = DEMO_PROMPT;
  let tok: InternS1Tokenizer;
  try {
    tok = await loadTokenizer();
  } catch (e) {
    $('tokenizer-status').innerHTML = '';
    $('tokenizer-status').append(Object.assign(document.createElement('span'), { className: 'error', textContent: `tokenizer: ${(e as Error).message}` }));
    return;
  }
  $('tokenizer-status').textContent = `Tokenizer: ${state.tokenizerNote}.`;
  const update = () => {
    const t0 = performance.now();
    const enc = tok.encode(text.value);
    state.encoded = enc.ids;
    const counts = renderPieces($('pieces'), enc);
    $('piece-counts').textContent = `${enc.ids.length} tokens in ${(performance.now() - t0).toFixed(1)} ms; by sub-tokenizer: ${[...counts].map(([d, n]) => `${d} ${n}`).join(', ')}`;
  };
  let timer = 0;
  text.addEventListener('input', () => {
    clearTimeout(timer);
    timer = window.setTimeout(update, 120);
  });
  update();
}

function drawImage(img: RgbImage): void {
  const ctx = $<HTMLCanvasElement>('image').getContext('2d')!;
  const data = ctx.createImageData(img.width, img.height);
  for (let i = 0; i < img.width * img.height; i++) {
    data.data.set([img.data[3 * i], img.data[3 * i + 1], img.data[3 * i + 2], 255], 4 * i);
  }
  ctx.putImageData(data, 0, 0);
}

function drawSignal(sig: { data: Float32Array; T: number; C: number }): void {
  const canvas = $<HTMLCanvasElement>('signal');
  const ctx = canvas.getContext('2d')!;
  const [w, h] = [canvas.width, canvas.height];
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, w, h);
  const colours = ['#1b5e9e', '#c2571a', '#2e7d32'];
  for (let c = 0; c < sig.C; c++) {
    ctx.strokeStyle = colours[c];
    ctx.beginPath();
    const mid = ((c + 0.5) * h) / sig.C;
    for (let t = 0; t < sig.T; t++) {
      const x = (t / (sig.T - 1)) * w;
      const y = mid - sig.data[t * sig.C + c] * (h / sig.C) * 0.45;
      if (t === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y);
    }
    ctx.stroke();
  }
}

function describeBackend(bi: BackendInfo): string {
  const parts = [bi.backend + (bi.forced ? ' (chosen)' : ' (best available)')];
  if (bi.adapter) parts.push(`adapter ${bi.adapter.name}${bi.adapter.software ? ' — a software renderer: CPU emulation, not GPU speed' : ''}`);
  if (bi.wasm) parts.push(`SIMD ${bi.wasm.simd ? 'on' : 'off'}, threads ${bi.wasm.threads ? 'on' : 'off'}${bi.wasm.threadsNote ? ` (${bi.wasm.threadsNote})` : ''}`);
  const skipped = bi.attempts.filter((a) => a.status === 'skipped').map((a) => `${a.candidate}: ${a.reason}`);
  if (skipped.length) parts.push(`skipped: ${skipped.join('; ')}`);
  return parts.join('; ');
}

function renderExperts(loads: readonly ({ perExpert: number[]; perGroup: number[]; groupImbalance: number; expertImbalance: number } | null)[]): void {
  const table = $<HTMLTableElement>('experts');
  table.textContent = '';
  if (!loads.some((l) => l)) {
    table.textContent = 'dense decoder (no routing)';
    return;
  }
  loads.forEach((l, layer) => {
    if (!l) return;
    const max = Math.max(...l.perExpert, 1);
    const row = table.insertRow();
    row.insertCell().textContent = `layer ${layer}`;
    const bars = row.insertCell();
    l.perExpert.forEach((n, e) => {
      const b = document.createElement('span');
      b.className = 'bar';
      b.style.width = `${(40 * n) / max}px`;
      b.title = `expert ${e}: ${n}`;
      bars.append(b, ' ');
    });
    row.insertCell().textContent = `per expert [${l.perExpert.join(' ')}], per group [${l.perGroup.join(' ')}], expert imbalance ${l.expertImbalance.toFixed(2)}, group imbalance ${l.groupImbalance.toFixed(2)}`;
  });
}

const nextFrame = () => new Promise<void>((r) => setTimeout(r, 0));

/** Read an integer input, or throw naming it. */
function intInput(id: string, min: number): number {
  const v = Number($<HTMLInputElement>(id).value);
  if (!Number.isInteger(v) || v < min) throw new Error(`${id} must be an integer >= ${min}, got '${$<HTMLInputElement>(id).value}'`);
  return v;
}

async function run(): Promise<void> {
  if (state.running) return;
  state.running = true;
  const button = $<HTMLButtonElement>('run');
  button.disabled = true;
  const log: string[] = [];
  const timing = (what: string, ms: number) => {
    log.push(`${what}: ${ms < 1000 ? `${ms.toFixed(0)} ms` : `${(ms / 1000).toFixed(2)} s`}`);
    $('timings').textContent = log.join('\n');
  };
  const status = (s: string) => ($('status').textContent = s);
  for (const id of ['stream', 'output', 'tokens', 'prompt-pieces', 'prompt-count', 'timings']) $(id).textContent = '';
  $('experts').textContent = '';
  const t0 = performance.now();
  let bi: BackendInfo | undefined;
  try {
    const choice = $<HTMLSelectElement>('backend').value;
    const variant = $<HTMLSelectElement>('variant').value as DemoVariant;
    const seed = intInput('seed', 0);
    const maxNew = intInput('max-new', 1);
    const temperature = Number($<HTMLInputElement>('temperature').value);
    status('starting the backend…');
    let t = performance.now();
    bi = await initBackend(isBrowserBackendName(choice) ? choice : undefined, { wasmPaths: WASM_PATHS });
    $('backend-info').textContent = describeBackend(bi);
    if (bi.backend === 'webgpu' && bi.adapter?.software) {
      // Measured in headless Chromium 156 on SwiftShader's WebGPU adapter: a synchronous read
      // (dataSync, which generation does for every token's logits and the router statistics)
      // returns zeros and loses the GPU device. On a GPU adapter it works (slowly: a canvas copy).
      if (choice === 'webgpu') throw new Error(`webgpu runs here on a software adapter (${bi.adapter.name}), where tfjs's synchronous GPU reads return zeros and lose the device; generation reads every token's logits synchronously, so pick wasm or webgl (faster than a software GPU anyway)`);
      const note = ` — the WebGPU adapter is software (${bi.adapter.name}), whose synchronous reads return zeros: running on wasm instead`;
      bi = await initBackend('wasm', { wasmPaths: WASM_PATHS });
      $('backend-info').textContent = describeBackend(bi) + note;
    }
    timing(`backend ${bi.backend}`, performance.now() - t);
    await nextFrame();

    status('building the tiny tokenizer and checkpoint…');
    await nextFrame();
    t = performance.now();
    const { tokenizer, demoTok } = demoTokenizer();
    timing('tiny demo tokenizer', performance.now() - t);
    t = performance.now();
    const { ckpt, model } = demoModel(variant, demoTok, seed);
    timing(`tiny ${variant} checkpoint (${ckpt.parameters.toLocaleString('en-US')} parameters, seed ${seed})`, performance.now() - t);
    try {
      t = performance.now();
      const prep = prepareDemo(model, tokenizer, { image: demoImage(), signal: demoSignal() }, $<HTMLTextAreaElement>('prompt').value);
      timing(`preprocessing (image ${prep.imageGrid ?? 'none'}, ${prep.counts.timeSeries?.[0] ?? 0} time-series tokens) and tokenizing`, performance.now() - t);
      try {
        $('prompt-count').textContent = `${prep.encoding.ids.length}`;
        renderPieces($('prompt-pieces'), prep.encoding);
        status('prefill (vision and time-series encoders, then the decoder over the prompt)…');
        await nextFrame();
        // Same options as `intern-s1 demo` (parseSampling gives undefined for flags not given).
        const sampling = { temperature: temperature > 0 ? temperature : undefined, topK: undefined, topP: undefined, seed };
        const session = new GenerationSession(model, prep.inputs, demoGenerateOptions(tokenizer, maxNew, sampling));
        const tokens: number[] = [];
        let first = 0;
        const tg = performance.now();
        try {
          for (let r = session.step(); r; r = session.step()) {
            if (tokens.length === 0) first = performance.now() - tg;
            tokens.push(r.token);
            const span = document.createElement('span');
            span.className = 'tok';
            span.textContent = `${r.token} ${JSON.stringify(tokenizer.decode([r.token]))}`;
            $('stream').append(span);
            $('tokens').textContent = tokens.join(' ');
            status(`generating: ${tokens.length} of at most ${maxNew} tokens…`);
            await nextFrame();
            if (session.finishReason) break;
          }
        } finally {
          session.dispose();
        }
        const decodeMs = performance.now() - tg - first;
        timing(`prefill of ${session.promptTokens} tokens (media encoders included) + first token`, first);
        timing(`${tokens.length - 1} more tokens (${((tokens.length - 1) / Math.max(decodeMs / 1000, 1e-9)).toFixed(1)} tokens/s, page updates included)`, decodeMs);
        const text = tokenizer.decode(tokens);
        $('output').textContent = JSON.stringify(text);
        renderExperts(session.prefill?.expertLoad ?? []);
        timing(`total (finished by ${session.finishReason ?? 'length'})`, performance.now() - t0);
        state.lastRun = { backend: bi, tokens, text };
        status(`done: ${tokens.length} tokens on ${bi.backend}; tfjs holds ${tf.memory().numTensors} tensors`);
      } finally {
        disposePrepared(prep);
      }
    } finally {
      model.dispose();
    }
  } catch (e) {
    const msg = (e as Error).message ?? String(e);
    state.lastRun = { backend: bi as BackendInfo, tokens: [], text: '', error: msg };
    $('status').textContent = '';
    $('status').append(Object.assign(document.createElement('span'), { className: 'error', textContent: `error: ${msg}` }));
  } finally {
    state.running = false;
    button.disabled = false;
  }
}

function main(): void {
  $<HTMLTextAreaElement>('prompt').value = DEMO_PROMPT;
  drawImage(demoImage());
  drawSignal(demoSignal());
  $('run').addEventListener('click', () => void run());
  // ?backend=wasm&seed=3&variant=s1&run=1 presets the form (and runs): links and the browser test use it.
  const q = new URLSearchParams(location.search);
  for (const [param, id] of [['backend', 'backend'], ['variant', 'variant'], ['seed', 'seed'], ['tokens', 'max-new'], ['temperature', 'temperature']]) {
    const v = q.get(param);
    if (v !== null) ($(id) as HTMLInputElement).value = v;
  }
  void tokenizerPanel();
  if (q.get('run') === '1') void run();
}

main();
