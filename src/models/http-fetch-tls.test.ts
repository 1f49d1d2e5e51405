// createHttpFetch over HTTPS: certificate verification stays on, and a server whose CA the process trusts
// (NODE_EXTRA_CA_CERTS, read at start, hence a child process) is reached with streaming and keep-alive.
import { execFile, execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const FETCH = fileURLToPath(new URL('./http-fetch.ts', import.meta.url));
let dir: string;
let server: Server;
let url: string;
const bodies: string[] = [];
const sockets = new Set<unknown>();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'carapace-tls-'));
  // A self-signed certificate for 127.0.0.1 (openssl is installed by .ci/run).
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ],
    { stdio: 'ignore' },
  );
  server = createServer(
    { key: await readFile(join(dir, 'key.pem')), cert: await readFile(join(dir, 'cert.pem')) },
    async (req, res) => {
      sockets.add(req.socket);
      let body = '';
      for await (const chunk of req) body += chunk;
      bodies.push(body);
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: one\n\n');
      setTimeout(() => res.end('data: two\n\n'), 20);
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/v1/chat`;
  await writeFile(
    join(dir, 'client.mts'),
    `import { createHttpFetch } from ${JSON.stringify(FETCH)};
const fetch = createHttpFetch();
const out = [];
for (let i = 0; i < 2; i++) {
  try {
    const res = await fetch(process.argv[2], { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ n: i }) });
    out.push({ status: res.status, text: await res.text() });
  } catch (err) {
    out.push({ error: err.message, cause: err.cause?.code ?? String(err.cause) });
  }
}
fetch.close();
console.log(JSON.stringify(out));
`,
  );
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

/** Run the client in a child process with exactly `env`; resolves with what it printed. */
function client(env: NodeJS.ProcessEnv): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', join(dir, 'client.mts'), url],
      { env, cwd: process.cwd() },
      (err, stdout, stderr) =>
        err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(JSON.parse(stdout)),
    );
  });
}

describe('createHttpFetch over HTTPS', () => {
  it('refuses a certificate the process does not trust, with fetch\'s "fetch failed" and the TLS cause', async () => {
    const { NODE_EXTRA_CA_CERTS: _, ...env } = process.env;
    const out = await client(env);
    expect(out).toEqual([
      { error: 'fetch failed', cause: 'DEPTH_ZERO_SELF_SIGNED_CERT' },
      { error: 'fetch failed', cause: 'DEPTH_ZERO_SELF_SIGNED_CERT' },
    ]);
  });

  it('reaches a trusted server: the POST body arrives, the streamed body is read whole, one TLS connection', async () => {
    bodies.length = 0;
    sockets.clear();
    const out = await client({ ...process.env, NODE_EXTRA_CA_CERTS: join(dir, 'cert.pem') });
    expect(out).toEqual([
      { status: 200, text: 'data: one\n\ndata: two\n\n' },
      { status: 200, text: 'data: one\n\ndata: two\n\n' },
    ]);
    expect(bodies).toEqual(['{"n":0}', '{"n":1}']);
    expect(sockets.size).toBe(1); // the second request reused the first's connection
  });
});
