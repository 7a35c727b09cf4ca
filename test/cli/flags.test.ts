/**
 * The one flag parser of the `intern-s1` commands (`src/cli/flags.ts`): strict integers, numbers
 * and choices, and, through `main()`, that every command turns a bad value into a usage error
 * (exit code 2, one line naming the flag and the value) before it reads a file or loads a model.
 */
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/cli/command.js';
import { backendFlag, choiceFlag, intFlag, numberFlag } from '../../src/cli/flags.js';
import { runCli } from '../support/cli.js';

describe('intFlag', () => {
  it('absent is undefined; decimal integers within the bounds are read', () => {
    expect(intFlag('n', undefined, { min: 1 })).toBeUndefined();
    expect(intFlag('n', '12', { min: 1 })).toBe(12);
    expect(intFlag('n', '0', { min: 0 })).toBe(0);
    expect(intFlag('n', '-3')).toBe(-3);
    expect(intFlag('n', '+7', { min: 1, max: 7 })).toBe(7);
  });
  it.each([
    ['abc', { min: 1 }, "--n must be a positive integer, got 'abc'"],
    ['0', { min: 1 }, "--n must be a positive integer, got '0'"],
    ['-1', { min: 0 }, "--n must be a non-negative integer, got '-1'"],
    ['15', { min: 16 }, "--n must be an integer >= 16, got '15'"],
    ['11', { min: 1, max: 10 }, "--n must be an integer from 1 to 10, got '11'"],
    ['1.5', {}, "--n must be an integer, got '1.5'"],
    ['', { min: 1 }, "--n must be a positive integer, got ''"],
    [' 3', { min: 1 }, "--n must be a positive integer, got ' 3'"],
    ['0x10', { min: 1 }, "--n must be a positive integer, got '0x10'"],
    ['1e3', { min: 1 }, "--n must be a positive integer, got '1e3'"],
    ['99999999999999999999', {}, "--n must be an integer, got '99999999999999999999'"],
  ] as const)('%j with %j is a UsageError', (v, bounds, message) => {
    expect(() => intFlag('n', v, bounds)).toThrow(UsageError);
    expect(() => intFlag('n', v, bounds)).toThrow(message);
  });
});

describe('numberFlag', () => {
  it('reads finite decimal numbers within the bounds', () => {
    expect(numberFlag('x', undefined)).toBeUndefined();
    expect(numberFlag('x', '0.5', { positive: true, max: 1 })).toBe(0.5);
    expect(numberFlag('x', '1e2', { positive: true })).toBe(100);
    expect(numberFlag('x', '.25')).toBe(0.25);
    expect(numberFlag('x', '0', { min: 0 })).toBe(0);
  });
  it.each([
    ['fast', { positive: true, unit: 'Hz' }, "--x must be a positive number of Hz, got 'fast'"],
    ['0', { positive: true }, "--x must be a positive number, got '0'"],
    ['1.5', { positive: true, max: 1 }, "--x must be a number in (0, 1], got '1.5'"],
    ['-0.1', { min: 0 }, "--x must be a number >= 0, got '-0.1'"],
    ['Infinity', {}, "--x must be a number, got 'Infinity'"],
    ['NaN', {}, "--x must be a number, got 'NaN'"],
    ['1e999', {}, "--x must be a number, got '1e999'"],
    ['0x1', {}, "--x must be a number, got '0x1'"],
  ] as const)('%j with %j is a UsageError', (v, opts, message) => {
    expect(() => numberFlag('x', v, opts)).toThrow(UsageError);
    expect(() => numberFlag('x', v, opts)).toThrow(message);
  });
});

describe('choiceFlag and backendFlag', () => {
  it('accept the listed values only, naming them', () => {
    expect(choiceFlag('m', undefined, ['a', 'b'])).toBeUndefined();
    expect(choiceFlag('m', 'b', ['a', 'b'])).toBe('b');
    expect(() => choiceFlag('m', 'c', ['a', 'b'])).toThrow("--m must be one of a, b, got 'c'");
    expect(() => choiceFlag('m', 'A', ['a', 'b'])).toThrow(UsageError);
  });
  it('--backend takes the tfjs backends; reference is an implementation and the message says where it went', () => {
    expect(backendFlag('wasm')).toBe('wasm');
    expect(backendFlag(undefined)).toBeUndefined();
    expect(() => backendFlag('gpu')).toThrow("--backend must be one of tensorflow, wasm, cpu, got 'gpu'");
    expect(() => backendFlag('reference')).toThrow(/got 'reference' \(the float64 reference implementation is 'intern-s1 run --impl reference'\)/);
  });
});

describe('every command: a bad flag value is a usage error (exit 2, one line naming flag and value)', () => {
  const x = '/nonexistent-intern-s1-dir';
  const cases: [string[], RegExp][] = [
    [['generate', x, '--prompt', 'p', '--max-tiles', 'abc'], /--max-tiles must be a positive integer, got 'abc'/],
    [['generate', x, '--prompt', 'p', '--max-tiles', '0'], /--max-tiles must be a positive integer, got '0'/],
    [['generate', x, '--prompt', 'p', '--max-new-tokens', '2.5'], /--max-new-tokens must be a positive integer, got '2\.5'/],
    [['generate', x, '--prompt', 'p', '--series', 's.csv', '--rate=-4'], /--rate must be a positive number of Hz, got '-4'/],
    [['generate', x, '--prompt', 'p', '--temperature', 'hot'], /--temperature must be a number >= 0, got 'hot'/],
    [['generate', x, '--prompt', 'p', '--top-k=-1'], /--top-k must be a non-negative integer, got '-1'/],
    [['generate', x, '--prompt', 'p', '--top-p', '0'], /--top-p must be a number in \(0, 1\], got '0'/],
    [['generate', x, '--prompt', 'p', '--seed', 'x1'], /--seed must be an integer, got 'x1'/],
    [['generate', x, '--prompt', 'p', '--backend', 'reference'], /--backend must be one of tensorflow, wasm, cpu, got 'reference'/],
    [['demo', '--variant', 'huge'], /--variant must be one of pro, s1, mini, got 'huge'/],
    [['demo', '--max-new-tokens', '0'], /--max-new-tokens must be a positive integer, got '0'/],
    [['demo', '--backend', 'gpu'], /--backend must be one of tensorflow, wasm, cpu, got 'gpu'/],
    [['info', '--backend', 'webgl'], /--backend must be one of tensorflow, wasm, cpu, got 'webgl'/],
    [['init-tiny', x, '--variant', 'pro', '--seed=-1'], /--seed must be a non-negative integer, got '-1'/],
    [['init-tiny', x, '--variant', 'pro', '--vocab-size', '8'], /--vocab-size must be an integer >= 16, got '8'/],
    [['init-tiny', x, '--variant', 'pro', '--shards', 'two'], /--shards must be a positive integer, got 'two'/],
    [['init-tiny', x, '--variant', 'big'], /--variant must be one of s1, mini, pro, got 'big'/],
    [['inspect', x, '--groups', 'all'], /--groups must be a non-negative integer, got 'all'/],
    [['preprocess-image', 'a.png', '-o', 'o.safetensors', '--max-tiles', '0'], /--max-tiles must be a positive integer, got '0'/],
    [['preprocess-image', 'a.png', '-o', 'o.safetensors', '--tile-size', '44.8'], /--tile-size must be a positive integer, got '44\.8'/],
    [['preprocess-image', 'a.png', '-o', 'o.safetensors', '--variant', 'pro', '--max-pixels', 'lots'], /--max-pixels must be a positive integer, got 'lots'/],
    [['preprocess-image', 'a.png', '-o', 'o.safetensors', '--method', 'lanczos'], /--method must be one of pil, torch, got 'lanczos'/],
    [['preprocess-series', 'a.csv', '-o', 'o.safetensors', '--rate', '0x10'], /--rate must be a positive number of Hz \(or 'auto'\), got '0x10'/],
    [['preprocess-series', 'a.csv', '-o', 'o.safetensors', '--rate', '5', '--max-samples', '0'], /--max-samples must be a positive integer, got '0'/],
    [['preprocess-series', 'a.csv', '-o', 'o.safetensors', '--rate', '5', '--overflow', 'wrap'], /--overflow must be one of truncate, error, got 'wrap'/],
    [['tokenize', x, 'text', '--flavour', 'q'], /--flavour must be one of pro, s1, got 'q'/],
    [['detokenize', x, '[1]', '--flavour', 'q'], /--flavour must be one of pro, s1, got 'q'/],
    [['run', x, '--component', 'text.embed', '--inputs', 'i', '--output', 'o', '--impl', 'slow'], /--impl must be one of fast, reference, got 'slow'/],
    [['run', x, '--component', 'text.embed', '--inputs', 'i', '--output', 'o', '--backend', 'reference'], /--impl reference/],
    [['run', x, '--component', 'text.embed', '--inputs', 'i', '--output', 'o', '--impl', 'reference', '--backend', 'cpu'], /--backend selects the tfjs backend of --impl fast/],
  ];
  it.each(cases)('%j', async (args, message) => {
    const r = await runCli(args);
    expect(r.err).toMatch(message);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.code).toBe(2);
  });
  it('the flags demo no longer has are unknown options (one way: init-tiny --demo-tokenizer, generate)', async () => {
    for (const flag of ['--save', '--checkpoint']) {
      const r = await runCli(['demo', flag, '/tmp/x']);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(new RegExp(`Unknown option '${flag}'`));
    }
  });
});
