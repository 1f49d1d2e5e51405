import { chmod, mkdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { AuthenticationState, SignalKeyStore } from 'baileys';
import { errnoCode, writeFileAtomic } from '../../shared/index.js';
import { accountFileName } from '../account.js';

/** The file Baileys keeps the device identity in; the other files of the folder are signal keys. */
export const CREDS_FILE = 'creds.json';

/** `<credentialsDir>/whatsapp/<account>/`: the linked device of one account. */
export function whatsappAuthDir(credentialsDir: string, accountId: string): string {
  return join(credentialsDir, 'whatsapp', accountFileName(accountId));
}

/** Create `dir` (and missing parents) owner-only (0700), and tighten it if it already exists. */
export async function ensurePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
}

/** The linked phone of an auth folder, or undefined when it holds no finished link. */
export async function linkedAccount(dir: string): Promise<{ id: string; name?: string } | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, CREDS_FILE), 'utf8');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') return undefined;
    throw err;
  }
  try {
    const me = (JSON.parse(text) as { me?: { id?: unknown; name?: unknown } }).me;
    if (typeof me?.id !== 'string' || me.id === '') return undefined;
    return typeof me.name === 'string' && me.name ? { id: me.id, name: me.name } : { id: me.id };
  } catch {
    return undefined;
  }
}

/** Remove an auth folder. Resolves true when there was one. */
export async function clearAuthDir(dir: string): Promise<boolean> {
  const existed = await stat(dir).then(
    () => true,
    () => false,
  );
  await rm(dir, { recursive: true, force: true });
  return existed;
}

/** An open auth folder. */
export interface AuthHandle {
  dir: string;
  state: AuthenticationState;
  /** Persist `state.creds` (atomically, 0600); calls are serialised. */
  saveCreds(): Promise<void>;
  /** Resolves when every started credential and key write has finished. */
  flush(): Promise<void>;
}

/**
 * Open the auth state of `dir` with Baileys' `useMultiFileAuthState` (created 0700 if missing). The
 * creds file is written atomically with mode 0600 (Baileys' own writer overwrites it in place, so a crash
 * could leave half a file and force a new link); key writes are tracked so `flush` can wait for them.
 */
export async function openAuthState(dir: string): Promise<AuthHandle> {
  await ensurePrivateDir(dir);
  const { useMultiFileAuthState, BufferJSON } = await import('baileys');
  const { state } = await useMultiFileAuthState(dir);
  const pending = new Set<Promise<unknown>>();
  const track = <T>(p: Promise<T>): Promise<T> => {
    pending.add(p);
    const forget = () => pending.delete(p);
    p.then(forget, forget);
    return p;
  };
  let chain: Promise<void> = Promise.resolve();
  const inner = state.keys;
  const keys: SignalKeyStore = {
    get: (type, ids) => inner.get(type, ids),
    set: (data) => track(Promise.resolve(inner.set(data))),
  };
  return {
    dir,
    state: { creds: state.creds, keys },
    saveCreds() {
      const write = () =>
        writeFileAtomic(join(dir, CREDS_FILE), JSON.stringify(state.creds, BufferJSON.replacer), {
          mode: 0o600,
        });
      chain = chain.catch(() => {}).then(write);
      return track(chain);
    },
    async flush() {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
  };
}
