#!/usr/bin/env python3
"""PyTorch side of `npm run bench -- --peers` (issue 15, item 6). Not run in CI.

Usage (the TypeScript runner, bench/peers/peers.ts, spawns it; by hand for one workload):

    OMP_NUM_THREADS=1 LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp \\
        /usr/bin/python3 bench/peers/torch_peers.py DIR WORKLOAD THREADS

DIR holds WORKLOAD.json (shapes and config) and WORKLOAD.safetensors (inputs, weights and
`expected`, the output intern-s1-ts computed from them), both written by the runner, so both
sides use the same weights and inputs. The script builds the workload in PyTorch (float32,
inference mode), runs it once to warm up (the time-series encoder warms up on a short signal),
times one call, compares its output with `expected` (relative error ||a - b|| / ||b||, as
bench/harness.ts's validate) and prints one JSON line: ms, rel, threads, and the BLAS library
actually mapped into the process (read from /proc/self/maps), so a run on netlib's reference
BLAS cannot pass for OpenBLAS.

Workloads (same semantics as the TypeScript layers named in the runner):
* matmul: a @ b.
* vit: one InternViT encoder layer (pre-LN LayerNorm, q/k/v with bias, projection_layer,
  layer scale lambda_1/lambda_2, MLP fc1 -> exact GELU -> fc2), one image of T tokens.
* moe: Qwen3 MoE sparse block (router softmax in float32, top-k, renormalised, SwiGLU experts
  down(silu(gate x) * up x)), the HF loop over the experts that received tokens.
* attention: causal GQA attention, q [T, H, d], k, v [T, Hkv, d], scale d^-1/2.
* ts: the Intern-S1-Pro time-series tower (test/fixtures/time-series/make_fixtures.py's modules:
  torch's own nn.TransformerEncoderLayer for the patch encoder), processor included.
"""
import importlib.util
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))


def load_safetensors(path):
    """F32 tensors of a safetensors file (the format is an 8-byte header length, a JSON header, data)."""
    with open(path, 'rb') as f:
        buf = f.read()
    n = int.from_bytes(buf[:8], 'little')
    header = json.loads(buf[8:8 + n])
    base = 8 + n
    out = {}
    for name, info in header.items():
        if name == '__metadata__':
            continue
        assert info['dtype'] == 'F32', (name, info['dtype'])
        s, e = info['data_offsets']
        arr = np.frombuffer(buf, dtype=np.float32, count=(e - s) // 4, offset=base + s).reshape(info['shape'])
        out[name] = torch.from_numpy(arr.copy())
    return out


def act_fn(name):
    if name == 'gelu':
        return F.gelu
    if name in ('gelu_new', 'gelu_pytorch_tanh', 'gelu_fast'):
        return lambda x: F.gelu(x, approximate='tanh')
    if name in ('silu', 'swish'):
        return F.silu
    if name == 'relu':
        return F.relu
    raise ValueError(f'unknown activation {name}')


def blas_library():
    try:
        with open('/proc/self/maps') as f:
            libs = sorted({line.split()[-1] for line in f if 'blas' in line.lower() and '/' in line})
        return ', '.join(libs) or 'none mapped'
    except OSError:
        return 'unknown'


# ---- workloads: each returns (warm-up call, timed call) ----------------------------------------

def matmul(spec, t):
    a, b = t['a'], t['b']
    run = lambda: a @ b  # noqa: E731
    return run, run


def vit(spec, t):
    C, H, eps = spec['hidden'], spec['heads'], spec['eps']
    act = act_fn(spec['act'])
    w = lambda n: t[f'layer.{n}']  # noqa: E731
    x = t['x']  # [T, C]

    def run():
        T = x.shape[0]
        d = C // H
        n1 = F.layer_norm(x, (C,), w('layernorm_before.weight'), w('layernorm_before.bias'), eps)
        q = F.linear(n1, w('attention.q_proj.weight'), w('attention.q_proj.bias')).view(T, H, d).transpose(0, 1)
        k = F.linear(n1, w('attention.k_proj.weight'), w('attention.k_proj.bias')).view(T, H, d).transpose(0, 1)
        v = F.linear(n1, w('attention.v_proj.weight'), w('attention.v_proj.bias')).view(T, H, d).transpose(0, 1)
        p = torch.softmax((q * d ** -0.5) @ k.transpose(1, 2), dim=-1)
        a = (p @ v).transpose(0, 1).reshape(T, C)
        h = x + w('lambda_1') * F.linear(a, w('attention.projection_layer.weight'), w('attention.projection_layer.bias'))
        n2 = F.layer_norm(h, (C,), w('layernorm_after.weight'), w('layernorm_after.bias'), eps)
        m = F.linear(act(F.linear(n2, w('mlp.fc1.weight'), w('mlp.fc1.bias'))), w('mlp.fc2.weight'), w('mlp.fc2.bias'))
        return h + w('lambda_2') * m
    return run, run


def moe(spec, t):
    E, K = spec['experts'], spec['topk']
    act = act_fn(spec['act'])
    x = t['x']  # [N, D]
    gate = t['mlp.gate.weight']
    ex = [(t[f'mlp.experts.{e}.gate_proj.weight'], t[f'mlp.experts.{e}.up_proj.weight'], t[f'mlp.experts.{e}.down_proj.weight']) for e in range(E)]

    def run():
        probs = torch.softmax(F.linear(x, gate).float(), dim=-1)
        w, idx = torch.topk(probs, K, dim=-1)
        w = w / w.sum(dim=-1, keepdim=True)
        y = torch.zeros_like(x)
        mask = F.one_hot(idx, E).permute(2, 1, 0)  # [E, K, N]
        for e in range(E):
            k_i, tok = torch.where(mask[e])
            if tok.numel() == 0:
                continue
            g, u, dn = ex[e]
            xe = x[tok]
            ye = F.linear(act(F.linear(xe, g)) * F.linear(xe, u), dn) * w[tok, k_i, None]
            y.index_add_(0, tok, ye)
        return y
    return run, run


def attention(spec, t):
    q, k, v = t['q'], t['k'], t['v']  # [T, H, d], [T, Hkv, d], [T, Hkv, d]
    T, H, d = q.shape
    Hkv = k.shape[1]
    R = H // Hkv
    causal = torch.triu(torch.full((T, T), float('-inf')), diagonal=1)

    def run():
        outs = []
        for g in range(Hkv):
            qg = q[:, g * R:(g + 1) * R].transpose(0, 1) * d ** -0.5  # [R, T, d]
            s = qg @ k[:, g].t() + causal  # [R, T, T]
            outs.append((torch.softmax(s, dim=-1) @ v[:, g]).transpose(0, 1))  # [T, R, d]
        return torch.cat(outs, dim=1)  # [T, H, d]
    return run, run


def ts(spec, t):
    spec_path = os.path.join(HERE, '..', '..', 'test', 'fixtures', 'time-series', 'make_fixtures.py')
    mod_spec = importlib.util.spec_from_file_location('ts_fixtures', spec_path)
    fx = importlib.util.module_from_spec(mod_spec)
    mod_spec.loader.exec_module(fx)
    cfg = spec['config']
    fx.CFG.update({k: cfg[k] for k in fx.CFG})
    assert cfg['activation_function'] == 'gelu', 'the fixture modules hard-code exact GELU'
    tower = fx.Tower()
    sd = tower.state_dict()
    prefix = 'model.time_series.'
    for name, value in t.items():
        if not name.startswith(prefix) or name.endswith('pos_encoder.pe'):
            continue
        key = name[len(prefix):]
        assert key in sd and tuple(sd[key].shape) == tuple(value.shape), (key, value.shape)
        sd[key] = value
    tower.load_state_dict(sd)
    tower.eval()
    raw = t['signal'].numpy()
    sr = spec['sampling_rate']

    def encode(x):
        z = fx.preprocess(x).astype(np.float32)  # float64 statistics, float32 values (as the fast path)
        T = z.shape[0]
        s = fx.stride64(sr)
        p = 2 * s
        L1 = int(math.ceil((T - p) / s)) + 1
        pad = (L1 - 1) * s + p - T
        seq = F.pad(torch.from_numpy(z), (0, 0, 0, pad))
        idx = (torch.arange(0, L1 * s, s).unsqueeze(1) + torch.arange(p)).long()
        patched = seq[idx]  # [L1, p, C]
        # Patches in batches of about 16k positions, as the fast path (rows are independent): the
        # same bounded memory on both sides, and no multi-GB FFN activation at 10^5+ samples.
        B = max(2, 2 * (16384 // (2 * p * z.shape[1])))
        e1 = torch.cat([tower.encoder_embed(patched[i:i + B]) for i in range(0, L1, B)], dim=0)
        L2 = L1 // 2
        e2 = torch.cat([e1[0:2 * L2:2], e1[1:2 * L2:2]], dim=1)
        return tower.projector(tower.encoder(e2))
    return (lambda: encode(raw[:2000])), (lambda: encode(raw))


WORKLOADS = dict(matmul=matmul, vit=vit, moe=moe, attention=attention, ts=ts)


def main():
    folder, name, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
    torch.set_num_threads(threads)
    with open(os.path.join(folder, f'{name}.json')) as f:
        spec = json.load(f)
    tensors = load_safetensors(os.path.join(folder, f'{name}.safetensors'))
    expected = tensors.pop('expected')
    with torch.inference_mode():
        warm, run = WORKLOADS[spec['kind']](spec, tensors)
        warm()
        t0 = time.perf_counter()
        out = run()
        ms = (time.perf_counter() - t0) * 1000
    a = out.reshape(-1).double()
    b = expected.reshape(-1).double()
    assert a.numel() == b.numel(), (a.numel(), b.numel())
    rel = float((a - b).norm() / max(float(b.norm()), 1e-30))
    print(json.dumps(dict(ms=ms, rel=rel, threads=torch.get_num_threads(), blas=blas_library(), torch=torch.__version__)))


if __name__ == '__main__':
    main()
