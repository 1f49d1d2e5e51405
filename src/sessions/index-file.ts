import { open, readdir, readFile, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { compileValidator, formatIssues } from '../protocol/index.js';
import { CarapaceError, type Clock, errnoCode, writeFileAtomic } from '../shared/index.js';
import {
  SESSION_INDEX_VERSION,
  type SessionEntry,
  type SessionIndexFile,
  SessionIndexFileSchema,
  type TranscriptHeader,
} from './schema.js';

/**
 * `sessions.json`: the per-agent index from session key to its current session and running totals.
 * Replaced atomically on every save. A corrupt index is set aside and rebuilt from transcript headers.
 */

export const INDEX_FILE = 'sessions.json';

/** What loading found, besides the entries. */
export interface LoadedIndex {
  sessions: Map<string, SessionEntry>;
  /** Set when the file was unreadable: where it was moved before the index was rebuilt. */
  corruptBackup?: string;
  /** What was wrong with the corrupt file. */
  corruptReason?: string;
}

const validator = compileValidator<SessionIndexFile>(SessionIndexFileSchema);

/** Load the index of `dir`; missing → empty; corrupt → moved to `sessions.json.corrupt-<ts>` and rebuilt. */
export async function loadIndex(dir: string, agentId: string, clock: Clock): Promise<LoadedIndex> {
  const file = join(dir, INDEX_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return { sessions: new Map() };
    throw err;
  }
  let problem: string;
  try {
    const value: unknown = JSON.parse(text);
    const version = (value as { version?: unknown } | null)?.version;
    if (typeof version === 'number' && version > SESSION_INDEX_VERSION) {
      throw new CarapaceError(
        'SESSION_INDEX_VERSION_UNSUPPORTED',
        `${file} has version ${version}; this build reads up to ${SESSION_INDEX_VERSION}`,
        { details: { file, version } },
      );
    }
    if (validator.check(value)) return { sessions: new Map(Object.entries(value.sessions)) };
    problem = formatIssues(validator.issues(value));
  } catch (err) {
    if (err instanceof CarapaceError) throw err;
    problem = 'not valid JSON';
  }
  const corruptBackup = `${file}.corrupt-${clock.now()}`;
  await rename(file, corruptBackup);
  const sessions = await rebuildIndex(dir, agentId);
  await saveIndex(dir, agentId, sessions);
  return { sessions, corruptBackup, corruptReason: problem };
}

/** Write the index atomically (temp file, fsync, rename). */
export async function saveIndex(dir: string, agentId: string, sessions: ReadonlyMap<string, SessionEntry>) {
  const body: SessionIndexFile = {
    version: SESSION_INDEX_VERSION,
    agentId,
    sessions: Object.fromEntries(sessions),
  };
  await writeFileAtomic(join(dir, INDEX_FILE), `${JSON.stringify(body, null, 1)}\n`, { mode: 0o600 });
}

async function readHeader(file: string): Promise<TranscriptHeader | undefined> {
  const handle = await open(file, 'r');
  try {
    const buf = Buffer.alloc(16 * 1024);
    const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
    const first = buf.subarray(0, bytesRead).toString('utf8').split('\n')[0] ?? '';
    const value = JSON.parse(first) as TranscriptHeader;
    return value?.type === 'session' && typeof value.sessionKey === 'string' && typeof value.id === 'string'
      ? value
      : undefined;
  } catch {
    return undefined;
  } finally {
    await handle.close();
  }
}

/**
 * Rebuild the index from the header lines of the transcripts in `dir` (the newest session of each key
 * wins). Totals restart at zero: they are not worth reading every transcript for.
 */
export async function rebuildIndex(dir: string, agentId: string): Promise<Map<string, SessionEntry>> {
  const sessions = new Map<string, SessionEntry>();
  const names = (await readdir(dir)).filter((n) => n.endsWith('.jsonl'));
  for (const name of names) {
    const file = join(dir, name);
    const header = await readHeader(file);
    if (!header) continue;
    const current = sessions.get(header.sessionKey);
    if (current && current.createdAt >= header.createdAt) continue;
    sessions.set(header.sessionKey, {
      sessionKey: header.sessionKey,
      sessionId: header.id,
      agentId,
      createdAt: header.createdAt,
      updatedAt: Math.max(header.createdAt, Math.floor((await stat(file)).mtimeMs)),
      tokens: { input: 0, output: 0, total: 0 },
      messageCount: 0,
    });
  }
  return sessions;
}
