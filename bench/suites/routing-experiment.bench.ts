/**
 * The routing experiment (issue 16, item 5): STE vs top-k router gradient, and grouped vs plain
 * routing, on the tiny Intern-S1-Pro-style MoE of the train suite (D 64, E 16, K 4; G 4 groups
 * for grouped routing, G 1 for plain), trained on the regenerable corpus of
 * bench/data/routing-corpus.ts. Four arms x 3 seeds; every arm of a seed starts from the same
 * weights (the router groups change no tensor) and sees the same batches, for the same number of
 * steps and tokens, with the same optimizer settings (AdamW lr 3e-3, HF aux loss at the config's
 * 0.001, clip 1). Reported: held-out loss at the end (mean and spread over seeds), loss vs step,
 * and the expert load per group of 4 experts (max / mean over the 4 groups; for plain routing
 * the groups are the same fixed partition) over training.
 */
import { corpusTokens, routingCorpus } from '../data/routing-corpus.js';
import { causalLmLoss } from '../../src/train/loss.js';
import { TextTrainer, trainStep } from '../../src/train/step.js';
import { Qwen3TextModel } from '../../src/models/qwen3/model.js';
import { batchIndices } from '../../src/train/data.js';
import * as tf from '@tensorflow/tfjs';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BenchRow, type Chart, type Suite, fmt, useBackend } from '../harness.js';
import { randomCheckpoint, tinyProConfig } from './train.bench.js';

const SEQ = 64;
const BATCH = 4;
const LR = 3e-3;
const SEEDS = [0, 1, 2];
/** Held-out loss is evaluated before training and every EVAL_EVERY steps (and at the end). */
const EVAL_EVERY = 25;
/** Moving-average window of the plotted training loss (per-step CE at B 4 is noisy). */
const SMOOTH = 10;
const ARMS = [
  { key: 'plain-topk', name: 'plain, top-k gradient', groups: 1, grad: 'topk' as const },
  { key: 'plain-ste', name: 'plain, STE gradient', groups: 1, grad: 'ste' as const },
  { key: 'grouped-topk', name: 'grouped, top-k gradient', groups: 4, grad: 'topk' as const },
  { key: 'grouped-ste', name: 'grouped, STE gradient', groups: 4, grad: 'ste' as const },
];
type Arm = (typeof ARMS)[number];

/**
 * Where each finished (arm, seed) run is written, one JSON file per run: a rerun of the suite
 * skips the runs already there (same settings), so the long experiment can be stopped and
 * resumed on a shared machine. A folder, not a `.json` file, so `bench/run.ts` does not read it
 * as a suite result.
 */
export const RUNS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'results', 'routing-experiment-runs');

/** Everything that must match for a saved run to be reused. */
function settings(steps: number) {
  return { steps, seq: SEQ, batch: BATCH, lr: LR, evalEvery: EVAL_EVERY, corpus: 'routingCorpus(6000, 1) / held-out routingCorpus(400, 999) x 16', model: 'tinyProConfig(G)', version: 2 };
}

/** One finished run of one arm and seed. */
interface RunRecord {
  arm: string;
  seed: number;
  settings: ReturnType<typeof settings>;
  /** Training cross-entropy per step (before the step's update). */
  ce: number[];
  /** Load-balancing loss per step. */
  aux: number[];
  /** Global gradient norm per step (before clipping). */
  gradNorm: number[];
  /** Selections per expert, per step and MoE layer: `perExpert[step][layer][expert]`. */
  perExpert: number[][][];
  /** Held-out loss at the steps in `evalSteps` (0 = before training). */
  evalSteps: number[];
  heldOut: number[];
  msPerStep: number;
  loadavg: { start: string; end: string };
  finished: string;
}

function windows(tokens: number[], n: number): number[][] {
  return Array.from({ length: Math.floor(tokens.length / SEQ) }, (_, i) => tokens.slice(i * SEQ, (i + 1) * SEQ)).slice(0, n);
}

const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
const maxOverMean = (v: number[]) => Math.max(...v) / mean(v);
const groupsOf4 = (pe: number[]) => [0, 1, 2, 3].map((k) => pe.slice(4 * k, 4 * k + 4));

/** max / mean of the selections per group of 4 consecutive experts, averaged over layers. */
function groupImbalance(perLayer: number[][]): number {
  return mean(perLayer.map((pe) => maxOverMean(groupsOf4(pe).map((g) => g.reduce((a, b) => a + b, 0)))));
}

/** Within each group of 4 experts, max / mean of its experts' selections; averaged over groups and layers. */
function withinGroupImbalance(perLayer: number[][]): number {
  return mean(perLayer.map((pe) => mean(groupsOf4(pe).map(maxOverMean))));
}

/** max / mean over all 16 experts, averaged over layers. */
function expertImbalance(perLayer: number[][]): number {
  return mean(perLayer.map(maxOverMean));
}

/** Share of the selections going to group k (k = 0..3), averaged over layers. */
function groupShare(perLayer: number[][], k: number): number {
  return mean(perLayer.map((pe) => groupsOf4(pe)[k].reduce((a, b) => a + b, 0) / pe.reduce((a, b) => a + b, 0)));
}

function heldOut(trainer: TextTrainer, seqs: number[][]): number {
  return tf.tidy(() => {
    const model = Qwen3TextModel.fromWeights(trainer.params.cfg, trainer.params.source(), { prefix: 'model.' });
    const out = model.forward(seqs);
    const labels = tf.tensor2d(seqs, undefined, 'int32');
    return causalLmLoss(out.logits!, labels).dataSync()[0];
  });
}

const meanSd = (xs: number[]) => {
  const m = mean(xs);
  return { m, sd: Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(xs.length - 1, 1)) };
};

/** Moving average over the last `w` values (fewer at the start). */
const smooth = (v: number[], w: number) => v.map((_, i) => mean(v.slice(Math.max(0, i - w + 1), i + 1)));

function runFile(arm: Arm, seed: number, steps: number): string {
  return path.join(RUNS_DIR, `${steps}steps-${arm.key}-seed${seed}.json`);
}

function loadRun(arm: Arm, seed: number, steps: number): RunRecord | null {
  const f = runFile(arm, seed, steps);
  if (!existsSync(f)) return null;
  const r = JSON.parse(readFileSync(f, 'utf8')) as RunRecord;
  return JSON.stringify(r.settings) === JSON.stringify(settings(steps)) && r.ce.length === steps ? r : null;
}

function trainOne(arm: Arm, seed: number, steps: number, train: number[][], test: number[][], log: (m: string) => void): RunRecord {
  const cfg = tinyProConfig(arm.groups);
  const trainer = TextTrainer.create(cfg, randomCheckpoint(cfg, 100 + seed), { prefix: 'model.', optimizer: { lr: LR } });
  const rec: RunRecord = {
    arm: arm.key, seed, settings: settings(steps), ce: [], aux: [], gradNorm: [], perExpert: [], evalSteps: [0], heldOut: [heldOut(trainer, test)],
    msPerStep: 0, loadavg: { start: readFileSync('/proc/loadavg', 'utf8').trim(), end: '' }, finished: '',
  };
  const t0 = performance.now();
  try {
    for (let s = 0; s < steps; s++) {
      const ids = batchIndices(train.length, BATCH, s, seed).map((i) => train[i]);
      const r = trainStep(trainer, { inputIds: ids }, { routerGradient: arm.grad });
      rec.ce.push(r.ce);
      rec.aux.push(r.aux);
      rec.gradNorm.push(r.gradNorm);
      rec.perExpert.push(r.expertLoad.filter((x) => x !== null).map((x) => x!.perExpert));
      if ((s + 1) % EVAL_EVERY === 0 || s + 1 === steps) {
        rec.evalSteps.push(s + 1);
        rec.heldOut.push(heldOut(trainer, test));
      }
      if ((s + 1) % 50 === 0) log(`${arm.name}, seed ${seed}: step ${s + 1}/${steps}, CE ${r.ce.toFixed(3)}`);
    }
  } finally {
    trainer.dispose();
  }
  rec.msPerStep = (performance.now() - t0) / steps;
  rec.loadavg.end = readFileSync('/proc/loadavg', 'utf8').trim();
  rec.finished = new Date().toISOString();
  mkdirSync(RUNS_DIR, { recursive: true });
  const f = runFile(arm, seed, steps);
  writeFileSync(`${f}.tmp`, JSON.stringify(rec));
  renameSync(`${f}.tmp`, f);
  return rec;
}

export const suite: Suite = {
  name: 'routing-experiment',
  title: 'Experiment: STE vs top-k router gradient, grouped vs plain routing',
  description:
    'Tiny Pro-style MoE (D 64, 2 layers, E 16, K 4, FoPE; grouped = G 4) trained on bench/data/routing-corpus.ts (byte tokens; ' +
    `arithmetic, reversal, sorting, reverse complement, SMILES, protein strings), B ${BATCH} x T ${SEQ}, AdamW lr ${LR}, HF aux loss 0.001, ` +
    `${SEEDS.length} seeds per arm, equal steps and batches; held-out loss on 16 unseen sequences; group imbalance = max/mean selections over 4 groups of 4 experts, ` +
    'within-group = max/mean over the 4 experts of a group (mean over groups), expert = max/mean over all 16 (each a mean over both layers and the last 20% of steps). ' +
    `Each finished (arm, seed) run is kept in bench/results/routing-experiment-runs/ and skipped on a rerun (ROUTING_STEPS overrides the step count).`,
  async run({ quick, log }) {
    await useBackend('wasm');
    const steps = quick ? 6 : Number(process.env.ROUTING_STEPS ?? 300);
    if (!Number.isInteger(steps) || steps < 1) throw new Error(`ROUTING_STEPS must be a positive integer, got ${process.env.ROUTING_STEPS}`);
    const train = windows(corpusTokens(routingCorpus(6000, 1)), 100000);
    const test = windows(corpusTokens(routingCorpus(400, 999)), 16);
    // Seed-major order: if the run is stopped, the finished runs are spread evenly over the arms.
    const runs = new Map<string, RunRecord>();
    for (const seed of SEEDS) {
      for (const arm of ARMS) {
        let rec = loadRun(arm, seed, steps);
        if (rec) log(`${arm.name}, seed ${seed}: already done (${runFile(arm, seed, steps)})`);
        else {
          rec = trainOne(arm, seed, steps, train, test, log);
          log(`${arm.name}, seed ${seed}: held-out loss ${rec.heldOut[rec.heldOut.length - 1].toFixed(4)} (${rec.msPerStep.toFixed(0)} ms/step, load ${rec.loadavg.end})`);
        }
        runs.set(`${arm.key}/${seed}`, rec);
      }
    }
    const rows: BenchRow[] = [];
    const lossCurves: Chart['series'] = [];
    const heldCurves: Chart['series'] = [];
    const imbCurves: Chart['series'] = [];
    const withinCurves: Chart['series'] = [];
    const tail = Math.max(1, Math.floor(steps / 5));
    const lastMean = (v: number[]) => mean(v.slice(-tail));
    for (const arm of ARMS) {
      const rs = SEEDS.map((s) => runs.get(`${arm.key}/${s}`)!);
      const f = meanSd(rs.map((r) => r.heldOut[r.heldOut.length - 1]));
      const f0 = meanSd(rs.map((r) => r.heldOut[0]));
      const g = meanSd(rs.map((r) => lastMean(r.perExpert.map(groupImbalance))));
      const wg = meanSd(rs.map((r) => lastMean(r.perExpert.map(withinGroupImbalance))));
      const ex = meanSd(rs.map((r) => lastMean(r.perExpert.map(expertImbalance))));
      const ceLast = meanSd(rs.map((r) => lastMean(r.ce)));
      rows.push({
        task: `${arm.name} (${steps} steps x ${SEEDS.length} seeds)`, impl: 'fast (wasm)', ms: mean(rs.map((r) => r.msPerStep)),
        derived: { 'held-out loss': f.m, 'held-out sd': f.sd, 'group imbalance': g.m, 'within-group imbalance': wg.m, 'expert imbalance': ex.m },
        extra: {
          'held-out at step 0': fmt(f0.m), 'train CE, last 20%': `${fmt(ceLast.m)} ± ${fmt(ceLast.sd)}`,
          'imbalance sd (group / within / expert)': `${fmt(g.sd)} / ${fmt(wg.sd)} / ${fmt(ex.sd)}`,
        },
      });
      const xs = Array.from({ length: steps }, (_, s) => s + 1);
      const sm = rs.map((r) => smooth(r.ce, SMOOTH));
      lossCurves.push({ name: arm.name, points: xs.map((x, s) => [x, mean(sm.map((c) => c[s]))]) });
      heldCurves.push({ name: arm.name, points: rs[0].evalSteps.map((x, i) => [x, mean(rs.map((r) => r.heldOut[i]))]) });
      const gi = rs.map((r) => smooth(r.perExpert.map(groupImbalance), SMOOTH));
      const wi = rs.map((r) => smooth(r.perExpert.map(withinGroupImbalance), SMOOTH));
      imbCurves.push({ name: arm.name, points: xs.map((x, s) => [x, mean(gi.map((c) => c[s]))]) });
      withinCurves.push({ name: arm.name, points: xs.map((x, s) => [x, mean(wi.map((c) => c[s]))]) });
      log(`${arm.name}: held-out ${f.m.toFixed(4)} ± ${f.sd.toFixed(4)} (from ${f0.m.toFixed(3)}), group imb ${g.m.toFixed(3)}, within ${wg.m.toFixed(3)}, expert ${ex.m.toFixed(3)}`);
    }
    const n = SEEDS.length;
    // Spread over seeds along training: held-out loss at every evaluation (mean ± sd), and the
    // imbalances averaged over windows of steps.
    const evalSteps = runs.get(`${ARMS[0].key}/${SEEDS[0]}`)!.evalSteps;
    const shown = evalSteps.filter((x, i) => i === 0 || i === evalSteps.length - 1 || x % (EVAL_EVERY * 2) === 0);
    const heldTable = [
      `Held-out cross-entropy over training (mean ± sd over ${n} seeds):`, '',
      `| arm | ${shown.map((x) => `step ${x}`).join(' | ')} |`, `|---|${shown.map(() => '---').join('|')}|`,
      ...ARMS.map((arm) => {
        const rs = SEEDS.map((s) => runs.get(`${arm.key}/${s}`)!);
        return `| ${arm.name} | ${shown.map((x) => { const i = evalSteps.indexOf(x); const v = meanSd(rs.map((r) => r.heldOut[i])); return `${v.m.toFixed(3)} ± ${v.sd.toFixed(3)}`; }).join(' | ')} |`;
      }),
    ];
    const nWin = Math.min(5, steps);
    const wins = Array.from({ length: nWin }, (_, k) => [Math.floor((k * steps) / nWin), Math.floor(((k + 1) * steps) / nWin)]);
    const imbTable = [
      `Expert-load imbalance over training (mean ± sd over ${n} seeds of the window's mean; group / within-group):`, '',
      `| arm | ${wins.map(([a, b]) => `steps ${a + 1}-${b}`).join(' | ')} |`, `|---|${wins.map(() => '---').join('|')}|`,
      ...ARMS.map((arm) => {
        const rs = SEEDS.map((s) => runs.get(`${arm.key}/${s}`)!);
        return `| ${arm.name} | ${wins.map(([a, b]) => {
          const g = meanSd(rs.map((r) => mean(r.perExpert.slice(a, b).map(groupImbalance))));
          const w = meanSd(rs.map((r) => mean(r.perExpert.slice(a, b).map(withinGroupImbalance))));
          return `${g.m.toFixed(2)} ± ${g.sd.toFixed(2)} / ${w.m.toFixed(2)} ± ${w.sd.toFixed(2)}`;
        }).join(' | ')} |`;
      }),
    ];
    const loads = [...runs.values()].flatMap((r) => [r.loadavg.start, r.loadavg.end].map((l) => Number(l.split(' ')[0])));
    const notes = [
      ...(quick ? [`Quick run: ${steps} steps per seed only; differences between arms at this length are not evidence.`, ''] : []),
      ...heldTable, '', ...imbTable, '',
      `ms per step is wall time on a shared machine (1-minute load average ${Math.min(...loads).toFixed(1)} to ${Math.max(...loads).toFixed(1)} at the runs' starts and ends), not an idle figure.`,
    ].join('\n');
    const charts: Chart[] = [
      { file: 'routing-experiment-loss.svg', title: `training cross-entropy (${SMOOTH}-step moving average, mean of ${n} seeds)`, xLabel: 'step', yLabel: 'CE (nats/token)', series: lossCurves },
      { file: 'routing-experiment-heldout.svg', title: `held-out cross-entropy (mean of ${n} seeds)`, xLabel: 'step', yLabel: 'CE (nats/token)', series: heldCurves },
      { file: 'routing-experiment-imbalance.svg', title: `load imbalance over 4 groups (max/mean, ${SMOOTH}-step avg, mean of ${n} seeds)`, xLabel: 'step', yLabel: 'max/mean', series: imbCurves },
      { file: 'routing-experiment-within-group.svg', title: `load imbalance within groups of 4 experts (max/mean, ${SMOOTH}-step avg, mean of ${n} seeds)`, xLabel: 'step', yLabel: 'max/mean', series: withinCurves },
    ];
    return { rows, charts, notes };
  },
};
