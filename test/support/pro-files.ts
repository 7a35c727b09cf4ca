/**
 * Tests that need the real Intern-S1-Pro files (tokenizer, config.json, preprocessor_config.json)
 * read them from the folder named by INTERN_S1_PRO_FILES. When it is unset, or lacks the file a
 * test needs, the tests still register, as skipped, with the reason in their name, so that the
 * run's counts show what did not run (issue #13 part 6).
 *
 * @module
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'vitest';

/** The folder of the real Intern-S1-Pro files, or undefined when INTERN_S1_PRO_FILES is unset. */
export const PRO_DIR = process.env.INTERN_S1_PRO_FILES || undefined;

/** Why tests needing `file` (a name inside the folder; none: just the folder) cannot run, or null when they can (`dir` empty: unset). */
export function proSkipReason(file?: string, dir: string | undefined = PRO_DIR): string | null {
  if (!dir) return 'INTERN_S1_PRO_FILES is not set';
  if (file !== undefined && !existsSync(path.join(dir, file))) return `${path.join(dir, file)} not found`;
  if (file === undefined && !existsSync(dir)) return `INTERN_S1_PRO_FILES=${dir} not found`;
  return null;
}

/** A test or suite name with the skip reason appended when there is one. */
export function proName(name: string, reason: string | null): string {
  return reason === null ? name : `${name} [skipped: ${reason}]`;
}

/**
 * `describe` over the Pro folder: `fn(dir)` declares the tests. Without the folder (or `file` in
 * it) the suite and all its tests register as skipped, the reason in the suite name; `fn` then
 * gets a placeholder path and must only read files inside hooks and tests (which do not run).
 */
export function describePro(name: string, fn: (dir: string) => void, file?: string): void {
  const reason = proSkipReason(file);
  describe.skipIf(reason !== null)(proName(name, reason), () => fn(PRO_DIR ?? '<INTERN_S1_PRO_FILES unset>'));
}

/** `it` that needs `file` from the Pro folder: skipped, the reason in its name, when it is missing. */
export function itPro(name: string, file: string, fn: (filePath: string) => void | Promise<void>): void {
  const reason = proSkipReason(file);
  it.skipIf(reason !== null)(proName(name, reason), () => fn(path.join(PRO_DIR ?? '', file)));
}
