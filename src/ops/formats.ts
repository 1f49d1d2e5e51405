import { open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { INBOX_VERSION, SESSION_INDEX_VERSION, TRANSCRIPT_VERSION } from '../sessions/index.js';

/**
 * Every file the gateway persists, where it lives (relative to the state dir, `*` is one path segment or
 * part of a name) and where its version is written. Formats whose version constant another folder does not
 * export are pinned here; a test keeps each in step with the writer.
 */
export interface FormatSpec {
  name: string;
  pattern: string;
  /**
   * `json`: a top-level field of one JSON document; `first-line`: a field of the first JSONL line;
   * `lines`: a field of every JSONL line; `none`: not versioned (listed only).
   */
  read: 'json' | 'first-line' | 'lines' | 'none';
  field?: 'version' | 'v';
  /** The version this build writes and reads. */
  supported?: number;
  /** Set when another version is not an error: the file is rebuilt from its sources. */
  rebuilt?: boolean;
}

export const PERSISTED_FORMATS: readonly FormatSpec[] = [
  {
    name: 'session index',
    pattern: 'agents/*/sessions/sessions.json',
    read: 'json',
    field: 'version',
    supported: SESSION_INDEX_VERSION,
  },
  { name: 'session index journal', pattern: 'agents/*/sessions/sessions.json.journal', read: 'none' },
  {
    name: 'transcript',
    pattern: 'agents/*/sessions/*.jsonl',
    read: 'first-line',
    field: 'version',
    supported: TRANSCRIPT_VERSION,
  },
  { name: 'inbox', pattern: 'gateway/inbox.jsonl', read: 'lines', field: 'v', supported: INBOX_VERSION },
  {
    name: 'idempotency records',
    pattern: 'gateway/idempotency.jsonl',
    read: 'lines',
    field: 'v',
    supported: 1,
  },
  { name: 'cron jobs', pattern: 'cron/jobs.json', read: 'json', field: 'version', supported: 1 },
  { name: 'cron run log', pattern: 'cron/runs/*.jsonl', read: 'none' },
  {
    name: 'heartbeat budget',
    pattern: 'cron/heartbeat-usage.json',
    read: 'json',
    field: 'version',
    supported: 1,
  },
  { name: 'exec approvals', pattern: 'exec-approvals.json', read: 'json', field: 'version', supported: 1 },
  { name: 'outbound queue', pattern: 'channels/*/*/outbound.jsonl', read: 'lines', field: 'v', supported: 1 },
  { name: 'pairing', pattern: 'credentials/*/*-pairing.json', read: 'json', field: 'version', supported: 1 },
  {
    name: 'auth profiles',
    pattern: 'agents/*/agent/auth-profiles.json',
    read: 'json',
    field: 'version',
    supported: 1,
  },
  {
    name: 'memory index',
    pattern: 'agents/*/memory/index.json',
    read: 'json',
    field: 'version',
    supported: 1,
    rebuilt: true,
  },
];

/** One persisted file and what its version says. */
export interface FormatFile {
  format: string;
  path: string;
  /** `ok`; `newer` (written by a newer Carapace); `other` (older or unknown); `unreadable`; `unversioned`. */
  status: 'ok' | 'newer' | 'other' | 'unreadable' | 'unversioned';
  /** The highest version found (for `lines`, across the lines read). */
  version?: number;
  supported?: number;
  rebuilt?: boolean;
  reason?: string;
}

function segmentRegex(segment: string): RegExp {
  const body = segment.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${body.join('[^/]*')}$`);
}

/** The files under `root` matching a `/`-separated pattern where `*` stands for any part of one segment. */
export async function globFiles(root: string, pattern: string): Promise<string[]> {
  let current = [root];
  for (const segment of pattern.split('/')) {
    const next: string[] = [];
    for (const dir of current) {
      if (!segment.includes('*')) {
        next.push(join(dir, segment));
        continue;
      }
      const re = segmentRegex(segment);
      const names = await readdir(dir).catch(() => [] as string[]);
      for (const name of names.sort()) if (re.test(name)) next.push(join(dir, name));
    }
    current = next;
  }
  const out: string[] = [];
  for (const path of current) {
    const handle = await open(path, 'r').catch(() => undefined);
    if (!handle) continue;
    const isFile = (await handle.stat()).isFile();
    await handle.close();
    if (isFile) out.push(path);
  }
  return out;
}

/** How much of a file is read to find versions: the head of a large JSONL file is enough to flag it. */
const READ_LIMIT = 1024 * 1024;

async function head(path: string): Promise<string> {
  const handle = await open(path, 'r');
  try {
    const buf = Buffer.alloc(READ_LIMIT);
    const { bytesRead } = await handle.read(buf, 0, READ_LIMIT, 0);
    return buf.subarray(0, bytesRead).toString('utf8');
  } finally {
    await handle.close();
  }
}

function versionOf(value: unknown, field: string): number | undefined {
  const v = (value as Record<string, unknown> | null)?.[field];
  return typeof v === 'number' ? v : undefined;
}

/** The versions a file holds (one for JSON and first-line, each line's for `lines`). */
async function readVersions(
  path: string,
  spec: FormatSpec,
): Promise<{ versions: number[]; reason?: string }> {
  const text = await head(path);
  const field = spec.field ?? 'version';
  if (spec.read === 'json') {
    try {
      const v = versionOf(JSON.parse(text), field);
      return v === undefined ? { versions: [], reason: `no numeric "${field}"` } : { versions: [v] };
    } catch {
      return { versions: [], reason: 'not valid JSON' };
    }
  }
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (text.length === READ_LIMIT) lines.pop(); // cut at the read limit
  const versions: number[] = [];
  for (const line of spec.read === 'first-line' ? lines.slice(0, 1) : lines) {
    try {
      const v = versionOf(JSON.parse(line), field);
      if (v !== undefined) versions.push(v);
    } catch {
      // A torn line: the owning store repairs it; only versions matter here.
    }
  }
  if (versions.length === 0 && lines.length > 0)
    return { versions, reason: `no line with a numeric "${field}"` };
  return { versions };
}

/** Classify one file of a format. */
export async function inspectFile(path: string, spec: FormatSpec): Promise<FormatFile> {
  const base = { format: spec.name, path };
  if (spec.read === 'none' || spec.supported === undefined) return { ...base, status: 'unversioned' };
  const extra = { supported: spec.supported, ...(spec.rebuilt ? { rebuilt: true } : {}) };
  let found: { versions: number[]; reason?: string };
  try {
    found = await readVersions(path, spec);
  } catch (err) {
    return { ...base, ...extra, status: 'unreadable', reason: String((err as Error).message ?? err) };
  }
  if (found.reason) return { ...base, ...extra, status: 'unreadable', reason: found.reason };
  if (found.versions.length === 0) return { ...base, ...extra, status: 'ok' }; // empty file
  const version = Math.max(...found.versions);
  const status =
    version > spec.supported ? 'newer' : found.versions.every((v) => v === spec.supported) ? 'ok' : 'other';
  return { ...base, ...extra, status, version: status === 'other' ? Math.min(...found.versions) : version };
}

/** Every persisted file of the state dir, with its format and version status. */
export async function scanFormats(
  stateDir: string,
  formats: readonly FormatSpec[] = PERSISTED_FORMATS,
): Promise<FormatFile[]> {
  const out: FormatFile[] = [];
  for (const spec of formats) {
    for (const path of await globFiles(stateDir, spec.pattern)) out.push(await inspectFile(path, spec));
  }
  return out;
}
