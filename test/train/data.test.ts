/** Training data helpers (issue 16, item 4): corpus documents, packing, the seeded batch order. */
import { describe, expect, it } from 'vitest';
import { ValueError } from '../../src/errors.js';
import { batchIndices, corpusDocuments, packSequences } from '../../src/train/data.js';
import { trainingSvg } from '../../src/train/svg.js';

describe('training data', () => {
  it('splits plain text on blank lines and JSONL on lines (text field or JSON string)', () => {
    expect(corpusDocuments('a b\nc\n\n\n d \n', 'text')).toEqual(['a b\nc', 'd']);
    expect(corpusDocuments('{"text": "x"}\n\n"y"\n', 'jsonl')).toEqual(['x', 'y']);
    expect(() => corpusDocuments(' \n\n', 'text')).toThrow(/the corpus is empty/);
    expect(() => corpusDocuments('{"text": 1}', 'jsonl')).toThrow(/line 1 has no string 'text' field/);
    expect(() => corpusDocuments('{"a"\n', 'jsonl')).toThrow(ValueError);
  });

  it('packs documents with eos after each into windows of T, dropping the tail', () => {
    expect(packSequences([[1, 2], [3]], 9, 2)).toEqual([[1, 2], [9, 3]]);
    expect(() => packSequences([[1]], 9, 3)).toThrow(/2 tokens, fewer than one sequence of --seq 3/);
  });

  it('batch order: every sequence once per epoch, fixed by the seed, different for another seed', () => {
    const epoch = Array.from({ length: 5 }, (_, s) => batchIndices(10, 2, s, 7)).flat();
    expect([...epoch].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(batchIndices(10, 2, 3, 7)).toEqual(batchIndices(10, 2, 3, 7));
    const other = Array.from({ length: 5 }, (_, s) => batchIndices(10, 2, s, 8)).flat();
    expect(other).not.toEqual(epoch);
    const next = Array.from({ length: 5 }, (_, s) => batchIndices(10, 2, s + 5, 7)).flat();
    expect([...next].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]); // epoch 2 too
  });

  it('the chart has a loss panel, and a group panel for MoE histories', () => {
    const dense = trainingSvg([{ step: 1, loss: 3, ce: 3, perGroup: [] }, { step: 2, loss: 2, ce: 2, perGroup: [] }]);
    expect(dense).toMatch(/^<svg[^>]+height="220"/);
    expect(dense).not.toContain('group 0');
    const moe = trainingSvg([{ step: 1, loss: 3, ce: 2.9, perGroup: [[6, 2]] }, { step: 2, loss: 2, ce: 1.9, perGroup: [[4, 4]] }]);
    expect(moe).toContain('group 1');
    expect((moe.match(/<polyline/g) ?? []).length).toBe(4);
  });
});
