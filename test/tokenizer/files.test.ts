/**
 * Reading a tokenizer folder (src/tokenizer/files.ts, tokenizer spec §2): constructed folders in a
 * temp dir (what is read, what is optional, which model files), the added-token rule
 * (`added_tokens_decoder`, else `added_tokens.json`) and the special-token rule
 * (`tokenizer_config.json`, else `special_tokens_map.json`), random well-formed files against
 * what the generator put in them, the real Intern-S1-Pro files, and every malformed or missing
 * file as a TokenizerError naming it (the missing-file test moved here from tokenizer.test.ts).
 * Reading files computes nothing, so it has no reference twin (DESIGN.md): the reference
 * tokenizer imports this module.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenizerError } from '../../src/errors.js';
import * as cfg from '../../src/tokenizer/config.js';
import * as files from '../../src/tokenizer/files.js';
import { readTokenizerDir } from '../../src/tokenizer/read-dir.js';

const fastFiles = { ...files, readTokenizerDir };
import * as fast from '../../src/tokenizer/tokenizer.js';
import { describePro, tinyProFiles, writeTokenizerDir } from './support.js';
import { runs } from '../support/runs.js';

const tiny = tinyProFiles();
const MODEL_FILES = ['tokenizer_SMILES.model', 'tokenizer_PROT.model', 'tokenizer_XNA.model'];

/** Assert that `fn` throws a TokenizerError whose message contains `text` (or matches it). */
function throwsTokenizerError(fn: () => unknown, text: string | RegExp): void {
  expect(fn).toThrow(TokenizerError);
  expect(fn).toThrow(text);
}

describe('readTokenizerDir on constructed folders', () => {
  let tmp: string;
  beforeAll(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'intern-s1-files-'));
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  /** A folder with the tiny Pro files, plus `extra` files, minus `skip`. */
  const folder = (extra: Record<string, string | Uint8Array> = {}, skip: string[] = []): string => {
    const d = mkdtempSync(path.join(tmp, 'd'));
    writeTokenizerDir(d, tiny);
    for (const [f, contents] of Object.entries(extra)) writeFileSync(path.join(d, f), contents);
    for (const f of skip) unlinkSync(path.join(d, f));
    return d;
  };
  const copy = (skip: string[] = []): string => folder({}, skip);

  it('reads the files the flavour needs; the optional files are undefined when absent', () => {
    const d = folder();
    const seen: Record<string, unknown>[] = [];
    const { files, flavour } = fastFiles.readTokenizerDir(d, (c) => (seen.push(c), cfg.proFlavour(c)));
    expect(flavour.name).toBe('intern-s1-pro');
    expect(seen).toEqual([JSON.parse(tiny.tokenizerConfig)]); // flavourOf gets the parsed tokenizer_config.json
    expect([files.vocab, files.merges, files.tokenizerConfig]).toEqual([tiny.vocab, tiny.merges, tiny.tokenizerConfig]);
    expect([files.specialTokensMap, files.addedTokens]).toEqual([undefined, undefined]);
    expect(Object.keys(files.models).sort()).toEqual([...MODEL_FILES].sort());
    for (const f of MODEL_FILES) expect(Buffer.from(files.models[f]).equals(Buffer.from(tiny.models[f])), f).toBe(true);
  });

  it('reads special_tokens_map.json and added_tokens.json when present, and only the model files the flavour names', () => {
    const extra = { 'special_tokens_map.json': '{"pad_token": "<|im_end|>"}', 'added_tokens.json': '{"<|im_start|>": 0}', 'tokenizer_IUPAC.model': 'not read' };
    const d = folder(extra);
    const { files } = fastFiles.readTokenizerDir(d, cfg.proFlavour);
    expect([files.specialTokensMap, files.addedTokens]).toEqual([extra['special_tokens_map.json'], extra['added_tokens.json']]);
    expect(Object.keys(files.models).sort()).toEqual([...MODEL_FILES].sort());
    // an Intern-S1 flavour names other files: tokenizer_IUPAC.model is read, the missing FASTA model is named
    throwsTokenizerError(() => fastFiles.readTokenizerDir(d, () => cfg.s1Flavour()), `${path.join(d, 'tokenizer_FASTA.model')}: file not found`);
  });

  it('missing folder or files', () => {
    expect(() => fast.InternS1Tokenizer.fromDir(path.join(tmp, 'nope'))).toThrow(/tokenizer_config\.json: file not found/);
    expect(() => fast.InternS1Tokenizer.fromDir(copy(['tokenizer_XNA.model']))).toThrow(/tokenizer_XNA\.model: file not found/);
    expect(() => fast.InternS1Tokenizer.fromDir(copy(['merges.txt']))).toThrow(TokenizerError);
  });

  it('each missing, unreadable or malformed file is a TokenizerError naming it', () => {
    const cases: [string, RegExp | string][] = [];
    const add = (d: string, file: string, what: string) => cases.push([d, `${path.join(d, file)}: ${what}`]);
    add(path.join(tmp, 'nope'), 'tokenizer_config.json', 'file not found');
    for (const f of ['vocab.json', 'merges.txt', 'tokenizer_PROT.model']) {
      const d = folder({}, [f]);
      add(d, f, 'file not found');
    }
    let d = folder({ 'tokenizer_config.json': '{"offset_SMILES": 1' });
    add(d, 'tokenizer_config.json', 'not valid JSON');
    d = folder({ 'tokenizer_config.json': '[1, 2]' });
    add(d, 'tokenizer_config.json', 'expected a JSON object');
    for (const f of ['tokenizer_config.json', 'vocab.json', 'added_tokens.json']) { // a folder where a file should be: EISDIR
      d = folder({}, f === 'added_tokens.json' ? [] : [f]);
      mkdirSync(path.join(d, f));
      cases.push([d, new RegExp(`^${path.join(d, f).replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: EISDIR`)]);
    }
    for (const [dir, msg] of cases) throwsTokenizerError(() => fastFiles.readTokenizerDir(dir, cfg.proFlavour), msg);
    // the flavour's own check of tokenizer_config.json comes through unchanged
    const bad = folder({ 'tokenizer_config.json': JSON.stringify({ ...JSON.parse(tiny.tokenizerConfig), offset_XNA: -3 }) });
    throwsTokenizerError(() => fastFiles.readTokenizerDir(bad, cfg.proFlavour), /offset_XNA/);
  });
});

/** An `added_tokens_decoder` entry as the files write it. */
const entry = (content: string, flags: { special?: unknown; lstrip?: boolean; rstrip?: boolean; single_word?: boolean } = {}) => ({ content, normalized: false, ...flags });

describe('readAddedTokens: added_tokens_decoder, else added_tokens.json', () => {
  it('reads added_tokens_decoder sorted by id; a flag is true only when the file says true', () => {
    const config = {
      added_tokens_decoder: {
        12: entry('<b>', { special: true, lstrip: true }),
        3: entry('<a>', { special: false, rstrip: true, single_word: true }),
        7: entry('<c>', { special: 'yes' }),
      },
    };
    const want = [
      { id: 3, content: '<a>', special: false, lstrip: false, rstrip: true, singleWord: true },
      { id: 7, content: '<c>', special: false, lstrip: false, rstrip: false, singleWord: false },
      { id: 12, content: '<b>', special: true, lstrip: true, rstrip: false, singleWord: false },
    ];
    expect(fastFiles.readAddedTokens(config)).toEqual(want);
  });

  it('falls back to added_tokens.json (content → id, no flags); the decoder wins when both exist; neither gives none', () => {
    const json = '{"<x>": 9, "<w>": 4}';
    const fromJson = [
      { id: 4, content: '<w>', special: false, lstrip: false, rstrip: false, singleWord: false },
      { id: 9, content: '<x>', special: false, lstrip: false, rstrip: false, singleWord: false },
    ];
    const decoder = { added_tokens_decoder: { 5: entry('<d>', { special: true }) } };
    expect(fastFiles.readAddedTokens({}, json)).toEqual(fromJson);
    expect(fastFiles.readAddedTokens(decoder, json)).toEqual([{ id: 5, content: '<d>', special: true, lstrip: false, rstrip: false, singleWord: false }]);
    expect(fastFiles.readAddedTokens({ added_tokens_decoder: {} }, json)).toEqual([]);
    expect(fastFiles.readAddedTokens({})).toEqual([]);
  });

  it('random well-formed decoders and added_tokens.json files give back the generated tokens, sorted by id', () => {
    const tokenArb = fc.record({
      id: fc.nat({ max: 200000 }), content: fc.string({ minLength: 1, maxLength: 12 }),
      special: fc.boolean(), lstrip: fc.boolean(), rstrip: fc.boolean(), single_word: fc.option(fc.boolean(), { nil: undefined }),
    });
    fc.assert(fc.property(fc.uniqueArray(tokenArb, { selector: (t) => t.id, maxLength: 20 }), fc.boolean(), (tokens, asJson) => {
      tokens = tokens.map((t) => ({ ...t, content: `${t.content}#${t.id}` })); // unique contents (added_tokens.json is keyed by them)
      const decoder = Object.fromEntries(tokens.map(({ id, ...t }) => [id, t]));
      const json = JSON.stringify(Object.fromEntries(tokens.map((t) => [t.content, t.id])));
      const [config, file] = asJson ? [{}, json] : [{ added_tokens_decoder: decoder }, undefined];
      const want = [...tokens].sort((a, b) => a.id - b.id).map((t) => (asJson
        ? { id: t.id, content: t.content, special: false, lstrip: false, rstrip: false, singleWord: false }
        : { id: t.id, content: t.content, special: t.special, lstrip: t.lstrip, rstrip: t.rstrip, singleWord: t.single_word === true }));
      expect(fastFiles.readAddedTokens(config, file)).toEqual(want);
    }), { numRuns: runs(100) });
  });

  it('a malformed decoder or added_tokens.json is a TokenizerError naming the file', () => {
    const cases: [Record<string, unknown>, string | undefined, RegExp][] = [
      [{ added_tokens_decoder: null }, undefined, /^tokenizer_config\.json: added_tokens_decoder must be an object of id → token$/],
      [{ added_tokens_decoder: [entry('<a>')] }, undefined, /^tokenizer_config\.json: added_tokens_decoder must be an object/],
      [{ added_tokens_decoder: 5 }, undefined, /^tokenizer_config\.json: added_tokens_decoder must be an object/],
      [{ added_tokens_decoder: { x: entry('<a>') } }, undefined, /^tokenizer_config\.json: added_tokens_decoder entry "x" is malformed$/],
      [{ added_tokens_decoder: { '-1': entry('<a>') } }, undefined, /entry "-1" is malformed/],
      [{ added_tokens_decoder: { 1.5: entry('<a>') } }, undefined, /entry "1\.5" is malformed/],
      [{ added_tokens_decoder: { 3: { special: true } } }, undefined, /entry "3" is malformed/],
      [{ added_tokens_decoder: { 3: entry('') } }, undefined, /entry "3" is malformed/],
      [{ added_tokens_decoder: { 3: null } }, undefined, /entry "3" is malformed/],
      [{}, '{"<a>": 1', /^added_tokens\.json: not valid JSON/],
      [{}, '["<a>"]', /^added_tokens\.json: expected a JSON object$/],
      [{}, '{"<a>": 1.5}', /^added_tokens\.json: "<a>" has id 1\.5$/],
      [{}, '{"<a>": "7"}', /^added_tokens\.json: "<a>" has id "7"$/],
      [{}, '{"<a>": -2}', /^added_tokens\.json: "<a>" has id -2$/],
    ];
    for (const [config, file, re] of cases) throwsTokenizerError(() => fastFiles.readAddedTokens(config, file), re);
  });
});

describe('readSpecialTokens: tokenizer_config.json, else special_tokens_map.json', () => {
  const map = JSON.stringify({
    bos_token: { content: '<s>', lstrip: false, normalized: false, rstrip: false, single_word: false },
    eos_token: '</s>', pad_token: { content: '<pad>' }, additional_special_tokens: [{ content: '<m1>' }, '<m2>'],
  });

  it('takes each key from tokenizer_config.json first, from the map when the config lacks it or has null', () => {
    const config = { eos_token: '<|im_end|>', pad_token: null, unk_token: { content: '<unk>', special: true } };
    const want = { bos: '<s>', eos: '<|im_end|>', pad: '<pad>', unk: '<unk>', additional: ['<m1>', '<m2>'] };
    expect(fastFiles.readSpecialTokens(config, map)).toEqual(want);
    const own = { ...config, additional_special_tokens: ['<a>'] };
    expect(fastFiles.readSpecialTokens(own, map).additional).toEqual(['<a>']);
    expect(fastFiles.readSpecialTokens({})).toEqual({ bos: null, eos: null, pad: null, unk: null, additional: [] });
  });

  it('a malformed value is a TokenizerError naming the file it came from', () => {
    const cases: [Record<string, unknown>, string | undefined, RegExp][] = [
      [{ bos_token: 5 }, undefined, /^tokenizer_config\.json: bos_token: expected a string or \{"content": \.\.\.\}, found 5$/],
      [{}, '{"eos_token": {"id": 3}}', /^special_tokens_map\.json: eos_token: expected a string or \{"content": \.\.\.\}, found \{"id":3\}$/],
      [{ additional_special_tokens: '<a>' }, undefined, /^tokenizer_config\.json: additional_special_tokens must be an array$/],
      [{}, '{"additional_special_tokens": {"a": 1}}', /^special_tokens_map\.json: additional_special_tokens must be an array$/],
      [{ additional_special_tokens: ['<a>', 7] }, undefined, /^tokenizer_config\.json: additional_special_tokens\[1\]: expected a string/],
      [{}, '{"pad_token": "<p>"', /^special_tokens_map\.json: not valid JSON/],
      [{}, '"<p>"', /^special_tokens_map\.json: expected a JSON object$/],
    ];
    for (const [config, m, re] of cases) throwsTokenizerError(() => fastFiles.readSpecialTokens(config, m), re);
  });
});

describe('parseJsonFile', () => {
  it('returns a JSON object; anything else is a TokenizerError naming the file', () => {
    expect(fastFiles.parseJsonFile('{"a": [1]}', 'x.json')).toEqual({ a: [1] });
    for (const [text, re] of [['{', /^x\.json: not valid JSON \(/], ['[]', /^x\.json: expected a JSON object$/], ['null', /^x\.json: expected a JSON object$/], ['3', /^x\.json: expected a JSON object$/], ['', /^x\.json: not valid JSON/]] as const) {
      throwsTokenizerError(() => fastFiles.parseJsonFile(text, 'x.json'), re);
    }
  });
});

describePro('the Intern-S1-Pro files (spec §2)', (dir) => {
  const read = (f: string) => readFileSync(path.join(dir, f), 'utf8');

  it('51 added tokens 151643..151693 (31 flagged special), from the decoder or from added_tokens.json alike', () => {
    const config = fastFiles.parseJsonFile(read('tokenizer_config.json'), 'tokenizer_config.json');
    const added = fastFiles.readAddedTokens(config);
    expect(added.map((t) => t.id)).toEqual(Array.from({ length: 51 }, (_, i) => 151643 + i));
    expect(added.filter((t) => t.special)).toHaveLength(31);
    expect(added[0].content).toBe('<|endoftext|>');
    const { added_tokens_decoder: _drop, ...rest } = config;
    const fromJson = fastFiles.readAddedTokens(rest, read('added_tokens.json'));
    expect(fromJson.map((t) => [t.id, t.content])).toEqual(added.map((t) => [t.id, t.content]));
  });

  it('bos <|im_start|>, eos <|im_end|>, pad <|endoftext|>, no unk, 13 additional; the map alone (AddedToken objects) agrees', () => {
    const config = fastFiles.parseJsonFile(read('tokenizer_config.json'), 'tokenizer_config.json');
    const s = fastFiles.readSpecialTokens(config, read('special_tokens_map.json'));
    expect([s.bos, s.eos, s.pad, s.unk]).toEqual(['<|im_start|>', '<|im_end|>', '<|endoftext|>', null]);
    expect(s.additional).toHaveLength(13);
    expect(s.additional.slice(0, 2)).toEqual(['<|im_start|>', '<|im_end|>']);
    const bare = Object.fromEntries(Object.entries(config).filter(([k]) => !/_token$|^additional_special_tokens$/.test(k)));
    expect(fastFiles.readSpecialTokens(bare, read('special_tokens_map.json'))).toEqual(s);
  });

  it('readTokenizerDir reads the Pro folder as the Pro flavour', () => {
    const a = fastFiles.readTokenizerDir(dir, cfg.detectFlavour);
    expect(a.flavour.name).toBe('intern-s1-pro');
    expect(a.files.vocab).toBe(read('vocab.json'));
    expect(a.files.merges).toBe(read('merges.txt'));
    expect(Object.keys(a.files.models).sort()).toEqual([...MODEL_FILES].sort());
  });
});
