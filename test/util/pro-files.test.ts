/** The gate of the tests that need the Intern-S1-Pro files (test/support/pro-files.ts). */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { proName, proSkipReason } from '../support/pro-files.js';

describe('INTERN_S1_PRO_FILES gate', () => {
  it('names the reason a test is skipped: no variable, no folder, no file; none when all are there', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pro-files-'));
    try {
      writeFileSync(path.join(dir, 'config.json'), '{}');
      expect(proSkipReason('config.json', '')).toBe('INTERN_S1_PRO_FILES is not set'); // unset (an empty value counts as unset)
      expect(proSkipReason(undefined, path.join(dir, 'nope'))).toBe(`INTERN_S1_PRO_FILES=${path.join(dir, 'nope')} not found`);
      expect(proSkipReason('vocab.json', dir)).toBe(`${path.join(dir, 'vocab.json')} not found`);
      expect(proSkipReason('config.json', dir)).toBeNull();
      expect(proSkipReason(undefined, dir)).toBeNull();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('puts the reason in the registered name', () => {
    expect(proName('reads config.json', 'INTERN_S1_PRO_FILES is not set')).toBe('reads config.json [skipped: INTERN_S1_PRO_FILES is not set]');
    expect(proName('reads config.json', null)).toBe('reads config.json');
  });
});
