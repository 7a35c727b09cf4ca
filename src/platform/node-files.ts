/**
 * Installs the tfjs-free part of the Node host: file readers by path and tokenizer folders. The
 * reference's Node entry (`reference/node.ts`) imports this; `node.ts` imports it and adds the
 * rest. Never reachable from the browser entries (test/browser/bundle.test.ts).
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { FileReader } from '../io/file-reader.js';
import { refuseSpecialFile } from '../io/fs-safe.js';
import { readTokenizerDir } from '../tokenizer/read-dir.js';
import { installNodeHost } from './host.js';

installNodeHost({
  openFile: (p: string) => new FileReader(p),
  readFile: (p: string, what = 'file') => {
    refuseSpecialFile(p, what); // a FIFO would block readFileSync forever
    return readFileSync(p);
  },
  readTokenizerDir,
});
