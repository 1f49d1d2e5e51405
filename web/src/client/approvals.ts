import type { EventFrame } from '../protocol.js';

/** An exec approval request: the agent wants to run a command that policy says a person must allow. */
export interface ApprovalRequest {
  id: string;
  command: string;
  cwd?: string;
  agentId?: string;
  sessionKey?: string;
  expiresAtMs?: number;
  /** Why policy asks (e.g. `not-allowlisted: uname is not on the allowlist`). */
  reason?: string;
}

export type ApprovalDecision = 'allow-once' | 'allow-always' | 'deny';

const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);

/** Read an `exec.approval.requested` payload (`{id, request:{command, cwd, …}}` or flat). */
export function parseApprovalRequest(payload: unknown): ApprovalRequest | undefined {
  const p = payload as Record<string, unknown> | undefined;
  const id = str(p?.id);
  if (!p || !id) return undefined;
  const r = (p.request && typeof p.request === 'object' ? p.request : p) as Record<string, unknown>;
  const argv = Array.isArray(r.argv) ? r.argv.map(String).join(' ') : undefined;
  const out: ApprovalRequest = { id, command: str(r.command) ?? argv ?? '(command not shown)' };
  const cwd = str(r.cwd);
  const agentId = str(r.agentId) ?? str(p.agentId);
  const sessionKey = str(r.sessionKey) ?? str(p.sessionKey);
  const expires = p.expiresAtMs ?? r.expiresAtMs;
  const reason = str(r.reason) ?? str(p.reason);
  if (cwd) out.cwd = cwd;
  if (agentId) out.agentId = agentId;
  if (sessionKey) out.sessionKey = sessionKey;
  if (typeof expires === 'number') out.expiresAtMs = expires;
  if (reason) out.reason = reason;
  return out;
}

/** Pending approval requests, kept from `exec.approval.requested` until resolved or expired. */
export class ApprovalQueue {
  #items = new Map<string, ApprovalRequest>();

  get list(): ApprovalRequest[] {
    return [...this.#items.values()];
  }

  /** Apply an event; true when the list changed. */
  apply(frame: EventFrame): boolean {
    if (frame.event === 'exec.approval.requested') {
      const req = parseApprovalRequest(frame.payload);
      if (!req) return false;
      this.#items.set(req.id, req);
      return true;
    }
    if (frame.event === 'exec.approval.resolved') {
      const id = str((frame.payload as { id?: unknown } | undefined)?.id);
      return id !== undefined && this.#items.delete(id);
    }
    return false;
  }

  /**
   * Replace the list with the gateway's pending requests (`exec.approvals.list` after each handshake:
   * requests made before this page connected, or while it was reconnecting). True when it changed.
   */
  replace(pending: readonly unknown[]): boolean {
    const before = JSON.stringify(this.list);
    this.#items.clear();
    for (const p of pending) {
      const req = parseApprovalRequest(p);
      if (req) this.#items.set(req.id, req);
    }
    return JSON.stringify(this.list) !== before;
  }

  remove(id: string): void {
    this.#items.delete(id);
  }

  /** Drop requests past their expiry; true when any was dropped. */
  prune(now: number): boolean {
    let changed = false;
    for (const [id, r] of this.#items) {
      if (r.expiresAtMs !== undefined && r.expiresAtMs <= now) changed = this.#items.delete(id) || changed;
    }
    return changed;
  }
}
