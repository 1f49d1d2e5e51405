import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import JSON5 from 'json5';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CarapaceError } from '../shared/index.js';
import {
  type ConfigIssue,
  ConfigSchema,
  loadConfig,
  resolvePaths,
  type StatePaths,
  validateConfig,
} from './index.js';

/** A small seeded PRNG (mulberry32) so every run generates the same 500 cases. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)]!,
  };
}
type Rng = ReturnType<typeof rng>;

interface Node {
  type?: string;
  properties?: Record<string, Node>;
  items?: Node;
  anyOf?: Node[];
  const?: unknown;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  pattern?: string;
}
type Seg = string | number;
type Json = Record<string, unknown>;

function kind(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function allowedKinds(node: Node): Set<string> {
  if (node.anyOf) return new Set(node.anyOf.flatMap((b) => [...allowedKinds(b)]));
  if (node.const !== undefined) return new Set([kind(node.const)]);
  if (node.type === 'number') return new Set(['number', 'integer']);
  return new Set([node.type ?? 'any']);
}

function childNode(node: Node | undefined, key: Seg, value: unknown): Node | undefined {
  if (!node) return undefined;
  if (typeof key === 'number') return node.items;
  if (node.properties && Object.hasOwn(node.properties, key)) return node.properties[key];
  const branch = node.anyOf?.find(
    (b) =>
      b.properties?.[key] &&
      (b.properties.source?.const ?? (value as Json).source) === (value as Json).source,
  );
  return branch?.properties?.[key];
}

/** Every position in `value` that the schema describes: [path, node, value]. */
function positions(node: Node, value: unknown, path: Seg[] = []): [Seg[], Node, unknown][] {
  const out: [Seg[], Node, unknown][] = [[path, node, value]];
  const entries: [Seg, unknown][] = Array.isArray(value)
    ? value.map((v, i) => [i, v])
    : typeof value === 'object' && value !== null
      ? Object.entries(value)
      : [];
  for (const [k, v] of entries) {
    const sub = childNode(node, k, value);
    if (sub) out.push(...positions(sub, v, [...path, k]));
  }
  return out;
}

function getAt(root: unknown, path: Seg[]): unknown {
  return path.reduce<unknown>((v, k) => (v as Record<Seg, unknown> | undefined)?.[k], root);
}

function setAt(root: Json, path: Seg[], value: unknown): void {
  const parent = getAt(root, path.slice(0, -1)) as Record<Seg, unknown>;
  parent[path[path.length - 1]!] = value;
}

const WRONG = [123, 1.5, 'text', true, null, [], {}, [1, 'a'], { nested: { x: 1 } }];

type Mutation = (doc: Json, r: Rng, n: number) => boolean;

const mutations: Record<string, Mutation> = {
  unknownKey(doc, r, n) {
    const objects = positions(ConfigSchema as Node, doc).filter(
      ([, node, v]) => node.properties && kind(v) === 'object',
    );
    const [path, node] = r.pick(objects);
    const key = `${r.pick(['x', 'zz', 'portt', 'Agents', 'bindd'])}_${n}`;
    if (node.properties && key in node.properties) return false;
    (getAt(doc, path) as Json)[key] = r.pick(WRONG);
    return true;
  },
  wrongType(doc, r) {
    const [path, node] = r.pick(positions(ConfigSchema as Node, doc).slice(1));
    const allowed = allowedKinds(node);
    const bad = WRONG.filter(
      (w) => !allowed.has(kind(w)) && !(allowed.has('number') && kind(w) === 'integer'),
    );
    if (bad.length === 0) return false;
    setAt(doc, path, structuredClone(r.pick(bad)));
    return true;
  },
  badValue(doc, r, n) {
    const options: [Seg[], unknown][] = [];
    for (const [path, node, v] of positions(ConfigSchema as Node, doc).slice(1)) {
      if (node.anyOf?.every((b) => b.const !== undefined)) options.push([path, `bogus-${n}`]);
      if (typeof v === 'number' && node.minimum !== undefined)
        options.push([path, node.minimum - 1 - r.int(5)]);
      if (typeof v === 'number' && node.maximum !== undefined)
        options.push([path, node.maximum + 1 + r.int(5)]);
      if (typeof v === 'string' && node.minLength === 1) options.push([path, '']);
      if (typeof v === 'string' && node.pattern) options.push([path, 'Not Valid!']);
      if (node.const === 1) options.push([path, 2]);
    }
    if (options.length === 0) return false;
    const [path, value] = r.pick(options);
    setAt(doc, path, value);
    return true;
  },
  danglingBinding(doc, _r, n) {
    const b = (doc.bindings as Json[] | undefined)?.[0];
    if (kind(b) !== 'object') return false;
    b!.agentId = `ghost-${n}`;
    return true;
  },
  duplicateAgent(doc) {
    const list = (doc.agents as Json | undefined)?.list;
    if (!Array.isArray(list) || kind(list[0]) !== 'object') return false;
    list.push(structuredClone(list[0]));
    return true;
  },
  missingRequired(doc, r) {
    const targets: [Seg[], string][] = [
      [['bindings', 0], 'agentId'],
      [['bindings', 0], 'match'],
      [['agents', 'list', 0], 'id'],
    ];
    const [path, key] = r.pick(targets);
    const obj = getAt(doc, path);
    if (kind(obj) !== 'object' || !(key in (obj as Json))) return false;
    delete (obj as Json)[key];
    return true;
  },
  missingEnv(doc, r, n) {
    const strings = positions(ConfigSchema as Node, doc).filter(
      ([p, , v]) => p.length > 0 && typeof v === 'string',
    );
    if (strings.length === 0) return false;
    setAt(doc, r.pick(strings)[0], `\${CARAPACE_FUZZ_MISSING_${n}}`);
    return true;
  },
  badInclude(doc, r, n) {
    doc.$include = r.pick(['carapace.json', `./missing-${n}.json5`, 42, ['ok', 7]]);
    return true;
  },
};

function baseConfig(): Json {
  const result = validateConfig({
    gateway: {
      auth: { token: { source: 'env', id: 'GW_TOKEN' }, password: { source: 'file', path: '/run/pw' } },
      controlUi: { allowedOrigins: ['http://localhost:5173'] },
    },
    logging: { redactPatterns: ['sk-[a-z]+'] },
    agents: {
      defaults: { model: 'anthropic/claude', tools: { profile: 'coding', deny: ['exec'] } },
      list: [
        { id: 'ops', default: true, name: 'Ops', workspace: '/w/ops', tools: { allow: ['read'] } },
        { id: 'dev', model: 'openai/gpt' },
      ],
    },
    bindings: [
      { agentId: 'ops', match: { channel: 'telegram', accountId: 'a', peer: { kind: 'dm', id: '42' } } },
    ],
    session: { reset: { mode: 'idle', idleMinutes: 30 } },
    version: 1,
  });
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.config as unknown as Json;
}

describe('500 generated invalid configs', () => {
  let paths: StatePaths;
  beforeAll(async () => {
    paths = resolvePaths({ stateDir: await mkdtemp(join(tmpdir(), 'carapace-fuzz-')) }, {});
  });
  afterAll(async () => {
    await rm(paths.stateDir, { recursive: true, force: true });
  });

  it('always end in CONFIG_INVALID with located, explained issues', async () => {
    const r = rng(0xc0ffee);
    const names = Object.keys(mutations);
    const seen = new Map<string, number>();
    const env = { GW_TOKEN: 'x' };
    // The base itself must load, or the test proves nothing.
    await writeFile(paths.configPath, JSON.stringify(baseConfig()));
    await expect(loadConfig({ paths, env })).resolves.toBeDefined();
    for (let n = 0; n < 500; n++) {
      const doc = baseConfig();
      let text: string;
      const roll = r.int(20);
      if (roll === 0) text = '';
      else if (roll === 1) {
        const full = JSON.stringify(doc, null, r.int(3));
        text = full.slice(0, r.int(full.length - 1));
      } else {
        const count = 1 + r.int(3);
        for (let applied = 0; applied < count; ) {
          const name = r.pick(names);
          if (mutations[name]!(doc, r, n)) {
            applied++;
            seen.set(name, (seen.get(name) ?? 0) + 1);
          }
        }
        text = r.int(2) ? JSON.stringify(doc, null, 2) : JSON5.stringify(doc);
      }
      await writeFile(paths.configPath, text);
      const err = await loadConfig({ paths, env }).then(
        () => new Error(`case ${n} loaded but is invalid:\n${text}`),
        (e: unknown) => e,
      );
      expect(err, `case ${n}: ${String(err)}`).toBeInstanceOf(CarapaceError);
      const ce = err as CarapaceError;
      expect(ce.code, `case ${n}: ${ce.message}`).toBe('CONFIG_INVALID');
      const issues = ce.details?.issues as ConfigIssue[];
      expect(issues.length).toBeGreaterThan(0);
      expect(issues.some((i) => i.path.length > 0)).toBe(true);
      for (const i of issues) {
        expect(i.message.length).toBeGreaterThan(0);
        expect(i.hint.length).toBeGreaterThan(0);
      }
      expect(ce.message.split('\n')).toHaveLength(issues.length + 1);
      expect(ce.message).toContain(paths.configPath);
      if (process.env.FUZZ_DUMP) console.log(ce.message);
    }
    // Every kind of mutation was exercised.
    expect([...seen.keys()].sort()).toEqual([...names].sort());
  });
});
