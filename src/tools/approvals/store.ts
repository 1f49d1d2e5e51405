import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import Type, { type Static } from 'typebox';
import { compileValidator, formatIssues } from '../../protocol/index.js';
import {
  CarapaceError,
  type Clock,
  errnoCode,
  newId,
  systemClock,
  writeFileAtomic,
} from '../../shared/index.js';
import type { AllowlistRule } from './allowlist.js';

const closed = { additionalProperties: false } as const;

export const BinaryFingerprintSchema = Type.Object(
  {
    path: Type.String({ minLength: 1 }),
    size: Type.Number({ minimum: 0 }),
    mtimeMs: Type.Number(),
    ino: Type.Number(),
    dev: Type.Number(),
  },
  closed,
);

/** One persisted allowlist entry ("allow always", or set by an admin through `exec.approvals.set`). */
export const ExecApprovalEntrySchema = Type.Object(
  {
    id: Type.String({ minLength: 1 }),
    argv: Type.Array(Type.String(), { minItems: 1 }),
    match: Type.Union([Type.Literal('exact'), Type.Literal('prefix')]),
    /** Programs pinned at approval time (executed first, effective last); absent = not pinned. */
    binaries: Type.Optional(Type.Array(BinaryFingerprintSchema)),
    agentId: Type.Optional(Type.String({ minLength: 1 })),
    createdAtMs: Type.Integer({ minimum: 0 }),
  },
  closed,
);
export type ExecApprovalEntry = Static<typeof ExecApprovalEntrySchema>;

/** The approvals file, versioned. */
export const ExecApprovalsFileSchema = Type.Object(
  { version: Type.Literal(1), entries: Type.Array(ExecApprovalEntrySchema) },
  closed,
);
export type ExecApprovalsFile = Static<typeof ExecApprovalsFileSchema>;

export const EXEC_APPROVALS_VERSION = 1;

export interface ExecApprovalsSnapshot {
  file: ExecApprovalsFile;
  /** sha256 of the file's text (of the empty file when it does not exist), for compare-and-set. */
  hash: string;
}

/** The persisted exec allowlist. `exec.approvals.get`/`set` read and replace it. */
export interface ExecApprovalsStore {
  get(): Promise<ExecApprovalsSnapshot>;
  /** Replace the whole file; with `baseHash`, only if nobody changed it since that snapshot. */
  set(file: ExecApprovalsFile, baseHash?: string): Promise<ExecApprovalsSnapshot>;
  /** Append one entry (id and time filled in). */
  add(entry: Omit<ExecApprovalEntry, 'id' | 'createdAtMs'>): Promise<ExecApprovalEntry>;
  /** The entries as allowlist rules. */
  rules(): Promise<AllowlistRule[]>;
}

export interface ExecApprovalsStoreOptions {
  /** JSON file; written atomically with mode 0600. */
  path: string;
  clock?: Clock;
}

const validator = compileValidator<ExecApprovalsFile>(ExecApprovalsFileSchema);
const EMPTY: ExecApprovalsFile = { version: 1, entries: [] };

function hashText(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function serialize(file: ExecApprovalsFile): string {
  return `${JSON.stringify(file, null, 2)}\n`;
}

/** Check a file object; throws `EXEC_APPROVALS_INVALID` with path-level issues. */
export function validateExecApprovalsFile(value: unknown): ExecApprovalsFile {
  if (validator.check(value)) return value;
  throw new CarapaceError(
    'EXEC_APPROVALS_INVALID',
    `invalid exec approvals: ${formatIssues(validator.issues(value))}`,
  );
}

/** A store over one JSON file. Writes are serialized; a missing file reads as empty. */
export function createExecApprovalsStore(options: ExecApprovalsStoreOptions): ExecApprovalsStore {
  const clock = options.clock ?? systemClock;
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = queue.then(fn, fn);
    queue = run.catch(() => undefined);
    return run;
  };

  async function read(): Promise<ExecApprovalsSnapshot> {
    let text: string;
    try {
      text = await readFile(options.path, 'utf8');
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return { file: structuredClone(EMPTY), hash: hashText('') };
      throw err;
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      throw new CarapaceError('EXEC_APPROVALS_INVALID', `exec approvals file is not JSON: ${options.path}`, {
        cause: err,
      });
    }
    return { file: validateExecApprovalsFile(value), hash: hashText(text) };
  }

  async function write(file: ExecApprovalsFile): Promise<ExecApprovalsSnapshot> {
    const text = serialize(file);
    await writeFileAtomic(options.path, text, { mode: 0o600 });
    return { file, hash: hashText(text) };
  }

  return {
    get: () => serial(read),
    set: (file, baseHash) =>
      serial(async () => {
        const valid = validateExecApprovalsFile(file);
        if (baseHash !== undefined) {
          const current = await read();
          if (current.hash !== baseHash) {
            throw new CarapaceError(
              'EXEC_APPROVALS_CONFLICT',
              'exec approvals changed since they were read',
              {
                details: { hash: current.hash },
              },
            );
          }
        }
        return write(valid);
      }),
    add: (entry) =>
      serial(async () => {
        const { file } = await read();
        const full: ExecApprovalEntry = { ...entry, id: newId(), createdAtMs: clock.now() };
        await write({ version: 1, entries: [...file.entries, full] });
        return full;
      }),
    rules: () =>
      serial(async () => {
        const { file } = await read();
        return file.entries.map((e) => {
          const rule: AllowlistRule = {
            argv: e.argv,
            match: e.match,
            source: 'store',
            label: e.argv.join(' '),
          };
          if (e.binaries) rule.binaries = e.binaries;
          if (e.agentId) rule.agentId = e.agentId;
          return rule;
        });
      }),
  };
}
