import { parseArgs } from 'node:util';
import { initBackend } from '../../backend/index.js';
import { openCheckpoint } from '../../io/checkpoint.js';
import { type ComponentTensor, findComponent, listComponents, runComponent } from '../../io/components.js';
import { SafetensorsFile } from '../../io/safetensors.js';
import { checkOutputPath } from '../../io/fs-safe.js';
import { writeSafetensors } from '../../io/safetensors-write.js';
import { GRAD_COMPONENTS, runGrad } from '../../train/parity.js';
import { VERSION } from '../../version.js';
import { type CliIO, type Command, UsageError, println } from '../command.js';
import { loadComponents } from '../components/index.js';
import { backendFlag, choiceFlag } from '../flags.js';
import { budgetFlag } from '../memory.js';
import { MEMORY_BUDGET_ENV } from '../../io/budget.js';

function printList(io: CliIO, json: boolean): void {
  const list = listComponents();
  if (json) {
    const plain = list.map((c) => ({ name: c.name, description: c.description, inputs: c.inputs, outputs: c.outputs, reference: !!c.reference }));
    println(io.stdout, JSON.stringify(plain, null, 2));
    return;
  }
  for (const c of list) {
    println(io.stdout, `${c.name}${c.reference ? '' : '  (no reference implementation)'}\n  ${c.description}`);
    for (const i of c.inputs) {
      const shape = i.shape ? `[${i.shape.join(', ')}]` : i.shapes ? i.shapes.map((s) => `[${s.join(', ')}]`).join(' or ') : 'any shape';
      println(io.stdout, `  in   ${i.name} ${i.dtypes.join('|')} ${shape}${i.optional ? ' (optional)' : ''}: ${i.description}`);
    }
    for (const o of c.outputs) println(io.stdout, `  out  ${o.name} ${o.dtype}${o.optional ? ' (optional)' : ''}: ${o.description}`);
  }
}

function readInputs(file: string): Record<string, ComponentTensor> {
  const f = SafetensorsFile.open(file);
  try {
    return Object.fromEntries(f.names().map((n) => {
      const e = f.entry(n);
      return [n, { dtype: e.dtype, shape: e.shape, bytes: f.read(n) }];
    }));
  } finally {
    f.close();
  }
}

/** `intern-s1 run`: run one registered component on inputs from a safetensors file. */
export const run: Command = {
  name: 'run',
  summary: 'run one model component on named inputs from a safetensors file (the parity tool)',
  help: `Usage: intern-s1 run <checkpoint-dir|file> --component NAME --inputs in.safetensors --output out.safetensors
                    [--impl fast|reference] [--backend tensorflow|wasm|cpu] [--grad [--router-grad topk|ste]]
                    [--memory-budget BYTES]
       intern-s1 run --list [--json]

Loads only the weights the component needs, checks the inputs against its declaration (names,
dtypes F32/F64/I64/I32, shapes), runs it, and writes its outputs (F32; indices I32) with the
component, checkpoint, implementation, backend and version in the file's metadata. --list shows
the components.

Options:
  --impl fast         the TensorFlow.js implementation (default), on --backend (default: the
                      ladder, or INTERN_S1_BACKEND)
  --impl reference    the float64 reference implementation, where the component has one (it
                      uses no tfjs backend, so --backend does not apply)

Backward mode (--grad, fast path only; components text.layer.N and text):
  text.layer.N   inputs hidden_states [B, T, D], position_ids [B, T] (optional) and
                 grad_hidden_states [B, T, D] (the cotangent of the output); outputs
                 grad.hidden_states and grad.<weight name> for every weight of layer N
                 (and the FoPE coefficients rotary_emb.cos_coef / sin_coef where present)
  text           inputs input_ids [B, T] and labels [B, T] (-100 ignored); outputs loss (mean
                 next-token cross-entropy of logits[:, :-1] against labels[:, 1:], no
                 auxiliary loss) and grad.<weight name> for every text weight
  Routing is the forward's; an expert no token chose gets a zero gradient. --router-grad ste
  passes the gate gradient straight through to the full softmax (default topk: the true one).

Memory: the whole-model components (text, model) hold the weights within a memory budget
(--memory-budget 8G, else INTERN_S1_MEMORY_BUDGET, else what the backend holds: wasm 3 GiB, cpu and
tensorflow half the RAM); layers that do not fit are read and decoded from the checkpoint when
their turn comes, then released. The outputs are the same. 'intern-s1 inspect' shows the plan.

The parity workflow: dump inputs from PyTorch with safetensors.torch.save_file, run the same
component here, and compare the two output files (see docs/guides/checkpoints.md).

Examples:
  intern-s1 run --list
  intern-s1 run /models/Intern-S1-Pro --component text.embed --inputs ids.safetensors --output emb.safetensors
  intern-s1 run /models/Intern-S1-Pro --component text.embed --inputs ids.safetensors --output ref.safetensors --impl reference`,
  async run(argv, io) {
    const { values, positionals } = parseArgs({
      args: argv, allowPositionals: true,
      options: {
        component: { type: 'string' }, inputs: { type: 'string' }, output: { type: 'string' }, impl: { type: 'string' }, backend: { type: 'string' },
        list: { type: 'boolean' }, json: { type: 'boolean' }, grad: { type: 'boolean' }, 'router-grad': { type: 'string' },
        'memory-budget': { type: 'string' },
      },
    });
    await loadComponents();
    if (values.list) {
      printList(io, values.json ?? false);
      return 0;
    }
    if (positionals.length !== 1) throw new UsageError('run needs exactly one checkpoint folder or file (see intern-s1 run --help)');
    for (const k of ['component', 'inputs', 'output'] as const) if (!values[k]) throw new UsageError(`run needs --${k}`);
    const name = values.component!;
    if (!findComponent(name)) {
      throw new UsageError(`unknown component '${name}'; registered: ${listComponents().map((c) => c.name).join(', ')} (intern-s1 run --list)`);
    }
    const impl = choiceFlag('impl', values.impl, ['fast', 'reference']) ?? 'fast';
    const routerGrad = choiceFlag('router-grad', values['router-grad'], ['topk', 'ste']);
    if (routerGrad && !values.grad) throw new UsageError('--router-grad applies to the backward mode (--grad)');
    if (values.grad && impl === 'reference') throw new UsageError('--grad runs the fast path only (its float64 check is the PyTorch-autograd fixture test, test/train/torch-fixtures.test.ts)');
    if (values.grad && !GRAD_COMPONENTS.some((c) => findComponent(name)?.spec.name === c)) {
      throw new UsageError(`--grad supports the components ${GRAD_COMPONENTS.join(', ')}, not '${name}'`);
    }
    const backend = backendFlag(values.backend);
    const budget = budgetFlag(values['memory-budget']);
    if (impl === 'reference' && backend !== undefined) throw new UsageError('--backend selects the tfjs backend of --impl fast; --impl reference runs without one');
    const active = impl === 'reference' ? undefined : (await initBackend(backend)).backend;
    const inputs = readInputs(values.inputs!);
    const ckpt = openCheckpoint(positionals[0]);
    // The components read the budget from the environment (their context has no options): set it for this run.
    const envBefore = process.env[MEMORY_BUDGET_ENV];
    if (budget !== undefined) process.env[MEMORY_BUDGET_ENV] = String(budget);
    try {
      // before any compute: the output must not be a folder, a dangling link, or one of the files
      // this command reads (the inputs, the checkpoint's own shards; issue #12 items 4 and 10)
      const guard = { what: '--output', inputs: [values.inputs!, ...ckpt.files] };
      checkOutputPath(values.output!, guard);
      const t0 = performance.now();
      const outs = values.grad ? runGrad(name, ckpt, inputs, { routerGradient: routerGrad }) : await runComponent(name, ckpt, inputs, impl);
      const ms = performance.now() - t0;
      writeSafetensors(values.output!, Object.fromEntries(Object.entries(outs).map(([k, o]) => [k, { dtype: o.dtype, shape: o.shape, data: o.data }])), {
        component: values.grad ? `${name} --grad${routerGrad === 'ste' ? ' --router-grad ste' : ''}` : name, checkpoint: ckpt.path, implementation: impl, ...(active ? { backend: active } : {}), version: `intern-s1-ts ${VERSION}`,
      }, guard);
      for (const [k, o] of Object.entries(outs)) println(io.stdout, `${k}: ${o.dtype} [${o.shape.join(', ')}]`);
      println(io.stdout, `wrote ${values.output} (${name} ${impl === 'reference' ? 'in the reference implementation' : `on ${active}`}, ${ms.toFixed(1)} ms)`);
      return 0;
    } finally {
      if (budget !== undefined) {
        if (envBefore === undefined) delete process.env[MEMORY_BUDGET_ENV];
        else process.env[MEMORY_BUDGET_ENV] = envBefore;
      }
      ckpt.close();
    }
  },
};
