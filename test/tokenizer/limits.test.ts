/**
 * Issue #12 item 8: tokenizer time and memory on hostile sizes, checked with work counters and
 * allocation sizes (never timings):
 * - one very long word: the BPE heap does O(n) pushes and its storage stays near n entries (stale
 *   entries are dropped before it grows); the SMILES candidate scan allocates scratch for the zone
 *   it scans, not for the whole text once per zone (which made a 4 MB word quadratic);
 * - an added-token id of 10^9 is refused (MAX_TOKEN_ID) before any table is built; an id just
 *   under the limit loads without walking the whole id range.
 */
import { describe, expect, it } from 'vitest';
import { TokenizerError } from '../../src/errors.js';
import { ByteLevelBPE as RefBPE } from '../../reference/tokenizer/bpe.js';
import { ByteLevelBPE } from '../../src/tokenizer/bpe.js';
import { smilesCandidates } from '../../src/tokenizer/detectors.js';
import { smilesScanStats } from '../../src/tokenizer/scan-stats.js';
import { MAX_TOKEN_ID, readAddedTokens } from '../../src/tokenizer/files.js';
import { InternS1Tokenizer } from '../../src/tokenizer/tokenizer.js';
import { mulberry32 } from '../support/arbitraries.js';
import { TOY_CORPUS, tinyProFiles, trainToyBpe } from './support.js';

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
