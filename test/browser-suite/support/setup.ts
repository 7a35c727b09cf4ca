import fc from 'fast-check';
import { runs } from '../../support/runs.js';
const seed = process.env.FC_SEED ? Number(process.env.FC_SEED) : 20261129;
fc.configureGlobal({ seed, numRuns: runs(25), endOnFailure: true });
