/**
 * The shape of one `intern-s1` subcommand and the helpers they share. Errors a user can cause are
 * thrown as {@link InternS1Error}s (or {@link UsageError}s) and printed by `main` as one line with a
 * non-zero exit code; a stack trace is shown only with `--debug`.
 *
 * @module
 */
import { InternS1Error } from '../errors.js';

/** A wrong command line: unknown flag, missing argument. Exit code 2. */
export class UsageError extends InternS1Error {}

/** One subcommand. */
export interface Command {
  /** The word after `intern-s1`. */
  readonly name: string;
  /** One line for the command list. */
  readonly summary: string;
  /** Usage line(s), options and examples, printed by `intern-s1 <name> --help`. */
  readonly help: string;
  /** Run with the arguments after the command name; resolves to the exit code. */
  run(argv: string[], io: CliIO): Promise<number>;
}

/** Where a command reads and writes, so tests can capture it. */
export interface CliIO {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stdin: NodeJS.ReadableStream;
}

/** Write a line. */
export function println(stream: NodeJS.WritableStream, text = ''): void {
  stream.write(text + '\n');
}

/** Read all of a stream as UTF-8 text. */
export async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}
