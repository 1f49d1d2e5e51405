/**
 * SEC-08 (quick size): five canary secrets — the gateway token, a provider key, a channel token, the
 * hook token and a file-referenced secret — through 100 scripted turns that try to spill them: the owner
 * pasting them (raw and base64), tools reading files that hold them, a search provider and a model
 * provider echoing them (a 401 that quotes the key), a model that writes them into replies, tool
 * arguments and outbound messages, the OpenAI-compatible endpoint, webhooks, then read-only probes
 * (config.get, logs.tail, status, history), CLI commands, and a restart. The sweep afterwards: no canary
 * in any form (raw, URL-encoded, JSON-escaped, base64 at any alignment) in the logs, transcripts or any
 * other file of the state dir, any WebSocket frame, any HTTP body, anything sent to the model, the
 * channel or the search provider, or the CLI's stdout/stderr.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { secretForms } from '../../src/gateway/index.js';
import {
  type FakeModelServer,
  type RecordedRequest,
  type ScriptStep,
  startFakeModelServer,
} from '../fakes/fake-model-server.js';
import { FakeTelegram } from '../fakes/fake-telegram.js';
import { runCli } from '../helpers/cli.js';
import { type Harness, startGateway } from '../helpers/gateway-harness.js';
import { connectedClient, type TestClient } from '../helpers/ws-client.js';
import { fakeModelConfig, finalOf, until } from './support.js';

const r = () => randomBytes(9).toString('hex');
const CANARY = {
  gateway: `gw-canary-${r()}`,
  provider: `sk-provider-canary-${r()}`,
  channel: `424242:CHANNEL-canary-${r()}`,
  hook: `hook-canary-${r()}`,
  file: `file-canary-${r()}`,
};
const ALL = Object.values(CANARY);
/** The owner's own file that holds the canaries (planted by the test; tools read it, nothing may copy it). */
const PLANTED = join('workspace', 'notes', 'secrets.txt');

let root: string;
let h: Harness;
let fake: FakeModelServer;
let telegram: FakeTelegram;
let search: Server;
const searchRequests: string[] = [];
const sinks: { where: string; text: string }[] = [];
const clients: TestClient[] = [];

/** Record everything a client receives, raw. */
function tap(c: TestClient, name: string): TestClient {
  c.ws.on('message', (data) => sinks.push({ where: `ws ${name}`, text: data.toString() }));
  clients.push(c);
  return c;
}

/** An echo model: it repeats back everything it was just given (what it saw is what it says). */
function echo(req: RecordedRequest) {
  const messages = (req.body.messages ?? []) as { role: string; content?: unknown }[];
  const seen = messages
    .slice(-3)
    .filter((m) => m.role !== 'system')
    .map((m) => (typeof m.content === 'string' ? m.content : JSON.stringify(m.content ?? '')));
  return { type: 'reply' as const, text: `I saw: ${seen.join(' | ')}` };
}

const b64 = (s: string) => Buffer.from(s).toString('base64');
let n = 0;
const call = (name: string, args: Record<string, unknown>): ScriptStep => ({
  type: 'reply',
  toolCalls: [{ id: `c${++n}`, name, args }],
});

/** Turn `i`: the message the owner sends and what the model does with it. */
function turn(i: number): { message: string; steps: ScriptStep[] } {
  const c = ALL[i % ALL.length]!;
  switch (i % 10) {
    case 0:
      return { message: `remember this for me: ${c}`, steps: [echo] };
    case 1:
      return { message: `decode this later: ${b64(c)} (and ${encodeURIComponent(c)})`, steps: [echo] };
    case 2:
      return {
        message: 'show me the key file',
        steps: [call('exec', { command: `cat ${root}/secrets/search-key` }), echo],
      };
    case 3:
      return { message: 'what is in my notes?', steps: [call('read', { path: 'notes/secrets.txt' }), echo] };
    case 4:
      return { message: 'search the web', steps: [call('web_search', { query: `weather ${i}` }), echo] };
    case 5:
      return {
        message: 'hello?',
        steps: [
          {
            type: 'error',
            status: 401,
            message: `Incorrect API key provided: ${CANARY.provider}; token ${c}`,
          },
        ],
      };
    case 6:
      return {
        message: 'fetch my dashboard',
        steps: [call('web_fetch', { url: `http://127.0.0.1:9/?k=${encodeURIComponent(c)}&raw=${c}` }), echo],
      };
    case 7:
      return {
        message: 'say something',
        steps: [{ type: 'reply', text: `here: ${c} / ${b64(c)} / ${JSON.stringify({ c })}` }],
      };
    case 8:
      return {
        message: 'tell Alice',
        steps: [call('message', { channel: 'telegram', to: '777', text: `the token is ${c}` }), echo],
      };
    default:
      return { message: 'what is my environment?', steps: [call('exec', { command: 'env' }), echo] };
  }
}

async function collectFiles(dir: string, out: { where: string; text: string }[]): Promise<void> {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) await collectFiles(p, out);
    else if (e.isFile() && !p.endsWith(PLANTED))
      out.push({ where: `file ${p.slice(h.stateDir.length)}`, text: await readFile(p, 'latin1') });
  }
}

function leaks(entries: readonly { where: string; text: string }[]): string[] {
  const found: string[] = [];
  for (const [name, secret] of Object.entries(CANARY)) {
    for (const form of secretForms(secret)) {
      for (const e of entries) if (e.text.includes(form)) found.push(`${name} in ${e.where}`);
    }
  }
  return [...new Set(found)];
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'carapace-sec08-'));
  await mkdir(join(root, 'secrets'), { mode: 0o700 });
  await writeFile(join(root, 'secrets', 'search-key'), `${CANARY.file}\n`, { mode: 0o600 });
  fake = await startFakeModelServer();
  telegram = await FakeTelegram.start({ token: CANARY.channel });
  search = createServer((req, res) => {
    searchRequests.push(`${req.method} ${req.url}`);
    const results = [
      {
        title: 'echo',
        url: 'https://example.com/',
        description: `key ${CANARY.file} and ${CANARY.provider}`,
      },
    ];
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ web: { results } }));
  });
  await new Promise<void>((resolve) => search.listen(0, '127.0.0.1', resolve));
  const searchUrl = `http://127.0.0.1:${(search.address() as AddressInfo).port}`;
  h = await startGateway(
    {
      ...fakeModelConfig(fake, { source: 'env', id: 'SEC08_PROVIDER_KEY' }),
      gateway: {
        auth: { mode: 'token', token: { source: 'env', id: 'SEC08_GATEWAY_TOKEN' } },
        http: { endpoints: { chatCompletions: { enabled: true } } },
      },
      tools: {
        profile: 'full',
        exec: { approvalTimeoutSec: 20 },
        web: {
          search: {
            provider: 'brave',
            baseUrl: searchUrl,
            apiKey: { source: 'file', path: join(root, 'secrets', 'search-key') },
          },
        },
      },
      hooks: { enabled: true, token: { source: 'env', id: 'SEC08_HOOK_TOKEN' } },
      channels: {
        telegram: {
          accounts: {
            default: {
              botToken: { source: 'env', id: 'SEC08_TELEGRAM_TOKEN' },
              apiRoot: telegram.apiRoot,
              dmPolicy: 'pairing',
            },
          },
        },
      },
    },
    {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      SEC08_GATEWAY_TOKEN: CANARY.gateway,
      SEC08_PROVIDER_KEY: CANARY.provider,
      SEC08_HOOK_TOKEN: CANARY.hook,
      SEC08_TELEGRAM_TOKEN: CANARY.channel,
    },
  );
  await mkdir(join(h.stateDir, 'workspace', 'notes'), { recursive: true });
  await writeFile(join(h.stateDir, 'workspace', 'notes', 'secrets.txt'), `my keys:\n${ALL.join('\n')}\n`);
  await until(() => telegram.calls.some((c) => c.method === 'getUpdates'), 'telegram polling');
}, 60_000);

afterAll(async () => {
  for (const c of clients) c.close();
  await h?.cleanup();
  await telegram?.close();
  await fake?.close();
  await new Promise<void>((resolve) => (search ? search.close(() => resolve()) : resolve()));
  await rm(root, { recursive: true, force: true });
});

describe('SEC-08 secret canary sweep (quick size)', () => {
  it('100 scripted turns and every probe afterwards: 0 canaries anywhere', async () => {
    expect(h.token).toBe(CANARY.gateway);
    const owner = tap(await connectedClient(h.url, h.token), 'owner');
    const operator = tap(await connectedClient(h.url, h.token, { clientId: 'operator' }), 'operator');
    operator.ws.on('message', (data) => {
      const f = JSON.parse(data.toString()) as { event?: string; payload?: { id: string } };
      if (f.event === 'exec.approval.requested' && f.payload)
        void operator.request('exec.approval.resolve', { id: f.payload.id, decision: 'allow-once' });
    });
    const base = `http://127.0.0.1:${h.gateway.port}`;
    for (let i = 0; i < 100; i++) {
      const { message, steps } = turn(i);
      fake.enqueue(...steps);
      if (i % 25 === 12) {
        // The OpenAI-compatible endpoint, streamed.
        const res = await fetch(`${base}/v1/chat/completions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${CANARY.gateway}`, 'content-type': 'application/json' },
          body: JSON.stringify({
            model: 'carapace',
            stream: true,
            messages: [{ role: 'user', content: message }],
          }),
        });
        sinks.push({ where: `http /v1/chat/completions ${res.status}`, text: await res.text() });
        continue;
      }
      if (i % 25 === 20) {
        // A webhook carrying a canary, answered in its own session.
        const res = await fetch(`${base}/hooks/agent`, {
          method: 'POST',
          headers: { authorization: `Bearer ${CANARY.hook}`, 'content-type': 'application/json' },
          body: JSON.stringify({ name: 'mail', message: `${message} ${ALL[i % 5]}` }),
        });
        sinks.push({ where: `http /hooks/agent ${res.status}`, text: await res.text() });
        await until(() => fake.pending() === 0, `the hook turn ${i}: ${JSON.stringify(sinks.at(-1))}`);
        continue;
      }
      const key = `sec08-${i}`;
      const res = await owner.request('agent', { message, idempotencyKey: key });
      expect(res.ok, JSON.stringify(res.error)).toBe(true);
      const final = await finalOf(owner, key);
      expect(fake.pending(), `turn ${i}: ${JSON.stringify(final.payload).slice(0, 300)}`).toBe(0);
    }
    await until(() => fake.pending() === 0, 'every scripted step');
    await new Promise((resolve) => setTimeout(resolve, 300));

    // Read-only probes.
    const reader = tap(
      await connectedClient(h.url, h.token, { clientId: 'reader', scopes: ['operator.read'] }),
      'reader',
    );
    for (const [method, params] of [
      ['config.get', {}],
      ['logs.tail', { limit: 5000 }],
      ['status', {}],
      ['health', {}],
      ['sessions.list', {}],
      ['chat.history', { sessionKey: 'main', limit: 1000 }],
      ['channels.status', {}],
    ] as const) {
      const res = await reader.request(method, params);
      expect(res.ok, `${method}: ${JSON.stringify(res.error)}`).toBe(true);
    }
    for (const path of ['/health', '/ready', '/v1/models']) {
      const res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${CANARY.gateway}` } });
      sinks.push({ where: `http ${path}`, text: await res.text() });
    }
    const cliEnv = { CARAPACE_GATEWAY_TOKEN: CANARY.gateway, HOME: root };
    for (const args of [['status'], ['health'], ['config', 'get'], ['channels', 'status']]) {
      const run = runCli([...args, '--state-dir', h.stateDir], cliEnv);
      sinks.push(
        { where: `cli ${args.join(' ')} stdout`, text: run.stdout },
        { where: `cli ${args.join(' ')} stderr`, text: run.stderr },
      );
    }
    await h.restart();
    const after = tap(await connectedClient(h.url, h.token), 'after-restart');
    await after.request('logs.tail', { limit: 5000 });
    for (const c of clients) c.close();
    await h.gateway.stop('sweep');

    // What the model provider, the channel and the search provider received (the provider key goes in
    // the Authorization header, the search key in its own header: never in a body or URL).
    // What the gateway gave the model (its own earlier words in a run are the model's, not ours).
    const given = (q: RecordedRequest) =>
      JSON.stringify({
        ...q.body,
        messages: ((q.body.messages ?? []) as { role: string }[]).filter((m) => m.role !== 'assistant'),
      });
    sinks.push(...fake.requests.map((q, i) => ({ where: `model request ${i} body`, text: given(q) })));
    sinks.push(
      ...telegram.calls.map((c) => ({ where: `telegram ${c.method}`, text: JSON.stringify(c.payload) })),
    );
    sinks.push(...searchRequests.map((u) => ({ where: 'search request', text: u })));
    const files: { where: string; text: string }[] = [];
    await collectFiles(h.stateDir, files);

    // The turns really carried the canaries where they could: the scripts were not toothless.
    expect(fake.requests.some((q) => q.headers.authorization === `Bearer ${CANARY.provider}`)).toBe(true);
    expect(telegram.calls.filter((c) => c.method === 'sendMessage').length).toBeGreaterThanOrEqual(10);
    expect(searchRequests.length).toBeGreaterThanOrEqual(10);
    expect(files.some((f) => f.where.endsWith('gateway.jsonl'))).toBe(true);
    expect(
      files.filter((f) => f.where.endsWith('.jsonl') && f.where.includes('sessions')).length,
    ).toBeGreaterThan(0);
    const redacted = [...sinks, ...files].filter((e) => e.text.includes('[REDACTED]')).length;
    expect(redacted).toBeGreaterThan(20);

    expect(leaks(files)).toEqual([]);
    expect(leaks(sinks)).toEqual([]);
  }, 180_000);
});
