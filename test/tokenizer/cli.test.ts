/**
 * `intern-s1 tokenize` and `intern-s1 detokenize`: in process through `main()` and spawned as a
 * real process (stdin, stdout, exit codes, one-line errors), on a constructed tokenizer folder and,
 * when available, on the real Intern-S1-Pro files.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describePro, tinyProFiles, writeTokenizerDir } from './support.js';
import { runCli, spawnCli as spawnCliProcess } from '../support/cli.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'cli-tok-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const tiny = path.join(tmp, 'tiny');
writeTokenizerDir(tiny, tinyProFiles());



const cli = (args: string[], stdin = '', tty = false) => runCli(args, { stdin, tty });
const spawnCli = (args: string[], input: string) => spawnCliProcess(args, { input });

describe('tokenize / detokenize on a constructed folder', () => {
  it('tokenize --json prints one {ids, tokens, domains} object; detokenize inverts it', async () => {
    const text = 'The fox <protein>MKTAYI</protein> and CC(=O)OC1=CC=CC=C1C(=O)O.';
    const r = await cli(['tokenize', tiny, text, '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(Object.keys(j)).toEqual(['ids', 'tokens', 'domains']);
    expect(j.ids.length).toBe(j.tokens.length);
    expect(j.domains).toContain('PROT');
    expect(j.domains).toContain('SMILES');
    const back = await cli(['detokenize', tiny], JSON.stringify(j.ids));
    expect(back).toEqual({ code: 0, out: text, err: '' });
    expect((await cli(['detokenize', tiny], r.out)).out).toBe(text); // the whole --json object works too
  });

  it('reads standard input when no TEXT is given; lines show domain and markers; colour only on a terminal', async () => {
    const plain = await cli(['tokenize', tiny], 'x CC(=O)OC1=CC=CC=C1C(=O)O');
    expect(plain.code).toBe(0);
    expect(plain.out).toMatch(/marker\s+"<SMILES_AUTO_DETECT>"/);
    expect(plain.out).toMatch(/SMILES /);
    expect(plain.out).toMatch(/\d+ tokens: text \d+, SMILES \d+\n$/);
    expect(plain.out).not.toMatch(/\x1b\[/);
    const tty = await cli(['tokenize', tiny, 'x CC(=O)OC1=CC=CC=C1C(=O)O'], '', true);
    expect(tty.out).toMatch(/\x1b\[32m/); // SMILES in green
  });

  it('errors are one line with a non-zero exit code', async () => {
    expect(await cli(['tokenize'])).toMatchObject({ code: 2 });
    const missing = await cli(['tokenize', path.join(tmp, 'none'), 'x']);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/^intern-s1: .*tokenizer_config\.json: file not found\n$/);
    const badIds = await cli(['detokenize', tiny], '[1, "x"]');
    expect(badIds).toMatchObject({ code: 1, err: 'intern-s1: detokenize: element 1 is "x", expected a non-negative integer id\n' });
    expect((await cli(['detokenize', tiny], '[99999999]')).err).toMatch(/^intern-s1: decode: id 99999999 at position 0 is not in the vocabulary\n$/);
    expect((await cli(['detokenize', tiny], 'nope')).err).toMatch(/^intern-s1: detokenize: the input is not JSON/);
    expect((await cli(['tokenize', tiny, 'x', '--flavour', 'q'])).code).toBe(2);
  });

  it('works as a spawned process with piped standard input', () => {
    const r = spawnCli(['tokenize', tiny, '--json'], 'naïve <dna>ATGC</dna>');
    expect(r.code).toBe(0);
    const ids = JSON.parse(r.out).ids as number[];
    const d = spawnCli(['detokenize', tiny], JSON.stringify(ids));
    expect(d).toMatchObject({ code: 0, out: 'naïve <dna>ATGC</dna>' });
    const e = spawnCli(['detokenize', tiny], '{');
    expect(e.code).toBe(1);
    expect(e.err.trim().split('\n')).toHaveLength(1);
  });
});

describePro('tokenize / detokenize with the Intern-S1-Pro files', (dir) => {
  it('reproduces a spec golden and skips registered specials on request', async () => {
    const r = await cli(['tokenize', dir, '<protein>MKT AYI</protein>', '--json']);
    expect(JSON.parse(r.out)).toEqual({
      ids: [151688, 153734, 152825, 220, 152799, 153726, 151689],
      tokens: ['<protein>', 'M', 'KT', 'Ġ', 'AY', 'I', '</protein>'],
      domains: ['added', 'PROT', 'PROT', 'text', 'PROT', 'PROT', 'added'],
    });
    expect((await cli(['detokenize', dir, '--skip-special-tokens'], '[151644, 9707, 151645]')).out).toBe('Hello');
  });
});
