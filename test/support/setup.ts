/**
 * Global test setup: fast-check runs seeded (FC_SEED overrides the default), and every property's
 * number of runs is scaled by the FC_NUM_RUNS multiplier (see runs.ts; properties that state no
 * numRuns make runs(25)). fast-check prints the seed and path of any failure.
 */
import fc from 'fast-check';
import { runs } from './runs.js';
// Node host (file access by path, PNG decoding) for tests that import modules directly.
import '../../src/platform/node.js';

const seed = process.env.FC_SEED ? Number(process.env.FC_SEED) : 20261129;
fc.configureGlobal({ seed, numRuns: runs(25), endOnFailure: true });
