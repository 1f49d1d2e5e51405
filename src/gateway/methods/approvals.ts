import { METHOD_SPECS } from '../../protocol/index.js';
import { CarapaceError } from '../../shared/index.js';
import type { ExecApprovalsFile, ExecApprovalsStore, InMemoryApprovalBroker } from '../../tools/index.js';
import type { MethodRegistry } from '../registry.js';

export interface ApprovalMethodDeps {
  broker: InMemoryApprovalBroker;
  store: ExecApprovalsStore;
}

/** `exec.approval.resolve`, `exec.approvals.list` (approvals scope); `exec.approvals.get/set` (admin). */
export function registerApprovalMethods(registry: MethodRegistry, deps: ApprovalMethodDeps): void {
  registry.register('exec.approval.resolve', {
    spec: METHOD_SPECS['exec.approval.resolve'],
    handler: (p: { id: string; decision: 'allow-once' | 'allow-always' | 'deny' }) => {
      if (!deps.broker.resolve(p.id, p.decision)) {
        throw new CarapaceError(
          'APPROVAL_NOT_FOUND',
          `no pending exec approval '${p.id}' (it was answered, timed out or cancelled)`,
          {
            details: { id: p.id },
          },
        );
      }
      return { ok: true as const, id: p.id, decision: p.decision };
    },
  });
  registry.register('exec.approvals.list', {
    spec: METHOD_SPECS['exec.approvals.list'],
    handler: () => ({ pending: deps.broker.pending() }),
  });
  registry.register('exec.approvals.get', {
    spec: METHOD_SPECS['exec.approvals.get'],
    handler: () => deps.store.get(),
  });
  registry.register('exec.approvals.set', {
    spec: METHOD_SPECS['exec.approvals.set'],
    handler: (p: { file: Record<string, unknown>; baseHash?: string }) =>
      deps.store.set(p.file as unknown as ExecApprovalsFile, p.baseHash),
  });
}
