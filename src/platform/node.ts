/**
 * Installs the whole Node host ({@link NodeHost}): file readers by path and tokenizer folders
 * (`node-files.ts`), checkpoint folders and PNG decoding. Imported for its effect by the Node
 * entries (`src/index.ts`, the CLI, the benches, the test setup); never reachable from the
 * browser entries (test/browser/bundle.test.ts checks it).
 *
 * @module
 */
import './node-files.js';
// The worker pool behind setThreads / INTERN_S1_THREADS (issue 15).
import '../backend/pool.js';
import { openCheckpoint } from '../io/checkpoint.js';
import { decodePng } from '../image/decode-png.js';
import { totalmem } from 'node:os';
import { installNodeHost, type NodeHost } from './host.js';

installNodeHost({ openCheckpoint, decodePng, totalMemory: () => totalmem() } satisfies Partial<NodeHost>);
