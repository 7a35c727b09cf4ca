/**
 * Reference byte-level alphabet and UTF-8 codec (tokenizer spec §1.3, §1.8), written out by hand
 * so that the fast path's `TextEncoder` / `TextDecoder` are checked against an independent
 * implementation of the same rules.
 *
 * @module
 */

/** The byte → character table of byte-level BPE: printable bytes keep their code point, the other 68 take U+0100.. in order. */
export function bytesToUnicode(): string[] {
  const table: string[] = [];
  let next = 0;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
    if (printable) {
      table.push(String.fromCharCode(b));
    } else {
      table.push(String.fromCharCode(0x100 + next));
      next += 1;
    }
  }
  return table;
}

/** The inverse table: stand-in character → byte. */
export function unicodeToBytes(): Map<string, number> {
  const inverse = new Map<string, number>();
  bytesToUnicode().forEach((c, b) => inverse.set(c, b));
  return inverse;
}

/** UTF-8 bytes of one code point (lone surrogates become U+FFFD, as TextEncoder does). */
function utf8Bytes(cp: number): number[] {
  if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd;
  if (cp < 0x80) return [cp];
  if (cp < 0x800) return [0xc0 | (cp >> 6), 0x80 | (cp & 63)];
  if (cp < 0x10000) return [0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63)];
  return [0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 63), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63)];
}

/** UTF-8 encode `text`, then map each byte to its stand-in character. */
export function byteLevelEncode(text: string): string {
  const table = bytesToUnicode();
  let out = '';
  for (const ch of text) {
    for (const b of utf8Bytes(ch.codePointAt(0)!)) out += table[b];
  }
  return out;
}

/**
 * UTF-8 decode with replacement, following "maximal subpart" practice (Unicode §3.9, the rule of
 * Python's `errors="replace"` and of WHATWG): at each position, read the longest prefix of a valid
 * sequence; if it is complete, emit the code point; otherwise emit one U+FFFD for that prefix (at
 * least one byte) and continue after it.
 */
export function utf8DecodeReplace(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const b0 = bytes[i];
    let need: number; // continuation bytes needed
    let lo = 0x80; // allowed range of the first continuation byte
    let hi = 0xbf;
    let cp: number;
    if (b0 < 0x80) {
      out += String.fromCharCode(b0);
      i += 1;
      continue;
    } else if (b0 >= 0xc2 && b0 <= 0xdf) {
      need = 1;
      cp = b0 & 0x1f;
    } else if (b0 >= 0xe0 && b0 <= 0xef) {
      need = 2;
      cp = b0 & 0x0f;
      if (b0 === 0xe0) lo = 0xa0; // no overlong forms
      if (b0 === 0xed) hi = 0x9f; // no surrogates
    } else if (b0 >= 0xf0 && b0 <= 0xf4) {
      need = 3;
      cp = b0 & 0x07;
      if (b0 === 0xf0) lo = 0x90; // no overlong forms
      if (b0 === 0xf4) hi = 0x8f; // nothing above U+10FFFF
    } else {
      out += '\uFFFD'; // a continuation byte or an impossible lead byte
      i += 1;
      continue;
    }
    let j = i + 1;
    let ok = true;
    for (let k = 0; k < need; k++, j++) {
      const b = bytes[j];
      const min = k === 0 ? lo : 0x80;
      const max = k === 0 ? hi : 0xbf;
      if (j >= bytes.length || b < min || b > max) {
        ok = false;
        break;
      }
      cp = (cp << 6) | (b & 0x3f);
    }
    if (ok) {
      out += String.fromCodePoint(cp);
    } else {
      out += '\uFFFD';
    }
    i = j; // after the valid prefix (complete or not)
  }
  return out;
}

/** Map stand-in characters back to bytes (`▁` → `Ġ`, `\n` → `Ċ` first) and decode with replacement. */
export function byteLevelDecode(text: string): string {
  const inverse = unicodeToBytes();
  const bytes: number[] = [];
  for (let ch of text) {
    if (ch === '\u2581') ch = 'Ġ';
    if (ch === '\n') ch = 'Ċ';
    const b = inverse.get(ch);
    if (b === undefined) throw new Error(`decode: character '${ch}' of a token string is not in the byte-level alphabet`);
    bytes.push(b);
  }
  return utf8DecodeReplace(Uint8Array.from(bytes));
}
