import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contentSecurityPolicy, createStaticHandler, findWebRoot, requestPath } from './static.js';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

let base: string;
let root: string;
let server: Server;
let port: number;
let clock = 0;

/** A raw request: the path goes on the wire exactly as given (no client-side normalization). */
function get(path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'carapace-static-'));
  root = join(base, 'dist');
  await mkdir(join(root, 'assets'), { recursive: true });
  await writeFile(join(root, 'index.html'), '<!doctype html><title>ui</title>');
  await writeFile(join(root, 'assets', 'index-AbCdEf12.js'), 'console.log(1)');
  await writeFile(join(root, 'assets', 'style-ZZxx99__.css'), 'body{}');
  await writeFile(join(root, 'icon.svg'), '<svg/>');
  await writeFile(join(root, '.build-stamp'), 'x');
  await writeFile(join(root, 'notes.unknownext'), 'x');
  await writeFile(join(base, 'secret.txt'), 'TOP-SECRET');
  await symlink(join(base, 'secret.txt'), join(root, 'leak.txt'));
  await symlink(base, join(root, 'up'));
  await writeFile(join(root, 'assets', 'real.txt'), 'inside');
  await symlink(join(root, 'assets', 'real.txt'), join(root, 'alias.txt'));
  const handler = createStaticHandler(root, { now: () => clock, rescanMs: 1000 });
  server = createServer((req, res) => {
    if (!handler(req, res)) {
      res.writeHead(404, { 'x-fallthrough': '1' });
      res.end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  await rm(base, { recursive: true, force: true });
});

describe('createStaticHandler', () => {
  it('serves index.html for / with security headers and revalidation', async () => {
    const res = await get('/', { host: `127.0.0.1:${port}` });
    expect(res.status).toBe(200);
    expect(res.body).toContain('<title>ui</title>');
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain(`connect-src 'self' ws://127.0.0.1:${port} wss://127.0.0.1:${port}`);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/script-src[^;]*unsafe/);
  });

  it('gives content types by extension and immutable caching to hashed assets', async () => {
    const js = await get('/assets/index-AbCdEf12.js');
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const css = await get('/assets/style-ZZxx99__.css');
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    expect((await get('/icon.svg')).headers['content-type']).toBe('image/svg+xml');
  });

  it('answers 304 to a matching If-None-Match and HEAD without a body', async () => {
    const first = await get('/icon.svg');
    const etag = String(first.headers.etag);
    expect((await get('/icon.svg', { 'if-none-match': etag })).status).toBe(304);
    const head = await get('/icon.svg', {}, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    expect(head.headers['content-length']).toBe('6');
  });

  it('refuses traversal in every spelling', async () => {
    for (const path of [
      '/../secret.txt',
      '/assets/../../secret.txt',
      '/%2e%2e/secret.txt',
      '/assets/%2E%2E/%2e%2e/secret.txt',
      '/..%2fsecret.txt',
      '/assets%5c..%5c..%5csecret.txt',
      '/index.html%00.js',
      '/%',
    ]) {
      const res = await get(path);
      expect(res.status, path).toBe(400);
      expect(res.body).not.toContain('TOP-SECRET');
    }
  });

  it('never follows a symlink out of the root, but serves one that stays inside', async () => {
    const leak = await get('/leak.txt');
    expect(leak.status).toBe(404);
    expect(leak.headers['x-fallthrough']).toBe('1');
    expect((await get('/up/secret.txt')).status).toBe(404);
    const alias = await get('/alias.txt');
    expect(alias.status).toBe(200);
    expect(alias.body).toBe('inside');
  });

  it('leaves dotfiles, unknown types, other methods and unknown paths to the next handler', async () => {
    expect((await get('/.build-stamp')).headers['x-fallthrough']).toBe('1');
    expect((await get('/notes.unknownext')).headers['x-fallthrough']).toBe('1');
    expect((await get('/index.html', {}, 'POST')).headers['x-fallthrough']).toBe('1');
    expect((await get('/v1/models')).headers['x-fallthrough']).toBe('1');
  });

  it('serves a file rewritten since the scan with its new length and ETag', async () => {
    const before = await get('/icon.svg');
    await writeFile(join(root, 'icon.svg'), '<svg><title>new and longer</title></svg>');
    const after = await get('/icon.svg');
    expect(after.body).toBe('<svg><title>new and longer</title></svg>');
    expect(after.headers['content-length']).toBe(String(after.body.length));
    expect(after.headers.etag).not.toBe(before.headers.etag);
    expect((await get('/icon.svg', { 'if-none-match': String(before.headers.etag) })).status).toBe(200);
  });

  it('finds files added after start once the rescan interval passed', async () => {
    await writeFile(join(root, 'late.txt'), 'late');
    clock += 1000;
    const res = await get('/late.txt');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
  });

  it('says how to build the UI when there is no index.html', async () => {
    const handler = createStaticHandler(join(base, 'missing'));
    const s = createServer((req, res) => {
      if (!handler(req, res)) res.writeHead(404).end();
    });
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
    const p = (s.address() as AddressInfo).port;
    const saved = port;
    port = p;
    try {
      const res = await get('/');
      expect(res.status).toBe(503);
      expect(res.body).toContain('npm run build');
      expect(res.headers['x-frame-options']).toBe('DENY');
    } finally {
      port = saved;
      await new Promise<void>((r) => s.close(() => r()));
    }
  });
});

describe('helpers', () => {
  it('requestPath maps / to index.html and drops the query', () => {
    expect(requestPath('/')).toBe('/index.html');
    expect(requestPath('/?token=x')).toBe('/index.html');
    expect(requestPath('/a/b.js?x#y')).toBe('/a/b.js');
    expect(requestPath('http://evil/')).toBeUndefined();
  });

  it('contentSecurityPolicy echoes only a well-formed host', () => {
    expect(contentSecurityPolicy('localhost:18789')).toContain('ws://localhost:18789');
    expect(contentSecurityPolicy('[::1]:18789')).toContain('ws://[::1]:18789');
    const evil = contentSecurityPolicy("x; script-src 'unsafe-inline'");
    expect(evil).toContain("connect-src 'self';");
    expect(evil.split('; ').filter((d) => d.startsWith('script-src'))).toEqual(["script-src 'self'"]);
  });

  it('findWebRoot finds web/dist of this package', () => {
    expect(findWebRoot(import.meta.url)).toMatch(/web[/\\]dist$/);
  });
});
