import { parseArgs } from 'node:util';
import { initBackend } from '../../backend/index.js';
import { VERSION } from '../../version.js';
import { type Command, println } from '../command.js';
import { backendFlag } from '../flags.js';

/** `intern-s1 info`: version, active backend, and why the other rungs of the ladder were skipped. */
export const info: Command = {
  name: 'info',
  summary: 'print the version, the active backend and why the others were skipped',
  help: `Usage: intern-s1 info [--json] [--backend tensorflow|wasm|cpu]

Prints the package version and resolves the backend ladder (tfjs-node-gpu, tfjs-node, wasm, cpu),
saying which backend is active, why each other rung was skipped, whether wasm SIMD and
threads are on, and how many threads the library uses (INTERN_S1_THREADS, default: the machine's
cores; a pool of worker threads beside the main one). INTERN_S1_BACKEND (or --backend) forces one
backend.

Examples:
  intern-s1 info
  INTERN_S1_BACKEND=cpu intern-s1 info --json
  INTERN_S1_THREADS=1 intern-s1 info`,
  async run(argv, io) {
    const { values } = parseArgs({ args: argv, options: { json: { type: 'boolean' }, backend: { type: 'string' } } });
    const bi = await initBackend(backendFlag(values.backend));
    if (values.json) {
      println(io.stdout, JSON.stringify({ version: VERSION, node: process.version, ...bi }, null, 2));
      return 0;
    }
    println(io.stdout, `intern-s1-ts ${VERSION} (Node ${process.version})`);
    println(io.stdout, `backend: ${bi.backend}${bi.forced ? ' (forced)' : ''}`);
    for (const a of bi.attempts) {
      println(io.stdout, `  ${a.status.padEnd(9)} ${a.candidate}${a.reason ? `: ${a.reason}` : ''}`);
    }
    if (bi.wasm) {
      println(io.stdout, `wasm: SIMD ${bi.wasm.simd ? 'on' : 'off'}, threads ${bi.wasm.threads ? 'on' : 'off'}`);
      if (!bi.wasm.threads) println(io.stdout, `  (${bi.wasm.threadsNote})`);
    }
    const t = bi.threads;
    println(io.stdout, `threads: ${t.count} (${t.source === 'cores' ? `the machine's ${t.cores} cores` : t.source}; pool: ${t.pool})${t.note ? ` ${t.note}` : ''}`);
    return 0;
  },
};
