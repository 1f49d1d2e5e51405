/**
 * SEC-05 (quick size): ≥ 500 traversal payloads (traversal-corpus.ts) against every path-typed parameter,
 * found by walking the schemas: the agent tools' parameters named like a path (read/write/edit/ls/find/grep
 * `path`, apply_patch's file headers, exec `workdir`, memory_get `path`), and the gateway methods'
 * parameters that name a file on the gateway's side (session keys, agent and account ids, channel names,
 * cron job ids, attachment file names). Pass bar: nothing outside its root read or written — the files
 * outside hash-unchanged, no new ones — and the canary (and the gateway token) in no result or response.
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { TSchema } from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentTool } from '../../src/agent/index.js';
import { type Config, validateConfig } from '../../src/config/index.js';
import { describeAgentToolset, Gateway } from '../../src/gateway/index.js';
import { createMemoryTools, MemoryManager } from '../../src/memory/index.js';
import { METHOD_SPECS } from '../../src/protocol/index.js';
import { createExecTools, createFsTools } from '../../src/tools/index.js';
import { connectedClient } from '../helpers/ws-client.js';
import { traversalPayloads } from './traversal-corpus.js';

const CANARY = `SEC05-CANARY-${process.pid}-${Date.now()}`;
let root: string;
let ws: string;
let payloads: string[];
let config: Config;
let gatewayToken = '';

/** Every file under `root` except the workspace and the gateway's own working files, hashed. */
async function snapshot(keepOut: (rel: string) => boolean): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  async function visit(dir: string): Promise<void> {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      const rel = relative(root, p);
      if (keepOut(rel)) continue;
      if (e.isDirectory()) await visit(p);
      else
        out.set(
          rel,
          e.isFile()
            ? createHash('sha256')
                .update(await readFile(p))
                .digest('hex')
            : 'special',
        );
    }
  }
  await visit(root);
  return out;
}

/** String parameters whose name says they are a path (or hold paths: apply_patch's `patch`). */
function pathParams(schema: TSchema): string[] {
  const props = (schema as { properties?: Record<string, { type?: string }> }).properties ?? {};
  return Object.entries(props)
    .filter(([name, p]) => p.type === 'string' && /path|file|dir|patch/i.test(name))
    .map(([name]) => name);
}

beforeAll(async () => {
  root = await realpath(await mkdtemp(join(tmpdir(), 'carapace-sec05-')));
  ws = join(root, 'state', 'workspace');
  await mkdir(join(ws, 'memory'), { recursive: true });
  await mkdir(join(root, 'outside', 'sub'), { recursive: true });
  await writeFile(join(root, 'outside', 'secret.txt'), `${CANARY}\nsecond line\n`);
  await writeFile(join(root, 'outside', 'sub', 'deeper.txt'), `${CANARY}\n`);
  await writeFile(join(ws, 'MEMORY.md'), 'memory\n');
  const r = validateConfig({ tools: { profile: 'full' }, memory: { enabled: true } });
  if (!r.ok) throw new Error('config');
  config = r.config;
  payloads = traversalPayloads(root);
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('SEC-05 path traversal on every path-typed parameter', () => {
  it('agent tools: every payload on every path parameter found in their schemas', async () => {
    expect(payloads.length).toBeGreaterThanOrEqual(500);
    const found = describeAgentToolset(config, ws).flatMap((t) =>
      pathParams(t.parameters).map((p) => `${t.name}.${p}`),
    );
    const patch = (body: string) => `*** Begin Patch\n${body}\n*** End Patch`;
    const ARGS: Record<string, ((p: string) => Record<string, unknown>)[]> = {
      'read.path': [(p) => ({ path: p })],
      'write.path': [(p) => ({ path: p, content: 'PWNED' })],
      // Edits aim at a line of the outside file that is not the canary (their errors quote it back).
      'edit.path': [(p) => ({ path: p, old_string: 'second line', new_string: 'PWNED' })],
      'apply_patch.patch': [
        (p) => ({ patch: patch(`*** Update File: ${p}\n@@\n-second line\n+PWNED`) }),
        (p) => ({ patch: patch(`*** Add File: ${p}\n+PWNED`) }),
        (p) => ({ patch: patch(`*** Delete File: ${p}`) }),
      ],
      'ls.path': [(p) => ({ path: p })],
      'find.path': [(p) => ({ pattern: '*', path: p })],
      'grep.path': [(p) => ({ pattern: 'CANARY', path: p })],
      // If the working directory escaped, `cat secret.txt` would print the canary.
      'exec.workdir': [(p) => ({ command: 'cat secret.txt', workdir: p })],
      'memory_get.path': [(p) => ({ path: p })],
    };
    expect(found.sort()).toEqual(Object.keys(ARGS).sort());

    const exec = createExecTools({
      config: () => ({
        exec: { ...config.tools.exec, security: 'full' },
        sandbox: { ...config.tools.sandbox, mode: 'off' },
      }),
      workspaceDir: () => ws,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    });
    const memory = new MemoryManager({
      agentsDir: join(root, 'state', 'agents'),
      env: {},
      now: () => Date.now(),
    });
    const real: AgentTool[] = [
      ...createFsTools({ workspaceDir: ws }),
      exec.exec as unknown as AgentTool,
      ...createMemoryTools(memory.forAgent({ agentId: 'main', workspaceDir: ws, config: config.memory })),
    ];
    const tool = (name: string) => real.find((t) => t.name === name)!;
    const ctx = { sessionKey: 'agent:main:main', agentId: 'main', runId: 'sec05', toolCallId: 't' };
    const before = await snapshot((rel) => rel.startsWith('state'));
    const accepted: string[] = [];
    let calls = 0;
    for (const [key, makers] of Object.entries(ARGS)) {
      const name = key.split('.')[0]!;
      for (const make of makers) {
        for (const p of payloads) {
          const out = await tool(name).execute(make(p), ctx, new AbortController().signal);
          calls++;
          const text = typeof out.content === 'string' ? out.content : JSON.stringify(out.content);
          expect(text, `${key} ${JSON.stringify(p).slice(0, 80)}`).not.toContain(CANARY);
          const refused =
            out.isError ||
            (name === 'exec' && /"status":\s*"(refused|failed|error)"/.test(text)) ||
            (name === 'exec' && !text.includes('"exitCode": 0'));
          // A payload with no ASCII separator or escape is a plain (if odd) file name in the workspace:
          // look-alike slashes (U+2215, U+FF0F) name a file there, they do not climb out.
          const plainName = !/[\\/%]/.test(p);
          if (!refused && !plainName)
            accepted.push(`${key} ${JSON.stringify(p).slice(0, 80)}: ${text.slice(0, 60)}`);
        }
      }
    }
    await exec.registry.stop();
    expect(calls).toBeGreaterThanOrEqual(payloads.length * 11);
    expect(accepted).toEqual([]);
    expect(await snapshot((rel) => rel.startsWith('state'))).toEqual(before);
  }, 180_000);

  it('gateway methods: every payload on every parameter that names a file on the gateway side', async () => {
    const gateway = await Gateway.start({
      stateDir: join(root, 'state'),
      port: 0,
      env: { PATH: process.env.PATH ?? '' },
    });
    gatewayToken = gateway.secret!;
    try {
      const NAMES = /^(sessionKey|key|keys|agentId|accountId|channel|jobId|id|fileName)$/;
      const found: string[] = [];
      const walk = (node: unknown, path: string, method: string) => {
        const n = node as {
          type?: string;
          properties?: Record<string, unknown>;
          items?: unknown;
          anyOf?: unknown[];
        };
        if (!n || typeof n !== 'object') return;
        const leaf = path.split('.').pop()!.replace('[]', '');
        if (n.type === 'string' && NAMES.test(leaf)) found.push(`${method} ${path}`);
        for (const [k, v] of Object.entries(n.properties ?? {})) walk(v, path ? `${path}.${k}` : k, method);
        if (n.items) walk(n.items, `${path}[]`, method);
        for (const b of n.anyOf ?? []) walk(b, path, method);
      };
      for (const [m, spec] of Object.entries(METHOD_SPECS)) walk(spec.params, '', m);
      let n = 0;
      const idem = () => `sec05-${++n}`;
      const b64 = Buffer.from('x').toString('base64');
      const job = {
        name: 'j',
        schedule: { kind: 'every', everyMs: 3_600_000 },
        payload: { kind: 'systemEvent', text: 'x' },
      };
      // The other params each method needs, and where the payload goes.
      const BASE: Record<string, (p: string) => Record<string, unknown>> = {
        'sessions.list agentId': (p) => ({ agentId: p }),
        'sessions.preview keys[]': (p) => ({ keys: [p] }),
        'sessions.reset key': (p) => ({ key: p }),
        'sessions.delete key': (p) => ({ key: p }),
        'sessions.abort key': (p) => ({ key: p }),
        'sessions.compact key': (p) => ({ key: p }),
        'chat.history sessionKey': (p) => ({ sessionKey: p }),
        'chat.inject sessionKey': (p) => ({ sessionKey: p, message: 'x' }),
        'agent agentId': (p) => ({ agentId: p, message: 'x', idempotencyKey: idem() }),
        'agent sessionKey': (p) => ({ sessionKey: p, message: 'x', idempotencyKey: idem() }),
        'agent channel': (p) => ({ channel: p, to: '1', message: 'x', idempotencyKey: idem() }),
        'chat.send sessionKey': (p) => ({ sessionKey: p, message: 'x', idempotencyKey: idem() }),
        'chat.send attachments[].fileName': (p) => ({
          sessionKey: 'main',
          message: 'x',
          idempotencyKey: idem(),
          attachments: [{ fileName: p, mimeType: 'text/plain', content: b64 }],
        }),
        'chat.abort sessionKey': (p) => ({ sessionKey: p }),
        'agent.identity.get agentId': (p) => ({ agentId: p }),
        'agent.identity.get sessionKey': (p) => ({ sessionKey: p }),
        'exec.approval.resolve id': (p) => ({ id: p, decision: 'deny' }),
        'channels.logout channel': (p) => ({ channel: p }),
        'channels.logout accountId': (p) => ({ channel: 'telegram', accountId: p }),
        'pairing.list channel': (p) => ({ channel: p }),
        'pairing.approve channel': (p) => ({ channel: p, code: 'ABCDEFGH' }),
        'pairing.approve accountId': (p) => ({ channel: 'telegram', code: 'ABCDEFGH', accountId: p }),
        'send channel': (p) => ({ channel: p, to: '1', message: 'x', idempotencyKey: idem() }),
        'send accountId': (p) => ({
          channel: 'telegram',
          accountId: p,
          to: '1',
          message: 'x',
          idempotencyKey: idem(),
        }),
        'cron.list agentId': (p) => ({ agentId: p }),
        'cron.runs id': (p) => ({ id: p }),
        'cron.runs jobId': (p) => ({ jobId: p }),
        'cron.add agentId': (p) => ({ ...job, agentId: p }),
        'cron.add delivery.channel': (p) => ({ ...job, delivery: { channel: p, to: '1' } }),
        'cron.add delivery.accountId': (p) => ({
          ...job,
          delivery: { channel: 'telegram', to: '1', accountId: p },
        }),
        'cron.update patch.delivery.channel': (p) => ({
          id: 'nope',
          patch: { delivery: { channel: p, to: '1' } },
        }),
        'cron.update patch.delivery.accountId': (p) => ({
          id: 'nope',
          patch: { delivery: { channel: 'telegram', to: '1', accountId: p } },
        }),
        'cron.update id': (p) => ({ id: p, patch: { name: 'y' } }),
        'cron.update jobId': (p) => ({ jobId: p, patch: { name: 'y' } }),
        'cron.update patch.agentId': (p) => ({ id: 'nope', patch: { agentId: p } }),
        'cron.remove id': (p) => ({ id: p }),
        'cron.remove jobId': (p) => ({ jobId: p }),
        'cron.run id': (p) => ({ id: p }),
        'cron.run jobId': (p) => ({ jobId: p }),
        'wake sessionKey': (p) => ({ mode: 'next-heartbeat', text: 'x', sessionKey: p }),
      };
      expect([...new Set(found)].sort()).toEqual(Object.keys(BASE).sort());
      const keepOut = (rel: string) => rel.startsWith('state/') && !rel.startsWith('state/credentials');
      const before = await snapshot(keepOut);
      const c = await connectedClient(gateway.url, gatewayToken);
      const texts: string[] = [];
      let total = 0;
      for (const [key, make] of Object.entries(BASE)) {
        const method = key.split(' ')[0]!;
        for (let i = 0; i < payloads.length; i += 64) {
          const batch = payloads.slice(i, i + 64);
          const res = await Promise.all(batch.map((p) => c.request(method, make(p))));
          for (const r of res) texts.push(JSON.stringify(r));
          total += batch.length;
        }
      }
      c.close();
      expect(total).toBeGreaterThanOrEqual(payloads.length * 30);
      const leaked = texts.filter((t) => t.includes(CANARY) || t.includes(gatewayToken));
      expect(leaked.slice(0, 3)).toEqual([]);
      expect(await snapshot(keepOut)).toEqual(before);
      // Nothing was written outside the state dir's own folders either.
      expect((await readdir(root)).sort()).toEqual(['outside', 'state']);
      expect((await readdir(join(root, 'outside'))).sort()).toEqual(['secret.txt', 'sub']);
    } finally {
      await gateway.stop('done');
    }
  }, 240_000);
});
