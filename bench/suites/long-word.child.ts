/**
 * Child process of the tokenizer suite's long-word rows (issue #12 item 8): load the tokenizer,
 * build one seeded word of `MB` megabytes of random lower-case letters (no spaces), encode it once
 * and print `{ ms, tokens, extraMB, loadPeakMB, heapMB, withTokensMB }` as JSON. Run alone so that the
 * peak resident memory of the process (`maxRSS`) measures this one call: extra = peak during the
 * call − RSS before it (a lower bound when the loading peak was higher: loadPeakMB says how high
 * that was). That figure reuses memory the process had freed before the call (the loading
 * leaves some), so heapMB is printed too: V8 heap used + array buffers after the call minus
 * before it, with no collection forced in between (what the call allocated and still holds plus
 * garbage not yet collected). `encode` builds the `tokens` and `domains` arrays only when they
 * are read; withTokensMB is the peak extra once both have been read too (untimed).
 */
import '../../src/platform/node.js'; // this child runs alone: install the Node host (fromDir reads by path)
import { InternS1Tokenizer } from '../../src/tokenizer/tokenizer.js';
import { mulberry32 } from '../../src/util/random.js';

const [dir, mbArg] = process.argv.slice(2);
const tok = InternS1Tokenizer.fromDir(dir);
const n = Math.round(Number(mbArg) * 1e6);
const r = mulberry32(12);
const bytes = new Uint8Array(n);
for (let i = 0; i < n; i++) bytes[i] = 97 + Math.floor(r() * 26);
const word = Buffer.from(bytes).toString('latin1');
(globalThis as { gc?: () => void }).gc?.();
const m0 = process.memoryUsage();
const rss0 = m0.rss;
const peak0 = process.resourceUsage().maxRSS * 1024;
const t0 = performance.now();
const enc = tok.encode(word);
const ids = enc.ids;
const ms = performance.now() - t0;
const peak1 = process.resourceUsage().maxRSS * 1024;
const m1 = process.memoryUsage();
const heapMB = Math.max(0, m1.heapUsed + m1.arrayBuffers - m0.heapUsed - m0.arrayBuffers) / 1e6;
if (enc.tokens.length !== ids.length || enc.domains.length !== ids.length) throw new Error('tokens / domains do not match the ids');
const peak2 = process.resourceUsage().maxRSS * 1024;
process.stdout.write(JSON.stringify({
  ms, tokens: ids.length, extraMB: Math.max(0, peak1 - rss0) / 1e6, loadPeakMB: Math.max(0, peak0 - rss0) / 1e6,
  heapMB, withTokensMB: Math.max(0, peak2 - rss0) / 1e6,
}) + '\n');
