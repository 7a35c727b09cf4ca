/**
 * Issue #12 item 8: tokenizer time and memory on hostile sizes, checked with work counters and
 * allocation sizes (never timings):
 * - one very long word: the BPE heap does O(n) pushes; a word longer than two segments is merged
 *   in segments (the largest merge run stays near one segment, not the word: the whole-word heap
 *   took ~20 bytes per input byte) with the same ids as the whole-word heap and the reference,
 *   rejoined segments included; `encode` builds `tokens` / `domains` only when read (three arrays
 *   pushed to millions of entries were the largest cost of a 10 MB word), with the same values;
 *   NFC is skipped below U+0300, where it is the identity; the SMILES candidate scan allocates
 *   scratch for the zone it scans, not for the whole text once per zone (which made a 4 MB word
 *   quadratic);
 * - an added-token id of 10^9 is refused (MAX_TOKEN_ID) before any table is built; an id just
 *   under the limit loads without walking the whole id range.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TokenizerError } from '../../src/errors.js';
import { ByteLevelBPE as RefBPE } from '../../reference/tokenizer/bpe.js';
import { ByteLevelBPE, LONG_WORD_SEGMENT } from '../../src/tokenizer/bpe.js';
import { smilesCandidates } from '../../src/tokenizer/detectors.js';
import { smilesScanStats } from '../../src/tokenizer/scan-stats.js';
import { MAX_TOKEN_ID, readAddedTokens } from '../../src/tokenizer/files.js';
import { InternS1Tokenizer } from '../../src/tokenizer/tokenizer.js';
import { mulberry32 } from '../support/arbitraries.js';
import { runs } from '../support/runs.js';
import { TOY_CORPUS, describePro, tinyProFiles, trainToyBpe } from './support.js';

function randomWord(n: number, alphabet: string, seed: number): string {
  const r = mulberry32(seed);
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[Math.floor(r() * alphabet.length)];
  return s;
}

describe('one very long word (issue #12 item 8)', () => {
  const toy = trainToyBpe(TOY_CORPUS, 200);
  const bpe = new ByteLevelBPE(toy.vocab, toy.merges, { cacheSize: 0 });

  it('BPE of a 200,000-byte word: heap pushes and merges linear in the length, same ids as short pieces glued', () => {
    expect(bpe.usesTextbookLoop).toBe(false);
    const word = randomWord(200_000, 'etaoinshrdlu', 7);
    const before = { ...bpe.stats };
    const ids = bpe.encode(word);
    const pushes = bpe.stats.heapPushes - before.heapPushes;
    const merges = bpe.stats.merges - before.merges;
    expect(merges).toBe(word.length - ids.length); // every merge removes one symbol
    expect(pushes).toBeLessThanOrEqual(3 * word.length); // n - 1 initial pairs + at most 2 per merge
    expect(ids.length).toBeGreaterThan(0);
    // the heap (with its in-place dropping of stale entries) still equals the reference BPE
    const head = word.slice(0, 3000);
    expect(bpe.encode(head)).toEqual(new RefBPE(toy.vocab, toy.merges).encode(head));
  });

  it('segmented long words (any segment size, rejoined boundaries included) == whole-word heap == reference', () => {
    // a second toy model trained on random a/b words: tokens of up to 13 bytes, so that a cut
    // chosen near a segment's end often is not a token end of the whole word and gets rejoined
    const abToy = trainToyBpe(Array.from({ length: 300 }, (_, k) => randomWord(30, 'ab', 100 + k)).join(' '), 150);
    const models = [toy, abToy].map((m) => ({
      m,
      whole: new ByteLevelBPE(m.vocab, m.merges, { cacheSize: 0, segmentBytes: Infinity }),
      ref: new RefBPE(m.vocab, m.merges),
    }));
    let rejoins = 0;
    let segments = 0;
    const alphabet = fc.constantFrom('etaoinshrdlu', 'the', 'ab', 'e', 'thequickbrownfox');
    fc.assert(fc.property(fc.nat({ max: 1 }), alphabet, fc.integer({ min: 40, max: 1500 }), fc.integer({ min: 16, max: 200 }), fc.nat(), (which, letters, n, seg, seed) => {
      const { m, whole, ref } = models[which];
      const word = randomWord(n, which === 1 ? 'ab' : letters, seed);
      const b = new ByteLevelBPE(m.vocab, m.merges, { cacheSize: 0, segmentBytes: seg });
      expect(b.usesTextbookLoop).toBe(false);
      const ids = b.encode(word);
      expect(ids).toEqual(whole.encode(word));
      expect(ids).toEqual(ref.encode(word));
      expect(b.stats.merges).toBe(word.length - ids.length); // merges past a cut or redone are not counted
      rejoins += b.stats.rejoins;
      segments += b.stats.segments;
    }), { numRuns: runs(150) });
    expect(segments).toBeGreaterThan(500);
    expect(rejoins).toBeGreaterThan(0); // the boundary check did reject cuts, and the rejoined results still agree
  });

  it('a 1 MB word: the largest merge run is about one segment, not the word; same ids as one whole-word heap', () => {
    const word = randomWord(1 << 20, 'etaoinshrdlu', 11);
    const seg = new ByteLevelBPE(toy.vocab, toy.merges, { cacheSize: 0 });
    const ids = seg.encode(word);
    // before segmenting, the heap, links and symbols of the whole word lived at once (maxRun = 2^20)
    expect(seg.stats.maxRun).toBeLessThanOrEqual(LONG_WORD_SEGMENT * 1.5 + 256);
    expect(seg.stats.segments).toBeGreaterThanOrEqual(14);
    expect(seg.stats.segments).toBeLessThanOrEqual(16);
    const whole = new ByteLevelBPE(toy.vocab, toy.merges, { cacheSize: 0, segmentBytes: Infinity });
    expect(ids).toEqual(whole.encode(word));
    expect(whole.stats.maxRun).toBe(word.length);
  });

  it('segmentBytes below 16 or NaN is a TokenizerError naming the option', () => {
    for (const bad of [0, 15, -1, Number.NaN]) {
      expect(() => new ByteLevelBPE(toy.vocab, toy.merges, { segmentBytes: bad })).toThrow(/segmentBytes must be a number ≥ 16/);
      expect(() => new ByteLevelBPE(toy.vocab, toy.merges, { segmentBytes: bad })).toThrow(TokenizerError);
    }
  });

  it('encode of a long word builds tokens and domains only when read, with the values tokenize gives', () => {
    const tok = InternS1Tokenizer.fromFiles(tinyProFiles());
    const word = randomWord(300_000, 'etaoinshrdlu', 3);
    const enc = tok.encode(word);
    // three arrays as long as the ids were the largest allocation of a 10 MB word
    for (const key of ['tokens', 'domains'] as const) expect(Object.getOwnPropertyDescriptor(enc, key)?.get).toBeTypeOf('function');
    expect(enc.ids.length).toBeGreaterThan(30_000);
    const tokens = tok.tokenize(word);
    expect(enc.tokens).toEqual(tokens);
    expect(enc.tokens).toBe(enc.tokens); // built once
    expect(enc.domains).toEqual(new Array(tokens.length).fill('text'));
    expect(enc.ids).toEqual(tokens.map((t) => tok.tokenToId(t)));
    expect(JSON.parse(JSON.stringify(enc))).toEqual({ ids: enc.ids, tokens, domains: enc.domains });
    enc.tokens = ['x']; // still a writable field
    expect(enc.tokens).toEqual(['x']);
  });

  it('NFC is the identity on every string of code units below U+0300 (the skipped normalisation)', () => {
    // NFC changes a string only through a character that decomposes or composes, and no such
    // character lies below U+0300: every single unit and every pair of units is checked
    for (let a = 0; a < 0x300; a++) {
      const x = String.fromCharCode(a);
      expect(x.normalize('NFC')).toBe(x);
      let row = '';
      for (let b = 0; b < 0x300; b++) row += x + String.fromCharCode(b) + ' ';
      expect(row.normalize('NFC')).toBe(row);
    }
  });

  it('SMILES scan of a word of many short zones allocates scratch per zone, never per zone × text length', () => {
    // 'cccccx' repeated: every 'ccccc' is a ZONE match (≥ 5 units) ending further right each time
    const text = 'cccccx'.repeat(50_000); // 300,000 characters, 50,000 zones
    const before = smilesScanStats.scratchAllocated;
    expect(smilesCandidates(text)).toEqual([]); // chains of 5 units are under the 10-unit minimum
    const allocated = smilesScanStats.scratchAllocated - before;
    // before the fix each zone grew the scratch to its absolute end index: ~ 50,000 × 150,000 entries
    expect(allocated).toBeLessThanOrEqual(2 * 65536 + 2 * text.length);
  });

  it('a long zone gets its own scratch, sized by the zone', () => {
    const text = 'x' + 'C'.repeat(100_000) + 'x';
    const before = smilesScanStats.scratchAllocated;
    expect(smilesCandidates(text)).toEqual([[1, 100_001]]);
    expect(smilesScanStats.scratchAllocated - before).toBeLessThanOrEqual(2 * (100_001 + 1));
  });
});

describePro('one very long word with the real files (issue #12 item 8)', (dir) => {
  it('1 MB of random letters: the merge run stays near one segment; ids == one whole-word heap', () => {
    const tok = InternS1Tokenizer.fromDir(dir);
    const word = randomWord(1_000_000, 'abcdefghijklmnopqrstuvwxyz', 12);
    const enc = tok.encode(word);
    expect(tok.bpe.stats.maxRun).toBeLessThanOrEqual(LONG_WORD_SEGMENT * 1.5 + 256);
    expect(tok.bpe.stats.segments).toBeGreaterThanOrEqual(14);
    const whole = new ByteLevelBPE(new Map(tok.bpe.entries()), tok.bpe.merges(), { cacheSize: 0, segmentBytes: Infinity });
    expect(enc.ids).toEqual(whole.encode(word));
    expect(whole.stats.maxRun).toBe(word.length);
  });
});

describe('added-token ids (issue #12 item 8)', () => {
  const entry = (content: string) => ({ content, special: true, lstrip: false, rstrip: false, single_word: false, normalized: false });

  it('an id of 10^9 is a TokenizerError naming the entry and MAX_TOKEN_ID, in both files', () => {
    expect(() => readAddedTokens({ added_tokens_decoder: { 1000000000: entry('<x>') } }))
      .toThrow(new TokenizerError('tokenizer_config.json: added_tokens_decoder entry "1000000000" has id 1000000000, above the limit 67108863 (MAX_TOKEN_ID)'));
    expect(() => readAddedTokens({}, JSON.stringify({ '<x>': 1e9 }))).toThrow(/added_tokens\.json: "<x>" has id 1000000000, above the limit 67108863 \(MAX_TOKEN_ID\)/);
    expect(() => readAddedTokens({ added_tokens_decoder: { [MAX_TOKEN_ID]: entry('<x>') } })).toThrow(TokenizerError);
  });

  it('a tokenizer whose folder names an id just under MAX_TOKEN_ID loads and decodes it', () => {
    const files = tinyProFiles();
    const cfg = JSON.parse(files.tokenizerConfig);
    cfg.added_tokens_decoder[MAX_TOKEN_ID - 1] = entry('<far>');
    const tok = InternS1Tokenizer.fromFiles({ ...files, tokenizerConfig: JSON.stringify(cfg) });
    expect(tok.size).toBe(MAX_TOKEN_ID);
    expect(tok.encode('a<far>b').ids).toContain(MAX_TOKEN_ID - 1);
    expect(tok.decode([MAX_TOKEN_ID - 1])).toBe('<far>');
  });
});
