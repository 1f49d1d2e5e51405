import { constants, existsSync, readdirSync, realpathSync, type Stats, statSync } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, extname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Content types of the files the static handler serves; files of other types are not served. */
export const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
};

/** `/assets/name-<hash>.ext` as Vite emits them: content-addressed, so cacheable forever. */
const HASHED_ASSET = /^\/assets\/[^/]+-[A-Za-z0-9_-]{8,}\.[a-z0-9]+$/;
/** A Host header we are willing to echo into the CSP (name or bracketed IPv6, optional port). */
const SAFE_HOST = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$/;
const MAX_FILES = 5000;
const MAX_DEPTH = 8;

interface Entry {
  file: string;
  type: string;
}

/** How the static handler behaves; defaults suit the gateway. */
export interface StaticHandlerOptions {
  /** After a miss, rescan the root at most this often (a rebuild may have added files). Default 1000 ms. */
  rescanMs?: number;
  now?: () => number;
}

/** `(req, res) => handled`: the gateway's HTTP `extra` hook shape. */
export type StaticHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

/**
 * The Content-Security-Policy of the UI: scripts only from the page's origin, connections only to the
 * page's own host (HTTP and WebSocket). Styles may be inline because Lit falls back to `<style>`
 * elements on browsers without constructable stylesheets.
 */
export function contentSecurityPolicy(host: string | undefined): string {
  const ws = host && SAFE_HOST.test(host) ? ` ws://${host} wss://${host}` : '';
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src 'self'${ws}`,
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
    "object-src 'none'",
  ].join('; ');
}

function securityHeaders(req: IncomingMessage): Record<string, string> {
  return {
    'content-security-policy': contentSecurityPolicy(req.headers.host),
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'x-content-type-options': 'nosniff',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
  };
}

/** Every servable file under the real root, keyed by URL path. Symlinks leaving the root are skipped. */
function scan(rootDir: string): Map<string, Entry> {
  const index = new Map<string, Entry>();
  let realRoot: string;
  try {
    realRoot = realpathSync(rootDir);
  } catch {
    return index;
  }
  const inside = (p: string) => p === realRoot || p.startsWith(realRoot + sep);
  const seen = new Set<string>();
  const walk = (dir: string, urlPrefix: string, depth: number) => {
    if (depth > MAX_DEPTH || seen.has(dir)) return;
    seen.add(dir);
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names) {
      if (index.size >= MAX_FILES) return;
      if (name.startsWith('.')) continue; // no dotfiles (build stamps, editor files)
      let real: string;
      try {
        real = realpathSync(join(dir, name));
      } catch {
        continue; // dangling link
      }
      if (!inside(real)) continue;
      const st = statSync(real, { throwIfNoEntry: false });
      if (!st) continue;
      const url = `${urlPrefix}/${name}`;
      if (st.isDirectory()) walk(real, url, depth + 1);
      else if (st.isFile()) {
        const type = CONTENT_TYPES[extname(name).toLowerCase()];
        if (type) index.set(url, { file: real, type });
      }
    }
  };
  walk(realRoot, '', 0);
  return index;
}

/** The URL path of a request, decoded; `undefined` when it is malformed or tries to leave the root. */
export function requestPath(url: string | undefined): string | undefined {
  const raw = (url ?? '/').split(/[?#]/, 1)[0] ?? '/';
  if (!raw.startsWith('/')) return undefined;
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return undefined;
  if (decoded.split('/').some((seg) => seg === '..' || seg === '.')) return undefined;
  return decoded === '/' ? '/index.html' : decoded;
}

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>Carapace</title>
<h1>Carapace gateway</h1><p>The web UI is not built. Run <code>npm run build</code>, then reload.</p>`;

/**
 * Serve the files under `rootDir` (GET and HEAD): `index.html` for `/`, content types by extension,
 * `Cache-Control` (hashed `/assets/*` immutable, everything else revalidated with an ETag) and security
 * headers. Only files found by scanning the root are served, so `..`, encoded separators and symlinks
 * out of the root never reach the file system. Returns false for requests it does not serve.
 */
export function createStaticHandler(rootDir: string, options: StaticHandlerOptions = {}): StaticHandler {
  const now = options.now ?? Date.now;
  const rescanMs = options.rescanMs ?? 1000;
  let index = scan(rootDir);
  let scannedAt = now();
  const lookup = (path: string) => {
    let entry = index.get(path);
    if (!entry && now() - scannedAt >= rescanMs) {
      index = scan(rootDir);
      scannedAt = now();
      entry = index.get(path);
    }
    return entry;
  };

  return (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    const path = requestPath(req.url);
    if (path === undefined) {
      res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8', ...securityHeaders(req) });
      res.end('bad path\n');
      return true;
    }
    const entry = lookup(path);
    if (!entry) {
      if (path !== '/index.html') return false;
      res.writeHead(503, {
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-store',
        ...securityHeaders(req),
      });
      res.end(req.method === 'HEAD' ? undefined : NOT_BUILT);
      return true;
    }
    void serve(req, res, path, entry);
    return true;
  };
}

/** Send one file. Size and ETag come from the open file, so a rebuild since the scan is served right. */
async function serve(req: IncomingMessage, res: ServerResponse, path: string, entry: Entry): Promise<void> {
  let handle: FileHandle;
  try {
    // O_NOFOLLOW: the indexed real path must still be a plain file, not a link swapped in since the scan.
    handle = await open(entry.file, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch {
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', ...securityHeaders(req) });
    res.end('not found\n');
    return;
  }
  let st: Stats;
  try {
    st = await handle.stat();
  } catch {
    await handle.close();
    res.destroy();
    return;
  }
  const etag = `W/"${st.size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}"`;
  const headers: Record<string, string | number> = {
    'content-type': entry.type,
    'cache-control': HASHED_ASSET.test(path) ? 'public, max-age=31536000, immutable' : 'no-cache',
    etag,
    ...securityHeaders(req),
  };
  const status = !st.isFile() ? 404 : req.headers['if-none-match'] === etag ? 304 : 200;
  if (status !== 200 || req.method === 'HEAD' || st.size === 0) {
    await handle.close();
    if (status === 404) res.writeHead(404, securityHeaders(req));
    else res.writeHead(status, status === 200 ? { ...headers, 'content-length': st.size } : headers);
    res.end();
    return;
  }
  res.writeHead(200, { ...headers, 'content-length': st.size });
  // Exactly the bytes announced, even if the file grows meanwhile.
  const stream = handle.createReadStream({ start: 0, end: st.size - 1 });
  stream.once('error', () => res.destroy());
  stream.pipe(res);
}

/**
 * Where the built UI lives: `web/dist` of the package this module belongs to, found by walking up from
 * `moduleUrl` (works from `src/gateway/` and from the bundle in `dist/`). Undefined when not found.
 */
export function findWebRoot(moduleUrl: string): string | undefined {
  let dir = dirname(fileURLToPath(moduleUrl));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'web')))
      return join(dir, 'web', 'dist');
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return undefined;
}
