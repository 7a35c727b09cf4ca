/**
 * A small static file server on `node:http` for pages that need cross-origin isolation: every
 * answer carries `Cross-Origin-Opener-Policy: same-origin`, `Cross-Origin-Embedder-Policy:
 * require-corp` and `Cross-Origin-Resource-Policy: same-origin`, so a page it serves has
 * `crossOriginIsolated === true` (SharedArrayBuffer, hence tfjs-wasm's threaded SIMD build). Used
 * by `intern-s1 serve-docs` (the docs site and its playground) and by the browser benchmarks
 * (`bench/browser/`).
 *
 * GET and HEAD only; a folder answers with its `index.html`; `Range: bytes=a-b` (one range) gets a
 * 206 with `Content-Range`, as the library's URL readers require; a path that leaves its root
 * (`..`, an encoded `/`, a symbolic link pointing outside) is a 404, never a file outside the root.
 * `mounts` serves other folders under a URL prefix (the tokenizer folder of `serve-docs --files`).
 *
 * @module
 */
import { createReadStream, realpathSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

/** The headers that make a page cross-origin isolated (COOP + COEP), plus CORP for its resources. */
export const ISOLATION_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
});

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.json': 'application/json; charset=utf-8', '.svg': 'image/svg+xml',
  '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.wasm': 'application/wasm', '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8', '.ico': 'image/x-icon', '.woff2': 'font/woff2',
};

/** Options of {@link startStaticServer}. */
export interface StaticServerOptions {
  /** The folder served at `/`. */
  readonly root: string;
  /** Other folders served under a URL prefix, e.g. `{ '/tokenizer/': '/data/Intern-S1-Pro' }` (prefixes start and end with `/`). */
  readonly mounts?: Readonly<Record<string, string>>;
  /** Interface to listen on (default 127.0.0.1). */
  readonly host?: string;
  /** Port (default 8080; 0 picks a free one). */
  readonly port?: number;
}

/** A running static server. */
export interface StaticServerHandle {
  readonly server: Server;
  /** `http://host:port` */
  readonly url: string;
  /** Stop listening and close open connections. */
  close(): Promise<void>;
}

/** The file a URL path names under `folders` (prefix -> real folder), or undefined when none may be served. */
export function resolveStaticPath(urlPath: string, folders: readonly (readonly [string, string])[]): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return undefined;
  for (const [prefix, dir] of folders) {
    if (!decoded.startsWith(prefix)) continue;
    const rel = decoded.slice(prefix.length);
    if (rel.split('/').some((p) => p === '..')) return undefined;
    let file = path.join(dir, rel);
    try {
      if (statSync(file).isDirectory()) file = path.join(file, 'index.html');
      const real = realpathSync(file);
      if (real !== dir && !real.startsWith(dir + path.sep)) return undefined; // a link out of the folder
      return statSync(real).isFile() ? real : undefined;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** `[start, end]` (inclusive) of a `bytes=a-b` / `bytes=a-` / `bytes=-n` header for a file of `size` bytes, or null when unsatisfiable. */
export function parseRange(header: string, size: number): [number, number] | null {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return null;
  let start: number;
  let end: number;
  if (m[1] === '') {
    start = Math.max(0, size - Number(m[2]));
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  return start <= end && start < size ? [start, end] : null;
}

function send(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { ...ISOLATION_HEADERS, 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function handle(req: IncomingMessage, res: ServerResponse, folders: readonly (readonly [string, string])[]): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    send(res, 405, 'method not allowed\n');
    return;
  }
  const urlPath = new URL(req.url ?? '/', 'http://x').pathname;
  const file = resolveStaticPath(urlPath, folders);
  if (!file) {
    send(res, 404, `not found: ${urlPath}\n`);
    return;
  }
  const size = statSync(file).size;
  const headers: Record<string, string | number> = {
    ...ISOLATION_HEADERS, 'Content-Type': TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream',
    'Accept-Ranges': 'bytes', 'Cache-Control': 'no-cache',
  };
  let start = 0;
  let end = size - 1;
  let status = 200;
  if (req.headers.range !== undefined) {
    const r = parseRange(req.headers.range, size);
    if (!r) {
      res.writeHead(416, { ...ISOLATION_HEADERS, 'Content-Range': `bytes */${size}` });
      res.end();
      return;
    }
    [start, end] = r;
    status = 206;
    headers['Content-Range'] = `bytes ${start}-${end}/${size}`;
  }
  headers['Content-Length'] = Math.max(0, end - start + 1);
  res.writeHead(status, headers);
  if (req.method === 'HEAD' || size === 0) {
    res.end();
    return;
  }
  createReadStream(file, { start, end }).on('error', () => res.destroy()).pipe(res);
}

/**
 * Serve `opts.root` (and `opts.mounts`) with the cross-origin isolation headers; resolves once it
 * listens. Rejects with the listen error (`EADDRINUSE`, `EACCES`) as Node gives it: callers turn it
 * into their own message.
 */
export async function startStaticServer(opts: StaticServerOptions): Promise<StaticServerHandle> {
  const real = (d: string) => realpathSync(path.resolve(d));
  const folders = [
    ...Object.entries(opts.mounts ?? {}).map(([p, d]) => [p, real(d)] as const).sort((a, b) => b[0].length - a[0].length),
    ['/', real(opts.root)] as const,
  ];
  const server = createServer((req, res) => {
    try {
      handle(req, res, folders);
    } catch (e) {
      if (!res.headersSent) send(res, 500, `server error: ${(e as Error).message}\n`);
      else res.destroy();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 8080, opts.host ?? '127.0.0.1', () => { server.off('error', reject); resolve(); });
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    server, url: `http://${host}:${addr.port}`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
