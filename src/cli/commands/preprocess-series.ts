/**
 * `intern-s1 preprocess-series`: read a time series from `.csv` or `.npy`, run the Intern-S1-Pro
 * time-series processor (spec 7.1: per-channel z-score, truncation, the float64 stride of 7.5) and
 * write the encoder input (`signal`, `sampling_rate`) to a safetensors file; print T, C, the
 * stride, the patch size and the number of `<TS_CONTEXT>` tokens.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { InternS1Error, ShapeError, ValueError } from '../../errors.js';
import { checkOutputPath, refuseSpecialFile } from '../../io/fs-safe.js';
import { writeSafetensors } from '../../io/safetensors-write.js';
import { defaultSamplingRate } from '../../models/time-series/plan.js';
import { TS_LMDEPLOY_MAX_SAMPLES, preprocessValues } from '../../models/time-series/processor.js';
import { type Command, UsageError, println } from '../command.js';
import { choiceFlag, intFlag, numberFlag } from '../flags.js';

/** A signal read from a file: `data [T, C]` row-major. */
export interface SeriesFile {
  readonly data: Float64Array;
  readonly T: number;
  readonly C: number;
  /** Column names from a CSV header, else null. */
  readonly columns: string[] | null;
  /** What the file held, for the summary (`csv`, `npy <f4`, ...). */
  readonly format: string;
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const SPECIAL: Record<string, number> = { nan: NaN, inf: Infinity, '+inf': Infinity, '-inf': -Infinity, infinity: Infinity, '+infinity': Infinity, '-infinity': -Infinity };

/** A CSV field as a number (NaN / Inf spellings included, so the processor can name them), or undefined. */
function csvNumber(field: string): number | undefined {
  if (NUMBER.test(field)) return Number(field);
  return SPECIAL[field.toLowerCase()];
}

/**
 * Parse CSV text: one column per channel, one row per sample, comma- (or tab-, or semicolon-)
 * separated; an optional header row; blank lines and lines starting with `#` are skipped.
 *
 * The first row is a header when none of its fields is a number and at least one holds a letter
 * (`time,value`, `ch1,ch2`). Decision (issue #12 item 13): a row with a number in it is data, so
 * `1,,2` or `1_000,2` is reported as a bad field of line 1 instead of being dropped as a header.
 *
 * @throws ShapeError for rows of different lengths or no data rows; ValueError for an empty or
 *   non-numeric field (naming line and column).
 */
export function parseCsvSeries(text: string, file = '<csv>'): SeriesFile {
  const lines = text.split(/\r?\n/).map((l, i) => ({ l: l.trim(), n: i + 1 })).filter(({ l }) => l !== '' && !l.startsWith('#'));
  if (!lines.length) throw new ShapeError(`${file}: no data rows`);
  const sep = lines[0].l.includes(',') ? ',' : lines[0].l.includes('\t') ? '\t' : lines[0].l.includes(';') ? ';' : ',';
  const split = (l: string) => l.split(sep).map((f) => f.trim());
  const first = split(lines[0].l);
  const header = first.every((f) => csvNumber(f) === undefined) && first.some((f) => /\p{L}/u.test(f)) ? first : null;
  const rows = header ? lines.slice(1) : lines;
  if (!rows.length) throw new ShapeError(`${file}: a header row but no data rows`);
  const C = header ? header.length : first.length;
  const data = new Float64Array(rows.length * C);
  rows.forEach(({ l, n }, t) => {
    const fields = split(l);
    if (fields.length !== C) throw new ShapeError(`${file}: line ${n} has ${fields.length} column(s), expected ${C}`);
    fields.forEach((f, c) => {
      const v = csvNumber(f);
      if (v === undefined) throw new ValueError(`${file}: line ${n}, column ${c + 1}: ${f === '' ? 'empty field' : `'${f}' is not a number`}`);
      data[t * C + c] = v;
    });
  });
  return { data, T: rows.length, C, columns: header, format: `csv (${sep === '\t' ? 'tab' : `'${sep}'`}-separated${header ? ', header' : ''})` };
}

/**
 * Parse a `.npy` file (format versions 1–3): little-endian float32 (`<f4`) or float64 (`<f8`),
 * C order, shape `(T,)` or `(T, C)`.
 *
 * @throws ValueError for a bad magic, an unsupported dtype (big-endian, integer, complex...),
 *   Fortran order, a shape that is not 1-D or 2-D, or a file shorter than its header says.
 */
export function parseNpy(bytes: Uint8Array, file = '<npy>'): SeriesFile {
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
  if (bytes.length < 10 || magic.some((b, i) => bytes[i] !== b)) throw new ValueError(`${file}: not a .npy file (bad magic)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = bytes[6];
  if (major < 1 || major > 3) throw new ValueError(`${file}: unsupported .npy format version ${major}.${bytes[7]}`);
  if (bytes.length < (major === 1 ? 10 : 12)) throw new ValueError(`${file}: truncated header (${bytes.length} bytes, a version ${major} header length field ends at byte ${major === 1 ? 10 : 12})`);
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = (major === 1 ? 10 : 12) + headerLen;
  if (start > bytes.length) throw new ValueError(`${file}: truncated header (${bytes.length} bytes, header needs ${start})`);
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(major === 1 ? 10 : 12, start));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) throw new ValueError(`${file}: malformed .npy header ${JSON.stringify(header.trim())}`);
  const item = descr === '<f4' ? 4 : descr === '<f8' ? 8 : 0;
  if (!item) {
    const hint = /^>f[48]$/.test(descr) ? ' (big-endian: convert with arr.astype("<f8"))' : '';
    throw new ValueError(`${file}: dtype '${descr}' is not supported; use little-endian float32 '<f4' or float64 '<f8'${hint}`);
  }
  if (fortran === 'True') throw new ValueError(`${file}: Fortran-ordered arrays are not supported; save np.ascontiguousarray(arr)`);
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number);
  if (shape.length < 1 || shape.length > 2 || shape.some((d) => !Number.isSafeInteger(d) || d < 0)) {
    throw new ValueError(`${file}: shape (${shapeText}) must be (T,) or (T, C)`);
  }
  const [T, C] = [shape[0], shape.length === 2 ? shape[1] : 1];
  const need = T * C * item;
  if (bytes.length - start < need) throw new ValueError(`${file}: truncated data: shape (${shape.join(', ')}) ${descr} needs ${need} bytes, the file has ${bytes.length - start}`);
  const data = new Float64Array(T * C);
  for (let i = 0; i < T * C; i++) data[i] = item === 4 ? view.getFloat32(start + 4 * i, true) : view.getFloat64(start + 8 * i, true);
  return { data, T, C, columns: null, format: `npy ${descr}` };
}

/** Read a `.csv` or `.npy` file by its extension. */
export function readSeriesFile(file: string): SeriesFile {
  const ext = path.extname(file).toLowerCase();
  if (!['.npy', '.csv', '.tsv', '.txt'].includes(ext)) throw new UsageError(`preprocess-series reads .csv (or .tsv/.txt) and .npy files, got '${file}'`);
  let bytes: Buffer;
  refuseSpecialFile(file, 'series file'); // a FIFO would block readFileSync forever
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new InternS1Error(`cannot read '${file}': ${(e as Error).message}`);
  }
  if (ext === '.npy') return parseNpy(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), file);
  return parseCsvSeries(bytes.toString('utf8'), file);
}

/** `intern-s1 preprocess-series`. */
export const preprocessSeries: Command = {
  name: 'preprocess-series',
  summary: 'z-score and plan a time series (.csv/.npy) into signal + sampling_rate safetensors (Intern-S1-Pro)',
  help: `Usage: intern-s1 preprocess-series <file.csv|file.npy> --rate HZ --output <series.safetensors> [options]

Runs the Intern-S1-Pro time-series processor (spec 7.1): each channel is z-scored over the whole
input, (x - mean) / (population std + 1e-8) (a constant channel becomes zeros), the first
--max-samples samples are kept, and the adaptive stride s = floor(160 / (1 + e^(-sr/100))^6) is
computed once in float64 (spec 7.5). Writes the encoder input, the 'time_series' component's inputs:

  signal         F32 [T, C]  the normalised signal
  sampling_rate  F64 []      the rate in Hz

and prints T, C, the stride s, the patch size 2s and the number of <TS_CONTEXT> tokens the prompt
needs, N = (floor(L1/2) + 1) div 2 with L1 = ceil((T - 2s)/s) + 1 patches.

Input files:
  .csv  one column per channel, one row per sample; comma-, tab- or semicolon-separated; an
        optional header row; blank lines and '#' comments skipped
  .npy  little-endian float32 or float64, shape (T,) or (T, C), C order

Options:
  --rate HZ            sampling rate in Hz (required); 'auto' uses lmdeploy's default max(T/4, 1)
  --max-samples N      keep at most N samples per channel (default ${TS_LMDEPLOY_MAX_SAMPLES}, lmdeploy's;
                       up to 1000000)
  --overflow MODE      truncate (default) or error when the file has more samples
  --short MODE         pad (default: a signal shorter than one patch gets one token) or error
  --json               print the summary as JSON

Examples:
  intern-s1 preprocess-series ecg.csv --rate 500 --output ecg.safetensors
  intern-s1 preprocess-series quakes.npy --rate 100 --max-samples 1000000 -o quakes.safetensors`,
  async run(argv, io) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        rate: { type: 'string' }, output: { type: 'string', short: 'o' }, 'max-samples': { type: 'string' },
        overflow: { type: 'string' }, short: { type: 'string' }, json: { type: 'boolean' },
      },
    });
    if (positionals.length !== 1) throw new UsageError('preprocess-series needs exactly one .csv or .npy file (see --help)');
    if (!values.output) throw new UsageError('preprocess-series needs --output <file.safetensors>');
    if (values.rate === undefined) throw new UsageError("preprocess-series needs --rate HZ (or --rate auto for lmdeploy's default max(T/4, 1))");
    const rate = values.rate === 'auto' ? 'auto' : numberFlag('rate', values.rate, { positive: true, unit: "Hz (or 'auto')" })!;
    const overflow = choiceFlag('overflow', values.overflow, ['truncate', 'error']) ?? 'truncate';
    const shortSignal = choiceFlag('short', values.short, ['pad', 'error']) ?? 'pad';
    const maxSamples = intFlag('max-samples', values['max-samples'], { min: 1 }) ?? TS_LMDEPLOY_MAX_SAMPLES;

    const guard = { what: '--output', inputs: [positionals[0]] };
    checkOutputPath(values.output, guard); // before reading: not a folder, not the input (issue #12 items 4, 10)
    const file = readSeriesFile(positionals[0]);
    if (file.T < 1 || file.C < 1) throw new ShapeError(`${positionals[0]}: the signal is empty (${file.T} samples x ${file.C} channels)`);
    const sr = rate === 'auto' ? defaultSamplingRate(Math.min(file.T, maxSamples)) : rate;
    const pre = preprocessValues(file.data, file.T, file.C, sr, { maxSamples, overflow, shortSignal });
    const { plan } = pre;
    writeSafetensors(values.output, {
      signal: { dtype: 'F32', shape: [plan.numSamples, file.C], data: pre.values },
      sampling_rate: { dtype: 'F64', shape: [], data: [sr] },
    }, {
      format: 'pt', source: path.basename(positionals[0]), stride: String(plan.stride), patch_size: String(plan.patchSize),
      num_tokens: String(plan.numTokens), original_length: String(file.T), truncated: String(pre.truncated),
    }, guard);
    const summary = {
      input: positionals[0], format: file.format, T: plan.numSamples, C: file.C, originalLength: file.T, truncated: pre.truncated,
      samplingRate: sr, stride: plan.stride, patchSize: plan.patchSize, patches: plan.numPatches, tokens: plan.numTokens,
      constantChannels: pre.constantChannels, columns: file.columns, output: values.output,
    };
    if (values.json) {
      println(io.stdout, JSON.stringify(summary, null, 2));
      return 0;
    }
    println(io.stdout, `${positionals[0]} (${file.format}): T = ${plan.numSamples}, C = ${file.C}${pre.truncated ? ` (truncated from ${file.T} samples)` : ''}`);
    println(io.stdout, `sampling rate ${sr} Hz${rate === 'auto' ? " (auto: lmdeploy's max(T/4, 1))" : ''}: stride ${plan.stride}, patch size ${plan.patchSize}, ${plan.numPatches} patches${plan.shortSignalPadded ? ' (short signal zero-padded to two patches)' : ''}`);
    println(io.stdout, `${plan.numTokens} <TS_CONTEXT> token${plan.numTokens === 1 ? '' : 's'}`);
    if (pre.constantChannels.length) println(io.stdout, `constant channel(s) ${pre.constantChannels.join(', ')} normalised to zeros`);
    println(io.stdout, `wrote signal [${plan.numSamples}, ${file.C}] and sampling_rate to ${values.output}`);
    return 0;
  },
};
