import { parseArgs } from 'node:util';
import { type BackendName, initBackend } from '../../backend/index.js';
import { openCheckpoint } from '../../io/checkpoint.js';
import { type ComponentTensor, findComponent, listComponents, runComponent } from '../../io/components.js';
import { SafetensorsFile } from '../../io/safetensors.js';
import { writeSafetensors } from '../../io/safetensors-write.js';
import { VERSION } from '../../version.js';
import { type CliIO, type Command, UsageError, println } from '../command.js';
import { loadComponents } from '../components/index.js';

const BACKENDS = ['tensorflow', 'wasm', 'cpu', 'reference'] as const;

function printList(io: CliIO, json: boolean): void {
  const list = listComponents();
  if (json) {
    const plain = list.map((c) => ({ name: c.name, description: c.description, inputs: c.inputs, outputs: c.outputs, reference: !!c.reference }));
    println(io.stdout, JSON.stringify(plain, null, 2));
    return;
  }
  for (const c of list) {
    println(io.stdout, `${c.name}${c.reference ? '' : '  (no reference backend)'}\n  ${c.description}`);
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
                    [--backend tensorflow|wasm|cpu|reference]
       intern-s1 run --list [--json]

Loads only the weights the component needs, checks the inputs against its declaration (names,
dtypes F32/F64/I64/I32, shapes), runs it, and writes its outputs (F32; indices I32) with the
component, checkpoint, backend and version in the file's metadata. --backend reference runs the
float64 reference implementation where the component has one. --list shows the components.

The parity workflow: dump inputs from PyTorch with safetensors.torch.save_file, run the same
component here, and compare the two output files (see docs/guides/checkpoints.md).

Examples:
  intern-s1 run --list
  intern-s1 run /models/Intern-S1-Pro --component text.embed --inputs ids.safetensors --output emb.safetensors`,
  async run(argv, io) {
    const { values, positionals } = parseArgs({
      args: argv, allowPositionals: true,
      options: {
        component: { type: 'string' }, inputs: { type: 'string' }, output: { type: 'string' }, backend: { type: 'string' },
        list: { type: 'boolean' }, json: { type: 'boolean' },
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
    const backend = values.backend ?? 'default';
    if (values.backend !== undefined && !BACKENDS.includes(values.backend as never)) {
      throw new UsageError(`--backend must be one of ${BACKENDS.join(', ')}, got '${values.backend}'`);
    }
    const active = backend === 'reference' ? 'reference' : (await initBackend(values.backend as BackendName | undefined)).backend;
    const inputs = readInputs(values.inputs!);
    const ckpt = openCheckpoint(positionals[0]);
    try {
      const t0 = performance.now();
      const outs = await runComponent(name, ckpt, inputs, backend === 'reference' ? 'reference' : 'fast');
      const ms = performance.now() - t0;
      writeSafetensors(values.output!, Object.fromEntries(Object.entries(outs).map(([k, o]) => [k, { dtype: o.dtype, shape: o.shape, data: o.data }])), {
        component: name, checkpoint: ckpt.path, backend: active, version: `intern-s1-ts ${VERSION}`,
      });
      for (const [k, o] of Object.entries(outs)) println(io.stdout, `${k}: ${o.dtype} [${o.shape.join(', ')}]`);
      println(io.stdout, `wrote ${values.output} (${name} on ${active}, ${ms.toFixed(1)} ms)`);
      return 0;
    } finally {
      ckpt.close();
    }
  },
};
