/**
 * Typed errors of intern-s1-ts.
 *
 * Every error the library throws on bad input is an {@link InternS1Error} subclass whose message
 * says what was expected, what was found, and where (op and argument, tensor name, file, byte
 * offset). Catch the base class to handle any library error; test the subclass to know the kind.
 *
 * @module
 */

/** Base class of every error this library throws on purpose. */
export class InternS1Error extends Error {
  /**
   * @param message - what was expected, found, and where. Line breaks (from a quoted input or a
   *   wrapped parser message) are shown as `\n`, so every message is one line.
   */
  constructor(message: string) {
    super(String(message).replace(/\r\n|\r|\n/g, '\\n'));
    this.name = new.target.name;
  }
}

/** A tensor has the wrong rank, a dimension disagrees with another, or an axis is out of range. */
export class ShapeError extends InternS1Error {}

/** A tensor or checkpoint entry has a dtype the operation does not accept. */
export class DTypeError extends InternS1Error {}

/** A configuration value is missing, of the wrong type, or inconsistent with another. */
export class ConfigError extends InternS1Error {}

/** A checkpoint file or folder is malformed, truncated, or lacks a tensor. */
export class CheckpointError extends InternS1Error {}

/** A tokenizer file is malformed, or text / ids cannot be encoded or decoded. */
export class TokenizerError extends InternS1Error {}

/**
 * A file or folder cannot be read or written: it does not exist, is a directory where a file is
 * expected (or the reverse), is not a regular file (a FIFO, socket or device), cannot be created,
 * would overwrite an input or an existing checkpoint, or the disk refused the write. The message
 * names the path and the condition; `code` keeps the system error code when there was one.
 */
export class FileError extends InternS1Error {
  constructor(
    message: string,
    /** The system error code (`ENOENT`, `EISDIR`, ...), when the condition came from one. */
    readonly code?: string,
  ) {
    super(message);
  }
}

/** A requested backend cannot be loaded, or the backend lacks a needed kernel. */
export class BackendError extends InternS1Error {}

/** An argument value is out of its allowed range (k > n, negative length, NaN parameter, ...). */
export class ValueError extends InternS1Error {}

/**
 * A whole-model run cannot fit its memory budget even streaming layer by layer (a single tensor,
 * or one layer, is larger than the budget). Thrown before any weight is read; the message names
 * the tensor, its float32 size and the budget, and the fields keep them for programs.
 */
export class MemoryBudgetError extends InternS1Error {
  constructor(
    message: string,
    /** The tensor that does not fit (for a layer: its largest tensor). */
    readonly tensor: string,
    /** Bytes it (or its layer) needs as float32. */
    readonly bytes: number,
    /** The budget in bytes. */
    readonly budget: number,
  ) {
    super(message);
  }
}
