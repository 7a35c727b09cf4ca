/**
 * The byte-level alphabet of GPT-2 / Qwen BPE (tokenizer spec §1.3) and UTF-8 decoding with
 * Python's `errors="replace"` semantics (§1.8).
 *
 * Every byte 0..255 is given a printable stand-in character so that a BPE vocabulary can be
 * written as text: the 188 "printable" bytes 0x21–0x7E, 0xA1–0xAC, 0xAE–0xFF keep their own code
 * point, the other 68 take U+0100, U+0101, … in increasing byte order (space 0x20 → `Ġ`,
 * newline 0x0A → `Ċ`).
 *
 * @module
 */
import { TokenizerError } from '../errors.js';

function buildByteTable(): string[] {
  const table: string[] = new Array(256);
  let next = 0;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
    table[b] = String.fromCharCode(printable ? b : 0x100 + next++);
  }
  return table;
}

const BYTE_TABLE: readonly string[] = Object.freeze(buildByteTable());
/** Inverse table indexed by UTF-16 code unit (all stand-ins are below U+0144). */
const UNICODE_TABLE: Int16Array = (() => {
  const inv = new Int16Array(0x144).fill(-1);
  BYTE_TABLE.forEach((c, b) => (inv[c.charCodeAt(0)] = b));
  return inv;
})();

/**
 * The byte → character table of byte-level BPE (spec §1.3): `bytesToUnicode()[0x20] === 'Ġ'`.
 *
 * @example
 * ```ts
 * import { bytesToUnicode } from 'intern-s1-ts/internals';
 * bytesToUnicode()[0x0a]; // => 'Ċ'
 * ```
 */
export function bytesToUnicode(): string[] {
  return BYTE_TABLE.slice();
}

/**
 * The inverse of {@link bytesToUnicode}: stand-in character → byte.
 *
 * @example
 * ```ts
 * import { unicodeToBytes } from 'intern-s1-ts/internals';
 * unicodeToBytes().get('Ġ'); // => 32
 * ```
 */
export function unicodeToBytes(): Map<string, number> {
  return new Map(BYTE_TABLE.map((c, b) => [c, b] as [string, number]));
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

/**
 * Encode `text` as UTF-8 and map every byte to its stand-in character (spec §1.3 step 3).
 * Lone surrogates are encoded as U+FFFD, as `TextEncoder` does (Python would raise; a JS string is
 * the only place they can come from).
 *
 * @example
 * ```ts
 * import { byteLevelEncode } from 'intern-s1-ts/internals';
 * byteLevelEncode(' é'); // => 'ĠÃ©'
 * ```
 */
export function byteLevelEncode(text: string): string {
  let ascii = true;
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) >= 0x80) {
      ascii = false;
      break;
    }
  }
  let out = '';
  if (ascii) {
    for (let i = 0; i < text.length; i++) out += BYTE_TABLE[text.charCodeAt(i)];
    return out;
  }
  const bytes = encoder.encode(text);
  for (let i = 0; i < bytes.length; i++) out += BYTE_TABLE[bytes[i]];
  return out;
}

/**
 * Decode UTF-8 with Python's `errors="replace"`: one U+FFFD per maximal invalid subsequence
 * (the WHATWG decoder, which `TextDecoder` implements, follows the same rule).
 *
 * @example
 * ```ts
 * import { utf8DecodeReplace } from 'intern-s1-ts/internals';
 * utf8DecodeReplace(new Uint8Array([0x61, 0xc3])); // => 'a\uFFFD'
 * ```
 */
export function utf8DecodeReplace(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

/**
 * Map stand-in characters back to bytes and decode them as UTF-8 with replacement (spec §1.8,
 * `convert_tokens_to_string`): first `▁` → `Ġ` and `\n` → `Ċ`, then the inverse byte table.
 * A character outside the byte alphabet is an error, as in the Python (which raises KeyError).
 *
 * @example
 * ```ts
 * import { byteLevelDecode } from 'intern-s1-ts/internals';
 * byteLevelDecode('HelloĠworld'); // => 'Hello world'
 * ```
 */
export function byteLevelDecode(text: string): string {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if (c === 0x2581) c = 0x120; // '▁' → 'Ġ'
    else if (c === 0x0a) c = 0x10a; // '\n' → 'Ċ'
    const b = c < 0x144 ? UNICODE_TABLE[c] : -1;
    if (b < 0) {
      throw new TokenizerError(
        `decode: character U+${c.toString(16).toUpperCase().padStart(4, '0')} at position ${i} of a token string is not in the byte-level alphabet`,
      );
    }
    bytes[i] = b;
  }
  return decoder.decode(bytes);
}
