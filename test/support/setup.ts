/**
 * Global test setup: fast-check runs seeded (FC_SEED overrides the default) with a bounded number
 * of runs (FC_NUM_RUNS overrides). fast-check prints the seed and path of any failure.
 */
import fc from 'fast-check';

const seed = process.env.FC_SEED ? Number(process.env.FC_SEED) : 20261129;
const numRuns = process.env.FC_NUM_RUNS ? Number(process.env.FC_NUM_RUNS) : 25;
fc.configureGlobal({ seed, numRuns, endOnFailure: true });
