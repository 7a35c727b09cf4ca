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
import { type BenchRow, type Chart, type Suite, fmt, useBackend } from '../harness.js';
import { randomCheckpoint, tinyProConfig } from './train.bench.js';

const SEQ = 64;
const BATCH = 4;
const SEEDS = [0, 1, 2];
const ARMS = [
  { name: 'plain, top-k gradient', groups: 1, grad: 'topk' as const },
  { name: 'plain, STE gradient', groups: 1, grad: 'ste' as const },
  { name: 'grouped, top-k gradient', groups: 4, grad: 'topk' as const },
  { name: 'grouped, STE gradient', groups: 4, grad: 'ste' as const },
];

function windows(tokens: number[], n: number): number[][] {
  return Array.from({ length: Math.floor(tokens.length / SEQ) }, (_, i) => tokens.slice(i * SEQ, (i + 1) * SEQ)).slice(0, n);
}

/** max / mean of the selections per group of 4 consecutive experts, averaged over layers. */
function groupImbalance(perExpertByLayer: number[][]): number {
  const v = perExpertByLayer.map((pe) => {
    const g = [0, 1, 2, 3].map((k) => pe.slice(4 * k, 4 * k + 4).reduce((a, b) => a + b, 0));
    const mean = g.reduce((a, b) => a + b, 0) / 4;
    return Math.max(...g) / mean;
  });
  return v.reduce((a, b) => a + b, 0) / v.length;
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
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  return { m, sd: Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(xs.length - 1, 1)) };
};

export const suite: Suite = {
  name: 'routing-experiment',
  title: 'Experiment: STE vs top-k router gradient, grouped vs plain routing',
  description:
    'Tiny Pro-style MoE (D 64, 2 layers, E 16, K 4, FoPE; grouped = G 4) trained on bench/data/routing-corpus.ts (byte tokens; ' +
    `arithmetic, reversal, sorting, reverse complement, SMILES, protein strings), B ${BATCH} x T ${SEQ}, AdamW lr 3e-3, HF aux loss 0.001, ` +
    '3 seeds per arm, equal steps and batches; held-out loss on 16 unseen sequences; group imbalance = max/mean selections over 4 groups of 4 experts.',
  async run({ quick, log }) {
    await useBackend('wasm');
    const steps = quick ? 6 : 300;
    const train = windows(corpusTokens(routingCorpus(6000, 1)), 100000);
    const test = windows(corpusTokens(routingCorpus(400, 999)), 16);
    const rows: BenchRow[] = [];
    const lossCurves: Chart['series'] = [];
    const imbCurves: Chart['series'] = [];
    for (const arm of ARMS) {
      const finals: number[] = [];
      const curves: number[][] = [];
      const imbs: number[][] = [];
      const t0 = performance.now();
      for (const seed of SEEDS) {
        const cfg = tinyProConfig(arm.groups);
        const trainer = TextTrainer.create(cfg, randomCheckpoint(cfg, 100 + seed), { prefix: 'model.', optimizer: { lr: 3e-3 } });
        const curve: number[] = [];
        const imb: number[] = [];
        for (let s = 0; s < steps; s++) {
          const ids = batchIndices(train.length, BATCH, s, seed).map((i) => train[i]);
          const r = trainStep(trainer, { inputIds: ids }, { routerGradient: arm.grad });
          curve.push(r.ce);
          imb.push(groupImbalance(r.expertLoad.filter((x) => x !== null).map((x) => x!.perExpert)));
        }
        finals.push(heldOut(trainer, test));
        curves.push(curve);
        imbs.push(imb);
        trainer.dispose();
        log(`${arm.name}, seed ${seed}: held-out loss ${finals[finals.length - 1].toFixed(4)}`);
      }
      const ms = (performance.now() - t0) / (SEEDS.length * steps);
      const f = meanSd(finals);
      const lastImb = meanSd(imbs.map((c) => c.slice(-Math.max(1, Math.floor(steps / 5))).reduce((a, b) => a + b, 0) / Math.max(1, Math.floor(steps / 5))));
      const firstTrain = meanSd(curves.map((c) => c[0]));
      const lastTrain = meanSd(curves.map((c) => c[c.length - 1]));
      rows.push({
        task: `${arm.name} (${steps} steps x ${SEEDS.length} seeds)`, impl: 'fast (wasm)', ms,
        derived: { 'held-out loss': f.m, 'held-out sd': f.sd, 'group imbalance (last 20%)': lastImb.m },
        extra: { 'train CE first': fmt(firstTrain.m), 'train CE last': `${fmt(lastTrain.m)} ± ${fmt(lastTrain.sd)}` },
      });
      const xs = Array.from({ length: steps }, (_, s) => s + 1);
      lossCurves.push({ name: arm.name, points: xs.map((x, s) => [x, meanSd(curves.map((c) => c[s])).m]) });
      imbCurves.push({ name: arm.name, points: xs.map((x, s) => [x, meanSd(imbs.map((c) => c[s])).m]) });
    }
    const charts: Chart[] = [
      { file: 'routing-experiment-loss.svg', title: 'training cross-entropy (mean of 3 seeds)', xLabel: 'step', yLabel: 'CE (nats/token)', series: lossCurves },
      { file: 'routing-experiment-imbalance.svg', title: 'expert-load imbalance over 4 groups (max/mean, mean of 3 seeds)', xLabel: 'step', yLabel: 'max/mean', series: imbCurves },
    ];
    return { rows, charts, notes: quick ? `Quick run: ${steps} steps per seed only; differences between arms at this length are not evidence.` : undefined };
  },
};
