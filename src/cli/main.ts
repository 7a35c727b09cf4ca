#!/usr/bin/env node
/**
 * The `intern-s1` command. `intern-s1 --help` lists the subcommands; `intern-s1 <cmd> --help`
 * explains one. Errors are one line on stderr with a non-zero exit code; `--debug` adds the stack.
 *
 * @module
 */
import { fileURLToPath } from 'node:url';
import { realpathSync } from 'node:fs';
import '../platform/node.js';
import { InternS1Error } from '../errors.js';
import { VERSION } from '../version.js';
import { type CliIO, UsageError, println } from './command.js';
import { COMMANDS } from './commands/index.js';

async function usage(io: CliIO): Promise<void> {
  println(io.stdout, `intern-s1 ${VERSION}: run and study the Intern-S1 model family in TypeScript\n`);
  println(io.stdout, 'Usage: intern-s1 <command> [options]   (intern-s1 <command> --help for details)\n');
  println(io.stdout, 'Commands:');
  for (const [name, load] of Object.entries(COMMANDS)) {
    println(io.stdout, `  ${name.padEnd(18)} ${(await load()).summary}`);
  }
  println(io.stdout, '\nGlobal options: --debug (stack traces on errors), --help, --version');
}

/** Run the CLI with `argv` (without `node` and the script) and return the exit code. */
export async function main(argv: string[], io: CliIO = process): Promise<number> {
  const debug = argv.includes('--debug');
  const args = argv.filter((a) => a !== '--debug');
  try {
    const [cmd, ...rest] = args;
    if (cmd === undefined || cmd === '--help' || cmd === '-h' || cmd === 'help') {
      await usage(io);
      return cmd === undefined ? 2 : 0;
    }
    if (cmd === '--version' || cmd === '-v') {
      println(io.stdout, VERSION);
      return 0;
    }
    const load = COMMANDS[cmd];
    if (!load) throw new UsageError(`unknown command '${cmd}' (try 'intern-s1 --help')`);
    const command = await load();
    if (rest.includes('--help') || rest.includes('-h')) {
      println(io.stdout, command.help);
      return 0;
    }
    return await command.run(rest, io);
  } catch (e) {
    const err = e as Error;
    const known = e instanceof InternS1Error || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    println(io.stderr, `intern-s1: ${known ? '' : 'internal error: '}${err?.message ?? String(e)}`);
    if (debug && err?.stack) println(io.stderr, err.stack);
    else if (!known) println(io.stderr, '(run with --debug for the stack trace)');
    return e instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') ? 2 : 1;
  }
}

const isEntry = process.argv[1] && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
if (isEntry) {
  // `intern-s1 ... | head` closes the pipe early: stop quietly instead of crashing on EPIPE.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
