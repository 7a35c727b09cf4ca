/**
 * `intern-s1 train CKPT --data FILE --out DIR` (issue 16, item 4): tokenise a corpus with the
 * checkpoint's tokenizer, train the text model with {@link trainStep}, save resumable checkpoints
 * and a chart of the loss and the expert load per group.
 *
 * @module
 */
import { copyFileSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { initBackend } from '../../backend/index.js';
import { CheckpointError, InternS1Error, TokenizerError, ValueError } from '../../errors.js';
import { openCheckpoint } from '../../io/checkpoint.js';
import { textConfigOf } from '../../io/configs/model.js';
import { textPrefix } from '../../io/layout.js';
import { InternS1Tokenizer } from '../../tokenizer/tokenizer.js';
import { loadTrainerState, saveTrainedModel, saveTrainerState, writeFileAtomic } from '../../train/checkpoint.js';
import { batchIndices, corpusDocuments, packSequences } from '../../train/data.js';
import { TextTrainer, trainStep } from '../../train/step.js';
import { type HistoryRow, trainingSvg } from '../../train/svg.js';
import { type CliIO, type Command, UsageError, println } from '../command.js';
import { progressBar } from '../show.js';
import { backendFlag, choiceFlag, intFlag, numberFlag } from '../flags.js';

/** The options that must not change when a run is resumed. */
interface RunKey {
  data: string;
  seed: number;
  batch: number;
  seq: number;
}

function tokenizerOf(dir: string): InternS1Tokenizer {
  try {
    return InternS1Tokenizer.fromDir(dir);
  } catch (e) {
    throw new TokenizerError(`train: no usable tokenizer in ${dir} (${(e as Error).message})`);
  }
}

/** Copy the tokenizer and chat files next to the trained weights, so DIR is a complete checkpoint. */
function copyTokenizer(src: string, out: string): void {
  if (path.resolve(src) === path.resolve(out)) return;
  for (const f of readdirSync(src)) {
    if (/^(tokenizer.*|vocab\.json|merges\.txt|special_tokens_map\.json|added_tokens\.json|chat_template\.jinja|generation_config\.json)$/.test(f)) {
      copyFileSync(path.join(src, f), path.join(out, f));
    }
  }
}

function bar(io: CliIO, s: number, steps: number, loss: number, tps: number, eta: number): void {
  const line = `step ${s}/${steps} ${progressBar(s, steps, 24)} loss ${loss.toFixed(4)}  ${tps.toFixed(0)} tokens/s  ETA ${eta.toFixed(0)} s`;
  io.stderr.write(io.stderr.isTTY ? `\r${line}${s === steps ? '\n' : ''}` : `${line}\n`);
}

export const train: Command = {
  name: 'train',
  summary: 'train the text model on a corpus (AdamW, resumable checkpoints, loss / expert-load chart)',
  help: `Usage: intern-s1 train <checkpoint-dir> --data FILE --out DIR [--steps N] [--lr X] [--batch B] [--seq T]
                    [--router-grad topk|ste] [--aux-loss hf|xtuner|none] [--optimizer adamw|sgd]
                    [--weight-decay X] [--max-grad-norm X] [--z-loss X] [--seed N] [--save-every N]
                    [--resume] [--backend tensorflow|wasm|cpu]

Tokenises FILE (plain text, documents separated by blank lines; or .jsonl with a "text" field per
line) with the checkpoint's tokenizer, joins the documents with <|endoftext|> and cuts the stream
into sequences of --seq tokens (at most max_position_embeddings). Each step trains on --batch
sequences (a seeded shuffle, the same for every run with the same --seed): loss = next-token
cross-entropy + router_aux_loss_coef x load-balancing loss (--aux-loss, MoE models) + --z-loss x
router z-loss, gradients clipped to --max-grad-norm (default 1), AdamW (default lr 1e-3, weight
decay 0.01) or SGD with momentum 0.9. Only the text model trains; the towers are copied unchanged.

Every --save-every steps (default 50) and at the end, DIR gets model.safetensors (the checkpoint's
names and dtypes), config.json and the tokenizer files (a checkpoint this library and Hugging Face
load), optimizer.safetensors + trainer_state.json (for --resume: the same data, seed, batch and seq
continue bit for bit), and training.svg (loss and expert load per group over steps). A bad input
or a non-finite loss stops with an error and leaves the last saved checkpoint as it was.

Examples:
  intern-s1 init-tiny /tmp/tiny --variant pro --demo-tokenizer
  intern-s1 train /tmp/tiny --data corpus.txt --out /tmp/run --steps 200 --seq 64 --router-grad ste
  intern-s1 train /tmp/tiny --data corpus.txt --out /tmp/run --steps 400 --seq 64 --router-grad ste --resume`,
  async run(argv, io) {
    const { values, positionals } = parseArgs({
      args: argv, allowPositionals: true,
      options: {
        data: { type: 'string' }, out: { type: 'string' }, steps: { type: 'string' }, lr: { type: 'string' }, batch: { type: 'string' },
        seq: { type: 'string' }, 'router-grad': { type: 'string' }, 'aux-loss': { type: 'string' }, optimizer: { type: 'string' },
        'weight-decay': { type: 'string' }, 'max-grad-norm': { type: 'string' }, 'z-loss': { type: 'string' }, seed: { type: 'string' },
        'save-every': { type: 'string' }, resume: { type: 'boolean' }, backend: { type: 'string' },
      },
    });
    if (positionals.length !== 1) throw new UsageError('train needs exactly one <checkpoint-dir>');
    if (!values.data) throw new UsageError('train needs --data FILE');
    if (!values.out) throw new UsageError('train needs --out DIR');
    const steps = intFlag('steps', values.steps, { min: 1 }) ?? 100;
    const lr = numberFlag('lr', values.lr, { positive: true }) ?? 1e-3;
    const batch = intFlag('batch', values.batch, { min: 1 }) ?? 1;
    const seq = intFlag('seq', values.seq, { min: 2 }) ?? 128;
    const routerGradient = choiceFlag('router-grad', values['router-grad'], ['topk', 'ste']) ?? 'topk';
    const auxLoss = choiceFlag('aux-loss', values['aux-loss'], ['hf', 'xtuner', 'none']) ?? 'hf';
    const kind = choiceFlag('optimizer', values.optimizer, ['adamw', 'sgd']) ?? 'adamw';
    const weightDecay = numberFlag('weight-decay', values['weight-decay'], { min: 0 });
    const maxGradNorm = numberFlag('max-grad-norm', values['max-grad-norm'], { positive: true }) ?? 1;
    const zLossCoef = numberFlag('z-loss', values['z-loss'], { min: 0 }) ?? 0;
    const seed = intFlag('seed', values.seed, { min: 0 }) ?? 0;
    const saveEvery = intFlag('save-every', values['save-every'], { min: 1 }) ?? 50;
    const backend = backendFlag(values.backend);
    const dir = positionals[0];
    const out = values.out;

    const active = (await initBackend(backend)).backend;
    const ckpt = openCheckpoint(dir);
    if (!ckpt.config) throw new CheckpointError(`train: ${dir} has no config.json`);
    const cfg = textConfigOf(ckpt.config);
    if (seq > cfg.max_position_embeddings) throw new ValueError(`train: --seq ${seq} is past max_position_embeddings (${cfg.max_position_embeddings})`);
    const tokenizer = tokenizerOf(dir);
    const format = values.data.endsWith('.jsonl') ? 'jsonl' : 'text';
    if (!existsSync(values.data)) throw new ValueError(`train: --data ${values.data}: no such file`);
    const docs = corpusDocuments(readFileSync(values.data, 'utf8'), format);
    const eos = tokenizer.tokenToId('<|endoftext|>') ?? cfg.eos_token_id;
    if (eos === undefined || eos === null) throw new TokenizerError('train: the tokenizer has no <|endoftext|> and the config no eos_token_id');
    const seqs = packSequences(docs.map((d) => tokenizer.encode(d).ids), eos as number, seq);
    const key: RunKey = { data: path.resolve(values.data), seed, batch, seq };

    const trainer = TextTrainer.create(cfg, ckpt.weights, { prefix: textPrefix(ckpt.config), optimizer: { kind, lr, ...(weightDecay !== undefined ? { weightDecay } : {}) } });
    let history: HistoryRow[] = [];
    try {
      if (values.resume) {
        const state = loadTrainerState(out, trainer);
        const was = state.run as RunKey;
        if (JSON.stringify(was) !== JSON.stringify(key)) throw new UsageError(`--resume: ${out} was trained with ${JSON.stringify(was)}, this run has ${JSON.stringify(key)}`);
        history = (state.history as HistoryRow[]) ?? [];
      }
      const start = trainer.optimizer.step;
      println(io.stdout, `training ${dir} on ${active}: ${docs.length} documents, ${seqs.length} sequences of ${seq} tokens, steps ${start + 1}..${steps}, batch ${batch}, ${kind} lr ${lr}, router gradient ${routerGradient}, aux loss ${auxLoss}`);
      const save = () => {
        saveTrainedModel(out, trainer.params, ckpt.configJson);
        copyTokenizer(dir, out);
        saveTrainerState(out, trainer, { run: key, history });
        writeFileAtomic(path.join(out, 'training.svg'), trainingSvg(history));
      };
      const t0 = performance.now();
      for (let s = start; s < steps; s++) {
        const ids = batchIndices(seqs.length, batch, s, seed).map((i) => seqs[i]);
        let r;
        try {
          r = trainStep(trainer, { inputIds: ids }, { routerGradient, auxLoss, maxGradNorm, zLossCoef });
        } catch (e) {
          if (e instanceof InternS1Error) throw new ValueError(`train: step ${s + 1} failed: ${e.message}; ${s > start || start > 0 ? `the last saved checkpoint in ${out} is kept` : 'nothing was saved'}`);
          throw e;
        }
        history.push({ step: r.step, loss: r.loss, ce: r.ce, perGroup: r.expertLoad.filter((x) => x !== null).map((x) => x!.perGroup) });
        const dt = (performance.now() - t0) / 1000;
        const done = s + 1 - start;
        bar(io, s + 1, steps, r.loss, (done * batch * seq) / dt, (dt / done) * (steps - s - 1));
        if ((s + 1) % saveEvery === 0 || s + 1 === steps) save();
      }
      const last = history[history.length - 1];
      println(io.stdout, `wrote ${out} (step ${trainer.optimizer.step}${last ? `, loss ${last.loss.toFixed(4)}` : ''})`);
      return 0;
    } finally {
      trainer.dispose();
      ckpt.close();
    }
  },
};
