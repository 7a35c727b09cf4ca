/**
 * Saving what training made (issue 16): the trained model as a Hugging Face checkpoint folder
 * (`model.safetensors` with the checkpoint's own names and dtypes, BF16 stays BF16, plus
 * `config.json`), loadable by `openCheckpoint`, and the trainer state that makes a run resumable
 * bit for bit (`optimizer.safetensors`: float32 master weights and moments; `trainer_state.json`).
 *
 * Decisions:
 * - every tensor of the source that is not a trained text weight (towers, projectors, frozen
 *   weights) is copied byte for byte;
 * - a trained FP8 weight is written as BF16 without its `_scale_inv` (re-quantising would need a
 *   block-scale policy the issue does not give); `quantization_config` is dropped from the config
 *   when no FP8 tensor remains;
 * - names are canonical (fused experts are written unfused, spec 9.5), which every loader of this
 *   library and Hugging Face's Qwen3-MoE / Intern-S1 classes read;
 * - every file is written to a temporary name and renamed (writeSafetensors does the same), so a
 *   crash never leaves a half-written checkpoint under the final name.
 *
 * @module
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { CheckpointError } from '../errors.js';
import type { DType } from '../io/dtype.js';
import { writeSmallFileAtomic } from '../io/fs-safe.js';
import { SafetensorsFile } from '../io/safetensors.js';
import { writeSafetensors } from '../io/safetensors-write.js';
import type { TensorInput } from '../io/weights.js';
import type { TextTrainer } from './step.js';
import type { TextParams } from './params.js';

/** Write `text` to `file` through a temporary file and a rename (io/fs-safe.ts). */
export function writeFileAtomic(file: string, text: string | Uint8Array): void {
  writeSmallFileAtomic(file, text);
}

/** The storage dtype a trained weight is written in. */
function savedDtype(d: DType): DType {
  return d.startsWith('F8') ? 'BF16' : d;
}

/**
 * Write the model: every tensor of `params.base` under its canonical name, trained text weights
 * from the variables in their original dtype, plus `config.json` (the source's, FP8 settings
 * dropped when nothing is FP8 any more).
 *
 * @param dir - output folder (created).
 * @param params - the trained parameters.
 * @param configJson - the source's config.json object.
 * @returns the file names written.
 */
export function saveTrainedModel(dir: string, params: TextParams, configJson: unknown): string[] {
  mkdirSync(dir, { recursive: true });
  const base = params.base;
  const trained = new Set(params.trainable);
  const tensors: Record<string, TensorInput> = {};
  let fp8Left = false;
  for (const n of base.names()) {
    if (n.endsWith('_scale_inv') && trained.has(n.slice(0, -'_scale_inv'.length))) continue;
    const v = params.vars.get(n);
    if (v && trained.has(n)) {
      const dtype = savedDtype(params.dtypes.get(n)!);
      tensors[n] = { dtype, shape: base.info(n).shape.slice(), data: params.checkpointData(n) };
      continue;
    }
    const raw = base.raw(n);
    if (raw.dtype.startsWith('F8')) fp8Left = true;
    tensors[n] = { dtype: raw.dtype, shape: raw.shape, bytes: raw.bytes };
  }
  writeSafetensors(path.join(dir, 'model.safetensors'), tensors, { format: 'pt' });
  const cfg = JSON.parse(JSON.stringify(configJson ?? {})) as Record<string, unknown>;
  if (!fp8Left) delete cfg.quantization_config;
  writeFileAtomic(path.join(dir, 'config.json'), `${JSON.stringify(cfg, null, 2)}\n`);
  return ['model.safetensors', 'config.json'];
}

/**
 * Write the optimizer state and `extra` (the caller's JSON: data position, options, history) so
 * that {@link loadTrainerState} continues exactly: the float32 master weights of every trained
 * weight (the model file may hold them rounded to BF16) and the optimizer's moments.
 */
export function saveTrainerState(dir: string, trainer: TextTrainer, extra: Record<string, unknown>): void {
  mkdirSync(dir, { recursive: true });
  const tensors: Record<string, TensorInput> = {};
  const host = (t: tf.Tensor) => tf.tidy(() => t.dataSync() as Float32Array).slice();
  for (const n of trainer.params.trainable) {
    const v = trainer.params.vars.get(n)!;
    tensors[`master.${n}`] = { dtype: 'F32', shape: v.shape.slice(), data: host(v) };
    (trainer.optimizer.slots.get(n) ?? []).forEach((s, i) => {
      tensors[`slot${i}.${n}`] = { dtype: 'F32', shape: s.shape.slice(), data: host(s) };
    });
  }
  writeSafetensors(path.join(dir, 'optimizer.safetensors'), tensors, { step: String(trainer.optimizer.step) });
  const state = { step: trainer.optimizer.step, optimizer: trainer.optimizer.config, trainable: trainer.params.trainable, ...extra };
  writeFileAtomic(path.join(dir, 'trainer_state.json'), `${JSON.stringify(state, null, 2)}\n`);
}

/**
 * Restore what {@link saveTrainerState} wrote into `trainer` (same model, same trainable set):
 * master weights, moments, step. Returns the saved JSON.
 * @throws CheckpointError when the files are missing or do not match the trainer.
 */
export function loadTrainerState(dir: string, trainer: TextTrainer): Record<string, unknown> {
  const file = path.join(dir, 'optimizer.safetensors');
  const json = path.join(dir, 'trainer_state.json');
  if (!existsSync(file) || !existsSync(json)) throw new CheckpointError(`${dir}: no trainer state to resume (optimizer.safetensors and trainer_state.json)`);
  const state = JSON.parse(readFileSync(json, 'utf8')) as Record<string, unknown>;
  const names = state.trainable as string[];
  if (JSON.stringify(names) !== JSON.stringify(trainer.params.trainable)) throw new CheckpointError(`${dir}: the saved state trains other weights than this run`);
  const f = SafetensorsFile.open(file);
  try {
    const read = (n: string) => {
      const e = f.entry(n);
      const b = f.read(n);
      return tf.tensor(new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)), e.shape.slice());
    };
    for (const n of names) {
      const m = read(`master.${n}`);
      trainer.params.vars.get(n)!.assign(m);
      m.dispose();
      const slots: tf.Tensor[] = [];
      for (let i = 0; f.names().includes(`slot${i}.${n}`); i++) slots.push(read(`slot${i}.${n}`));
      tf.dispose(trainer.optimizer.slots.get(n) ?? []);
      if (slots.length) trainer.optimizer.slots.set(n, slots);
    }
  } finally {
    f.close();
  }
  trainer.optimizer.step = state.step as number;
  return state;
}
