/** Running the `intern-s1` command in tests: in process through `main()`, or as a real process. */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { main } from '../../src/cli/main.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Exit code and captured output of one run. */
export interface CliResult {
  code: number | null;
  out: string;
  err: string;
}

/** Run `main(args)` in process with captured stdout/stderr, `stdin` text, and a TTY flag for stdout. */
export async function runCli(args: string[], opts: { stdin?: string; tty?: boolean } = {}): Promise<CliResult> {
  const stdout = Object.assign(new PassThrough(), { isTTY: opts.tty ?? false });
  const stderr = new PassThrough();
  const stdin = new PassThrough();
  stdin.end(opts.stdin ?? '');
  let out = '';
  let err = '';
  stdout.on('data', (d) => (out += d));
  stderr.on('data', (d) => (err += d));
  const code = await main(args, { stdout, stderr, stdin });
  return { code, out, err };
}

/** Run the command as a process (`node --import tsx src/cli/main.ts ...`), as a shell would. */
export function spawnCli(args: string[], opts: { input?: string; env?: Record<string, string>; timeoutMs?: number } = {}): CliResult {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'src/cli/main.ts'), ...args], {
    cwd: root, encoding: 'utf8', input: opts.input, env: { ...process.env, ...opts.env }, timeout: opts.timeoutMs ?? 240_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
