import type { Clock } from '../../shared/index.js';
import { systemClock } from '../../shared/index.js';

export type ApprovalDecision = 'allow-once' | 'allow-always' | 'deny';

/** What an operator is asked to approve. The decision binds to exactly this argv, cwd and program. */
export interface ApprovalRequest {
  id: string;
  sessionKey: string;
  agentId: string;
  /** The command string as the agent wrote it. */
  command: string;
  /** The argv of the (first) simple command that needs approval. */
  argv: string[];
  /** Every simple command that needs approval (argv each); `argv` is the first of them. */
  commands: string[][];
  cwd: string;
  /** Why it is not covered by the allowlist. */
  reason: string;
  /** Real path of the program `argv` runs, when resolved. */
  resolvedPath?: string;
  /** When the request stops waiting (no answer = deny). */
  expiresAtMs: number;
}

/**
 * The port the exec tool asks through. `request` settles with the operator's decision, or with `deny`
 * once `signal` aborts (approval timeout, run aborted). It must not reject for those.
 */
export interface ApprovalBroker {
  request(req: ApprovalRequest, signal: AbortSignal): Promise<ApprovalDecision>;
}

export interface PendingApproval extends ApprovalRequest {
  createdAtMs: number;
}

export type ApprovalEvent =
  | { type: 'requested'; request: PendingApproval }
  | { type: 'resolved'; id: string; decision: ApprovalDecision; by: 'operator' | 'cancelled' };

interface Waiter {
  request: PendingApproval;
  settle: (decision: ApprovalDecision, by: 'operator' | 'cancelled') => void;
}

/**
 * An in-process broker: requests wait in a list until `resolve(id, decision)` (the gateway's
 * `exec.approval.resolve`) or their signal aborts. `subscribe` reports requested/resolved events
 * (for `exec.approval.requested` / `exec.approval.resolved`).
 */
export class InMemoryApprovalBroker implements ApprovalBroker {
  private readonly waiters = new Map<string, Waiter>();
  private readonly listeners = new Set<(event: ApprovalEvent) => void>();
  private readonly clock: Clock;

  constructor(options: { clock?: Clock } = {}) {
    this.clock = options.clock ?? systemClock;
  }

  request(req: ApprovalRequest, signal: AbortSignal): Promise<ApprovalDecision> {
    if (signal.aborted) return Promise.resolve('deny');
    if (this.waiters.has(req.id)) return Promise.resolve('deny');
    return new Promise<ApprovalDecision>((resolvePromise) => {
      const request: PendingApproval = { ...req, createdAtMs: this.clock.now() };
      const onAbort = () => waiter.settle('deny', 'cancelled');
      const waiter: Waiter = {
        request,
        settle: (decision, by) => {
          if (!this.waiters.delete(req.id)) return;
          signal.removeEventListener('abort', onAbort);
          this.emit({ type: 'resolved', id: req.id, decision, by });
          resolvePromise(decision);
        },
      };
      this.waiters.set(req.id, waiter);
      signal.addEventListener('abort', onAbort, { once: true });
      this.emit({ type: 'requested', request });
    });
  }

  /** Requests still waiting for a decision, oldest first. */
  pending(): PendingApproval[] {
    return [...this.waiters.values()].map((w) => ({ ...w.request }));
  }

  /** Answer a pending request. False when there is no such request (already answered or expired). */
  resolve(id: string, decision: ApprovalDecision): boolean {
    const waiter = this.waiters.get(id);
    if (!waiter) return false;
    waiter.settle(decision, 'operator');
    return true;
  }

  /** Listen to requested/resolved events; returns the unsubscribe function. */
  subscribe(listener: (event: ApprovalEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(event: ApprovalEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A failing listener must not block the approval flow.
      }
    }
  }
}
