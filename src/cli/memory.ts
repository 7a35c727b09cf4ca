/**
 * The CLI's side of memory budgets (issue 19): the `--memory-budget` flag and the one-line
 * summary of a streaming plan that `generate` and `run` print.
 *
 * @module
 */
import { formatBytes, type MemoryPlan, parseByteSize } from '../io/budget.js';
import { UsageError } from './command.js';

/** `--memory-budget` as bytes (undefined when absent); a bad value is a UsageError (exit 2). */
export function budgetFlag(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  try {
    return parseByteSize(value, '--memory-budget');
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/**
 * One line describing a plan that streams, or null when everything is resident (nothing to say,
 * so the output of a run that fits is what it was before budgets existed).
 */
export function planLine(p: MemoryPlan, layers: number): string | null {
  if (!p.streamedLayers.length && p.lmHead.mode === 'resident') return null;
  const head = p.lmHead.mode === 'resident' ? 'lm_head resident' : `lm_head in ${p.lmHead.slices} slices`;
  return `budget ${formatBytes(p.budget)} (${p.source}): ${p.residentLayers} of ${layers} layers resident, ${p.streamedLayers.length} streamed, ${head}; ${formatBytes(p.readBytesPerToken)} read per token`;
}
