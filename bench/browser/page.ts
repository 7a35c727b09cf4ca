/**
 * The browser bench page's script (bundled by `run.ts`): exposes `window.runBench(suite,
 * backends, quick)` (tasks.ts) for the launcher to call.
 */
import { runSuite } from './tasks.js';

(globalThis as unknown as { runBench: typeof runSuite }).runBench = runSuite;
