/**
 * Tiny hand-built image files for the reliability tests (issue #12): a valid baseline JPEG of any
 * size whose every block is flat grey (one-code Huffman tables, two bits per block, so a large
 * frame costs little to build), header-only JPEG / PNG files that claim huge sizes, and PNG files
 * built chunk by chunk. Built from the format specifications, never by the code under test.
 */
import { crc32, deflateSync } from 'node:zlib';

const u16 = (v: number): number[] => [(v >> 8) & 255, v & 255];

/** Marker segment FF `m`, length, payload. */
function segment(m: number, payload: number[]): number[] {
  return [0xff, m, ...u16(payload.length + 2), ...payload];
}

/**
 * A valid baseline JPEG `width × height` with `components` (1 or 3, sampling 1×1) whose blocks are
 * all DC difference 0 and EOB: every pixel decodes to 128 (grey). With `dataBytes` the entropy-coded
 * data is cut to that many bytes (a header that lies about its size).
 */
export function flatJpeg(width: number, height: number, components: 1 | 3 = 3, dataBytes?: number): Uint8Array {
  const ids = components === 3 ? [1, 2, 3] : [1];
  const head = [
    0xff, 0xd8,
    ...segment(0xdb, [0x00, ...new Array(64).fill(1)]), // DQT table 0, all ones
    ...segment(0xc0, [8, ...u16(height), ...u16(width), components, ...ids.flatMap((id) => [id, 0x11, 0])]), // SOF0
    ...segment(0xc4, [0x00, 1, ...new Array(15).fill(0), 0x00]), // DC table 0: one code '0' for category 0
    ...segment(0xc4, [0x10, 1, ...new Array(15).fill(0), 0x00]), // AC table 0: one code '0' for EOB
    ...segment(0xda, [components, ...ids.flatMap((id) => [id, 0x00]), 0, 63, 0]), // SOS
  ];
  const blocks = Math.ceil(width / 8) * Math.ceil(height / 8) * components;
  const n = dataBytes ?? Math.ceil((2 * blocks) / 8);
  const out = new Uint8Array(head.length + n + 2);
  out.set(head);
  out.set([0xff, 0xd9], head.length + n); // data bytes stay 0: all-zero codes
  return out;
}

function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  td.copy(out, 4);
  out.writeUInt32BE(crc32(td) >>> 0, 8 + data.length);
  return out;
}

/**
 * A PNG `width × height`, 8-bit, colour type `colorType` (0 grey, 2 RGB), whose filtered scanlines
 * are `raw` (default: all zero, filter 0) followed by `trailing` extra inflated bytes; with
 * `idat` the IDAT payload is given as is (a header that lies).
 */
export function png(width: number, height: number, opts: { colorType?: 0 | 2; trailing?: number; idat?: Uint8Array } = {}): Uint8Array {
  const ct = opts.colorType ?? 2;
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = ct;
  const rowBytes = 1 + width * (ct === 2 ? 3 : 1);
  const idat = opts.idat ?? deflateSync(Buffer.alloc(rowBytes * height + (opts.trailing ?? 0)));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr), pngChunk('IDAT', idat), pngChunk('IEND', new Uint8Array(0)),
  ]);
}
