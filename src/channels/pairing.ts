import { randomInt } from 'node:crypto';
import { chmod, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { CarapaceError, type Clock, errnoCode, writeFileAtomic } from '../shared/index.js';

/** 32 symbols without look-alikes (no I, O, 0, 1): 8 of them carry 40 bits. */
export const PAIRING_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
export const PAIRING_CODE_LENGTH = 8;
export const PAIRING_TTL_MS = 60 * 60 * 1000;
export const MAX_PENDING_PER_ACCOUNT = 3;
/** At most one pairing reply per sender in this window. */
export const PAIRING_REPLY_WINDOW_MS = 60 * 60 * 1000;
/** Senders remembered for reply limiting; when full, new senders get no reply until entries expire. */
const MAX_REPLY_MEMORY = 5000;

/** A code waiting for the owner's approval. */
export interface PairingRequest {
  code: string;
  senderId: string;
  /** The DM conversation to notify on approval (on most platforms the sender id itself). */
  peerId: string;
  senderName?: string;
  createdAt: number;
  expiresAt: number;
}

/** A sender the owner approved. Only the stable id authorises; the name is for people. */
export interface ApprovedSender {
  id: string;
  approvedAt: number;
  name?: string;
}

interface PairingFile {
  version: 1;
  approved: ApprovedSender[];
  pending: PairingRequest[];
  /** [senderId, when they last got a pairing reply]. */
  replies: [string, number][];
}

/** What to do with an unknown sender's DM. */
export type PairingDecision =
  | { kind: 'issued'; request: PairingRequest }
  | { kind: 'quiet'; reason: 'pending' | 'replied-recently' | 'full' };

/** A new pairing code (8 symbols of PAIRING_ALPHABET, uniform). */
export function newPairingCode(): string {
  let code = '';
  for (let i = 0; i < PAIRING_CODE_LENGTH; i++) code += PAIRING_ALPHABET[randomInt(PAIRING_ALPHABET.length)];
  return code;
}

/** Upper-case, without spaces or dashes, so `abcd-efgh` matches `ABCDEFGH`. */
export function normalizePairingCode(code: string): string {
  return code.replace(/[\s-]/g, '').toUpperCase();
}

/**
 * Approved senders and pending pairing codes of one channel account, in one JSON file (0600, folder
 * 0700) under the channel's credentials folder. Bounded: at most MAX_PENDING_PER_ACCOUNT live codes,
 * codes expire after an hour, and each sender gets at most one pairing reply per hour.
 */
export class PairingStore {
  #data: Omit<PairingFile, 'replies'> = { version: 1, approved: [], pending: [] };
  readonly #replies = new Map<string, number>();
  #writes: Promise<void> = Promise.resolve();

  private constructor(
    readonly path: string,
    private readonly clock: Clock,
  ) {}

  static async open(path: string, clock: Clock): Promise<PairingStore> {
    const store = new PairingStore(path, clock);
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    await chmod(dirname(path), 0o700);
    try {
      const parsed = JSON.parse(await readFile(path, 'utf8')) as Partial<PairingFile>;
      if (parsed.version !== 1) {
        throw new CarapaceError(
          'PAIRING_STORE_INVALID',
          `${path}: unknown version ${String(parsed.version)}`,
        );
      }
      store.#data = {
        version: 1,
        approved: Array.isArray(parsed.approved) ? parsed.approved : [],
        pending: Array.isArray(parsed.pending) ? parsed.pending : [],
      };
      for (const entry of Array.isArray(parsed.replies) ? parsed.replies : []) {
        if (Array.isArray(entry) && typeof entry[0] === 'string' && typeof entry[1] === 'number') {
          store.#replies.set(entry[0], entry[1]);
        }
      }
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') {
        if (err instanceof SyntaxError) {
          throw new CarapaceError('PAIRING_STORE_INVALID', `${path} is not valid JSON`, { cause: err });
        }
        throw err;
      }
    }
    return store;
  }

  isApproved(senderId: string): boolean {
    return this.#data.approved.some((a) => a.id === senderId);
  }

  approved(): readonly ApprovedSender[] {
    return this.#data.approved;
  }

  /** Live pending codes, oldest first. */
  pending(): PairingRequest[] {
    const now = this.clock.now();
    return this.#data.pending.filter((p) => p.expiresAt > now);
  }

  /** Decide about a DM from an unknown sender: issue a code (and reply once) or stay quiet. */
  async request(sender: { id: string; name?: string | undefined }, peerId: string): Promise<PairingDecision> {
    const now = this.clock.now();
    const changed = this.#prune(now);
    const decision = this.#decide(sender, peerId, now);
    if (decision.kind === 'issued' || changed) await this.#save();
    return decision;
  }

  #decide(sender: { id: string; name?: string | undefined }, peerId: string, now: number): PairingDecision {
    const data = this.#data;
    if (data.pending.some((p) => p.senderId === sender.id)) return { kind: 'quiet', reason: 'pending' };
    const last = this.#replies.get(sender.id);
    if (last !== undefined && now - last < PAIRING_REPLY_WINDOW_MS) {
      return { kind: 'quiet', reason: 'replied-recently' };
    }
    if (data.pending.length >= MAX_PENDING_PER_ACCOUNT) return { kind: 'quiet', reason: 'full' };
    if (this.#replies.size >= MAX_REPLY_MEMORY) return { kind: 'quiet', reason: 'full' };
    let code = newPairingCode();
    while (data.pending.some((p) => p.code === code)) code = newPairingCode();
    const request: PairingRequest = {
      code,
      senderId: sender.id,
      peerId,
      createdAt: now,
      expiresAt: now + PAIRING_TTL_MS,
    };
    if (sender.name) request.senderName = sender.name.slice(0, 128);
    data.pending.push(request);
    this.#replies.set(sender.id, now);
    return { kind: 'issued', request };
  }

  /** Approve a pending code: its sender becomes approved. Undefined when no live code matches. */
  async approve(code: string): Promise<{ approved: ApprovedSender; request: PairingRequest } | undefined> {
    const now = this.clock.now();
    this.#prune(now);
    const wanted = normalizePairingCode(code);
    const request = this.#data.pending.find((p) => p.code === wanted);
    if (!request) return undefined;
    this.#data.pending = this.#data.pending.filter((p) => p !== request);
    const approved: ApprovedSender = { id: request.senderId, approvedAt: now };
    if (request.senderName) approved.name = request.senderName;
    if (!this.isApproved(request.senderId)) this.#data.approved.push(approved);
    await this.#save();
    return { approved, request };
  }

  /** Approve a sender by stable id (no code), e.g. from the CLI. */
  async approveId(senderId: string): Promise<void> {
    if (this.isApproved(senderId)) return;
    this.#data.approved.push({ id: senderId, approvedAt: this.clock.now() });
    this.#data.pending = this.#data.pending.filter((p) => p.senderId !== senderId);
    await this.#save();
  }

  /** Drop expired codes and reply marks older than the window. True when something was dropped. */
  #prune(now: number): boolean {
    const before = this.#data.pending.length;
    this.#data.pending = this.#data.pending.filter((p) => p.expiresAt > now);
    let changed = before !== this.#data.pending.length;
    for (const [id, at] of this.#replies) {
      if (now - at >= PAIRING_REPLY_WINDOW_MS) {
        this.#replies.delete(id);
        changed = true;
      }
    }
    return changed;
  }

  #save(): Promise<void> {
    const file: PairingFile = { ...this.#data, replies: [...this.#replies] };
    const text = `${JSON.stringify(file, null, 2)}\n`;
    const next = this.#writes.then(() => writeFileAtomic(this.path, text, { mode: 0o600 }));
    this.#writes = next.catch(() => {});
    return next;
  }
}
