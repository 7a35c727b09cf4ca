/**
 * The browser entry offers the Node entry's API minus the Node-only names listed here, plus the
 * browser ladder's helpers (issue 14): a name added to src/index.ts must reach src/browser.ts too,
 * or be listed below with its reason. And without the Node host (a browser bundle never installs
 * it) a call that needs a path fails with a BackendError naming the browser alternative.
 */
import { describe, expect, it, vi } from 'vitest';
import * as browser from '../../src/browser.js';
import * as main from '../../src/index.js';

/** Value exports of the Node entry that read or write files by path (Node only). */
const NODE_ONLY = [
  'FileReader', 'openCheckpoint', 'openSafetensors', 'readConfig', 'initTiny', 'writeSafetensors',
  // in-memory, but in modules that also write files (safetensors-write.ts, tiny.ts): a later split
  'serializeSafetensors', 'tinyTensors',
  // training checkpoints and trainer state, written to / read from folders (train/checkpoint.ts)
  'loadTrainerState', 'saveTrainedModel', 'saveTrainerState',
];
/** Value exports only the browser entry has: the browser ladder's probe and helpers. */
const BROWSER_ONLY = ['isSoftwareAdapter', 'planBrowserLadder', 'probeBrowser', 'wasmCdnPath'];

describe('the browser entry', () => {
  const b = Object.keys(browser).sort();
  const m = Object.keys(main).sort();

  it('has every Node entry export except the Node-only ones, and nothing Node-only', () => {
    expect(m.filter((n) => !NODE_ONLY.includes(n) && !b.includes(n))).toEqual([]);
    expect(b.filter((n) => NODE_ONLY.includes(n))).toEqual([]);
    expect(NODE_ONLY.every((n) => m.includes(n))).toBe(true);
    expect(b.filter((n) => !m.includes(n))).toEqual(BROWSER_ONLY);
  });

  it('shares the objects of the Node entry (one implementation), except the backend ladder', () => {
    const differ = b.filter((n) => m.includes(n) && (browser as Record<string, unknown>)[n] !== (main as Record<string, unknown>)[n]);
    expect(differ).toEqual(['backendInfo', 'initBackend']);
  });
});

describe('without the Node host', () => {
  it('calls that need a path throw a BackendError naming the browser alternative', async () => {
    vi.resetModules(); // a fresh host registry, as in a page where src/platform/node.ts never ran
    const host = await import('../../src/platform/host.js');
    const errors = await import('../../src/errors.js');
    expect(host.hasNodeHost()).toBe(false);
    expect(() => host.nodeHost('SafetensorsFile.open(path)', 'openSafetensorsSource(url | Blob)', 'openFile'))
      .toThrow(errors.BackendError);
    expect(() => host.nodeHost('SafetensorsFile.open(path)', 'openSafetensorsSource(url | Blob)', 'openFile'))
      .toThrow(/SafetensorsFile\.open\(path\) needs Node .* In a browser use openSafetensorsSource\(url \| Blob\)/);
    const st = await import('../../src/io/safetensors.js');
    expect(() => st.SafetensorsFile.open('/tmp/x.safetensors')).toThrow(/needs Node/);
    host.installNodeHost({ readFile: () => new Uint8Array(0) });
    expect(host.hasNodeHost()).toBe(true);
    expect(() => host.nodeHost('x', 'y', 'openFile')).toThrow(/x needs Node/); // a partial host lacks the rest
    vi.resetModules();
  });
});
