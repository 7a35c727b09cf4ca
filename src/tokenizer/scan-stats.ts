/**
 * Work counters of the fast tokenizer's scans, for tests that check linear behaviour without
 * timing anything (issue #12 item 8). Kept out of detectors.ts so that module keeps the same
 * exports as its reference twin.
 *
 * @module
 */

/** Scratch entries allocated by the SMILES candidate scan so far (Int32 entries, never reset). */
export const smilesScanStats = { scratchAllocated: 0 };
