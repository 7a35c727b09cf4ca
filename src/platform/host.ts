/**
 * What the library needs from Node, installed by the Node entry and absent in a browser.
 *
 * A few long-standing calls take a path: `SafetensorsFile.open(path)`,
 * `InternS1ForConditionalGeneration.fromCheckpoint(dir)`, `InternS1Tokenizer.fromDir(dir)`,
 * `readImage(path)`, and PNG decoding (pngjs and the inflate check use `node:zlib`). They live in
 * modules the browser entry also reaches, so those modules must not import `node:*`. Instead they
 * call {@link nodeHost}, which returns what `src/platform/node.ts` installed when the Node entry
 * (`intern-s1-ts` in Node, `intern-s1-ts/node`, the CLI) was imported. In a browser nothing is
 * installed and the call fails with a {@link BackendError} naming the browser alternative.
 *
 * This module is shared with the reference (test/reference-imports.test.ts): it imports types of
 * tfjs-free modules only.
 *
 * Decision (issue 14): a registry rather than a per-file `browser` substitution in package.json,
 * because the substitution only works for consumers' bundlers and not for the sources the tests
 * and docs examples run, and because it keeps every existing Node call site unchanged.
 *
 * @module
 */
import { BackendError } from '../errors.js';
import type { RgbImage } from '../image/types.js';
import type { FlavourConfig } from '../tokenizer/config.js';
import type { TokenizerFiles } from '../tokenizer/files.js';

/**
 * Positioned synchronous reads (the shape of `ByteReader` in `io/safetensors.ts`, restated here so
 * that this module, which the reference tokenizer reaches, imports nothing that reaches tfjs).
 */
export interface HostByteReader {
  /** Total size in bytes. */
  readonly size: number;
  /** Exactly `length` bytes at `position`. */
  read(position: number, length: number): Uint8Array;
  /** Release the handle. */
  close(): void;
}

/** Node-only capabilities (file access by path, PNG inflate). */
export interface NodeHost {
  /** A positioned reader on a file (`FileReader`). */
  openFile(path: string): HostByteReader;
  /** A whole file's bytes; `what` names it in errors (a FIFO or device is refused, not read). */
  readFile(path: string, what?: string): Uint8Array;
  /** Open a checkpoint file or folder (`openCheckpoint`; returns its `Checkpoint`, typed there). */
  openCheckpoint(path: string): unknown;
  /** Read a tokenizer folder (`readTokenizerDir`). */
  readTokenizerDir(dir: string, flavourOf: (config: Record<string, unknown>) => FlavourConfig): { files: TokenizerFiles; flavour: FlavourConfig };
  /** Decode a PNG (pngjs + the zlib truncation check) into 8-bit RGB. */
  decodePng(bytes: Uint8Array, maxPixels: number, grey16: 'msb' | 'pil-clip'): RgbImage;
  /** Total RAM of the host in bytes (`os.totalmem()`), for the default memory budget. */
  totalMemory(): number;
}

let host: NodeHost | undefined;

/**
 * Install (part of) the Node host: `node-files.ts` installs the file access the reference needs
 * (tfjs-free), `node.ts` adds the checkpoint opener and the PNG decoder.
 */
export function installNodeHost(h: Partial<NodeHost>): void {
  host = { ...host, ...h } as NodeHost;
}

/** Whether the Node host is installed (false in a browser bundle). */
export function hasNodeHost(): boolean {
  return host !== undefined;
}

/**
 * The installed Node host, or a {@link BackendError} saying that `what` needs Node and what to use
 * in a browser instead.
 */
export function nodeHost<K extends keyof NodeHost>(what: string, browserAlternative: string, need: K): NodeHost[K] {
  const f = host?.[need];
  if (f) return f;
  throw new BackendError(
    `${what} needs Node (file access by path); it is not available in the browser entry. In a browser use ${browserAlternative}`,
  );
}
