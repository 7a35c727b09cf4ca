/**
 * The loading helpers every model family uses (src/io/load.ts): join, expectShape (ShapeError
 * naming op and tensor; a missing tensor is the source's CheckpointError), loadTensor,
 * rejectUnused, and loadAll's all-or-nothing construction (everything registered is disposed when
 * the build throws, nothing when it succeeds).
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { CheckpointError, ShapeError } from '../../src/errors.js';
import { expectShape, join, loadAll, loadTensor, rejectUnused } from '../../src/io/load.js';
import { memoryWeights } from '../../src/io/weights.js';
import { forEachBackend } from '../support/backends.js';
import { expectNoLeak, expectThrowsNoLeak } from '../support/leak.js';

const w = memoryWeights({
  'a.weight': { dtype: 'F32', shape: [2, 3], data: [1, 2, 3, 4, 5, 6] },
  'a.bias': { dtype: 'F32', shape: [2], data: [0, 1] },
});

describe('join, expectShape, rejectUnused', () => {
  it('join adds a dot unless the prefix is empty', () => {
    expect(join('model.visual', 'merger')).toBe('model.visual.merger');
    expect(join('', 'lm_head.weight')).toBe('lm_head.weight');
  });

  it('expectShape passes on the right shape and names op, tensor, found and expected shapes otherwise', () => {
    expect(() => expectShape('Op', w, 'a.weight', [2, 3])).not.toThrow();
    expect(() => expectShape('Op', w, 'a.weight', [3, 2])).toThrow(ShapeError);
    expect(() => expectShape('Op', w, 'a.weight', [3, 2])).toThrow(/^Op: 'a\.weight' has shape \[2, 3\], expected \[3, 2\]$/);
    expect(() => expectShape('Op', w, 'a.weight', [2, 3, 1])).toThrow(/expected \[2, 3, 1\]/);
    expect(() => expectShape('Op', w, 'b.weight', [2, 3])).toThrow(CheckpointError);
  });

  it('rejectUnused throws a CheckpointError only when the tensor is present', () => {
    expect(() => rejectUnused('Op', w, 'a.missing', 'the config has no bias')).not.toThrow();
    expect(() => rejectUnused('Op', w, 'a.bias', 'the config has no bias')).toThrow(CheckpointError);
    expect(() => rejectUnused('Op', w, 'a.bias', 'the config has no bias')).toThrow(/^Op: 'a\.bias' is in the checkpoint but the config has no bias$/);
  });
});

forEachBackend(() => {
  describe('loadTensor and loadAll', () => {
    it('loadTensor checks the shape before allocating anything', async () => {
      await expectThrowsNoLeak(() => loadTensor('Op', w, 'a.bias', [3]), ShapeError, /'a\.bias' has shape \[2\], expected \[3\]/);
      const t = loadTensor('Op', w, 'a.weight', [2, 3]);
      expect(Array.from(t.dataSync())).toEqual([1, 2, 3, 4, 5, 6]);
      t.dispose();
    });

    it('a build that throws frees every part it registered (tensors and disposables), then rethrows', async () => {
      let freed = 0;
      const part = { dispose: () => void freed++ };
      await expectThrowsNoLeak(() => loadAll((own) => {
        own(loadTensor('Op', w, 'a.weight', [2, 3]));
        own(part);
        own(tf.zeros([4]));
        return loadTensor('Op', w, 'a.bias', [5]); // fails: everything above is freed
      }), ShapeError, /a\.bias/);
      expect(freed).toBe(1);
    });

    it('a build that succeeds returns its value and frees nothing', async () => {
      let freed = 0;
      await expectNoLeak(() => {
        const out = loadAll((own) => ({ t: own(loadTensor('Op', w, 'a.bias', [2])), p: own({ dispose: () => void freed++ }) }));
        expect(out.t.isDisposed).toBe(false);
        expect(freed).toBe(0);
        out.t.dispose();
      });
    });
  });
});
