import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryManager } from './manager.js';

/** Words mapped to concepts: a tiny stand-in for a real embedding model, where synonyms share a dimension. */
const CONCEPTS: Record<string, number> = {
  dentist: 0,
  tooth: 0,
  teeth: 0,
  dental: 0,
  bike: 1,
  bicycle: 1,
  helmet: 1,
  cycling: 1,
  flight: 2,
  plane: 2,
  fly: 2,
};

function embed(text: string): number[] {
  const v = [0, 0, 0, 0.05];
  for (const w of text.toLowerCase().match(/[a-z]+/g) ?? []) {
    const c = CONCEPTS[w.replace(/s$/, '')];
    if (c !== undefined) v[c]! += 1;
  }
  return v;
}

interface FakeEmbeddings {
  url: string;
  requests: { auth: string | undefined; input: string[] }[];
  failWith: number | undefined;
  close(): Promise<void>;
}

async function startFakeEmbeddings(): Promise<FakeEmbeddings> {
  const fake: FakeEmbeddings = { url: '', requests: [], failWith: undefined, close: async () => undefined };
  const server: Server = createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    const parsed = JSON.parse(body) as { model: string; input: string[] };
    fake.requests.push({ auth: req.headers.authorization, input: parsed.input });
    if (req.url !== '/v1/embeddings' || fake.failWith) {
      res.writeHead(fake.failWith ?? 404, { 'content-type': 'application/json' }).end('{"error":"nope"}');
      return;
    }
    const data = parsed.input
      .map((t, index) => ({ object: 'embedding', index, embedding: embed(t) }))
      .reverse();
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ object: 'list', data }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  fake.close = () => new Promise((resolve) => server.close(() => resolve()));
  return fake;
}

let dir: string;
let fake: FakeEmbeddings;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'carapace-memory-'));
  await mkdir(join(dir, 'ws', 'memory'), { recursive: true });
  await writeFile(join(dir, 'ws', 'memory', '2025-03-02.md'), '- Dentist appointment moved to Thursday.\n');
  await writeFile(join(dir, 'ws', 'memory', '2025-03-03.md'), '- Bought a new bike helmet.\n');
  await writeFile(join(dir, 'ws', 'MEMORY.md'), '- Prefers the window seat on flights.\n');
  fake = await startFakeEmbeddings();
});
afterEach(async () => {
  await fake.close();
  await rm(dir, { recursive: true, force: true });
});

function memory(now = () => 0) {
  const manager = new MemoryManager({ agentsDir: join(dir, 'agents'), env: { EMB_KEY: 'sk-test' }, now });
  return manager.forAgent({
    agentId: 'main',
    workspaceDir: join(dir, 'ws'),
    config: {
      enabled: true,
      chunkMaxChars: 1200,
      maxResults: 3,
      embeddings: {
        baseUrl: fake.url,
        model: 'fake-embed',
        apiKey: { source: 'env', id: 'EMB_KEY' },
        weight: 0.5,
        batchSize: 2,
        timeoutMs: 5000,
      },
    },
  });
}

describe('memory search with embeddings', () => {
  it('blends vector similarity in: a query with no shared word finds the note', async () => {
    const mem = memory();
    const r = await mem.search('cycling gear');
    expect(r.mode).toBe('hybrid');
    expect(r.warnings).toEqual([]);
    expect(r.hits[0]).toMatchObject({ path: 'memory/2025-03-03.md', startLine: 1, endLine: 1 });
    // Three chunks in batches of two, then the query; every request carries the resolved key.
    expect(fake.requests.map((q) => q.input.length)).toEqual([2, 1, 1]);
    expect(new Set(fake.requests.map((q) => q.auth))).toEqual(new Set(['Bearer sk-test']));
    // Vectors are kept in the index: the next search embeds only its query.
    const again = await mem.search('tooth doctor');
    expect(again.hits[0]?.path).toBe('memory/2025-03-02.md');
    expect(fake.requests).toHaveLength(4);
  });

  it('falls back to BM25 with a warning when the endpoint fails, and pauses it', async () => {
    fake.failWith = 500;
    const mem = memory();
    const r = await mem.search('dentist');
    expect(r.mode).toBe('bm25');
    expect(r.hits[0]?.path).toBe('memory/2025-03-02.md');
    expect(r.warnings.join('\n')).toMatch(/embeddings: HTTP 500/);
    const tried = fake.requests.length;
    const paused = await mem.search('dentist');
    expect(paused.warnings.join('\n')).toMatch(/paused/);
    expect(fake.requests).toHaveLength(tried);
  });
});
