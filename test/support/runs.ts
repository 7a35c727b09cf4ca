/**
 * How many runs a property test makes. Every property states its own `numRuns`, sized so that
 * the default suite stays fast; `FC_NUM_RUNS` scales all of them at once:
 *
 *     FC_NUM_RUNS=10 npx vitest run --config test/vitest.config.ts test/ops   # 10x the runs
 *     FC_NUM_RUNS=0.2 ...                                                     # a quick pass
 *
 * It is a multiplier (default 1), not a count: `runs(n)` is `max(1, round(n · FC_NUM_RUNS))`, and
 * the global default of properties that state nothing is `runs(25)`. Seeds are unchanged
 * (`FC_SEED`), so a larger run first replays the default run's cases, then goes further.
 */

/** The multiplier read from `FC_NUM_RUNS` (1 when unset). */
export const FC_RUNS_MULTIPLIER = parseMultiplier(process.env.FC_NUM_RUNS);

/** Parse `FC_NUM_RUNS`: unset or empty is 1; anything but a finite number > 0 is an error. */
export function parseMultiplier(text: string | undefined): number {
  if (text === undefined || text.trim() === '') return 1;
  const m = Number(text);
  if (!Number.isFinite(m) || !(m > 0)) throw new Error(`FC_NUM_RUNS must be a number > 0 (a multiplier of every property's runs), got '${text}'`);
  return m;
}

/** `n` runs scaled by `FC_NUM_RUNS` (at least 1). */
export function runs(n: number, multiplier = FC_RUNS_MULTIPLIER): number {
  return Math.max(1, Math.round(n * multiplier));
}
