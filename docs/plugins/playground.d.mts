/** Types of playground.mjs for the TypeScript that imports it (test/playground/, bench/browser/). */
export function buildPlayground(outDir: string, opts?: { minify?: boolean }): { files: string[]; bytes: number };
export function load(app: unknown): void;
