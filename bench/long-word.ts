/**
 * `npx tsx bench/long-word.ts [--quick]`: rerun only the tokenizer suite's long-word rows (one 1,
 * 2, 5 and 10 MB word, issue #12 item 8) and put them into `bench/results/tokenizer.json`, replacing
 * the earlier long-word rows and targets and keeping the throughput rows as they were measured;
 * the notes get the date, machine and load average of this run. Then `docs/performance.md` is
 * regenerated (`bench/run.ts --report-only`). The full suite (`npm run bench -- tokenizer`)
 * measures the same rows along with the rest.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchRow, SuiteResult, Target } from './harness.js';
import { longWordRows } from './suites/tokenizer.bench.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const file = path.join(here, 'results', 'tokenizer.json');
const quick = process.argv.includes('--quick');
const dir = process.env.INTERN_S1_PRO_FILES || path.resolve(root, '../shared/data/intern-s1-pro');
if (!existsSync(path.join(dir, 'vocab.json'))) throw new Error(`the Intern-S1-Pro tokenizer files were not found (set INTERN_S1_PRO_FILES; looked in ${dir})`);

const load = os.loadavg()[0];
const rows: BenchRow[] = [];
const targets: Target[] = [];
longWordRows(dir, quick, (m) => process.stderr.write(`[long-word] ${m}\n`), rows, targets);
const loadEnd = os.loadavg()[0];

const saved = JSON.parse(readFileSync(file, 'utf8')) as SuiteResult & { notes?: string };
const isLongRow = (r: BenchRow) => r.task.startsWith('encode one ');
const isLongTarget = (t: Target) => t.description.startsWith('one ');
saved.rows = [...rows, ...saved.rows.filter((r) => !isLongRow(r))];
saved.targets = [...targets, ...(saved.targets ?? []).filter((t) => !isLongTarget(t))];
const cpus = os.cpus();
const note =
  `Long-word rows (encode one N MB word): measured ${new Date().toISOString().slice(0, 10)} on ${cpus[0]?.model ?? 'cpu'} x${cpus.length}, Node ${process.version} ` +
  `with \`npx tsx bench/long-word.ts${quick ? ' --quick' : ''}\`, apart from the other rows; 1-minute load average ${load.toFixed(1)} at the start and ` +
  `${loadEnd.toFixed(1)} at the end on ${cpus.length} CPUs (above the CPU count, other jobs slowed the timings; the memory figures are not slowed). ` +
  'Peak extra MB = peak resident memory during the call minus the resident memory before it, in a process of its own (it can reuse memory freed after ' +
  'loading, so it is a lower bound); heap + buffers grown MB = V8 heap used + array buffers after the call minus before it, no collection forced ' +
  '(what the call holds plus garbage not yet collected); the memory target is checked on the larger of the two. "(tokens read)" = the peak extra once the ' +
  "Encoding's tokens and domains, built on first read, have been read too.";
const kept = (saved.notes ?? '').split('\n\n').filter((p) => !p.startsWith('Long-word rows'));
saved.notes = [...kept, note].filter((p) => p !== '').join('\n\n');
writeFileSync(file, JSON.stringify(saved, null, 2));
for (const t of targets) process.stderr.write(`[long-word] ${t.met ? 'MET' : 'NOT MET'}: ${t.description} (${t.measured})\n`);
execFileSync(process.execPath, ['--import', 'tsx', path.join(here, 'run.ts'), '--report-only'], { stdio: 'inherit', cwd: root });
