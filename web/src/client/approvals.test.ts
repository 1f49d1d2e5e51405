import { describe, expect, it } from 'vitest';
import { ApprovalQueue, parseApprovalRequest } from './approvals.js';

describe('ApprovalQueue.replace', () => {
  it('takes the pending list of exec.approvals.list, with the reason, and reports changes', () => {
    const pending = {
      id: 'p1',
      command: 'uname -s',
      argv: ['uname', '-s'],
      cwd: '/w',
      agentId: 'main',
      reason: 'not-allowlisted: uname is not on the allowlist',
      expiresAtMs: 50,
    };
    expect(parseApprovalRequest(pending)?.reason).toBe('not-allowlisted: uname is not on the allowlist');
    const q = new ApprovalQueue();
    q.apply({ type: 'event', event: 'exec.approval.requested', payload: { id: 'gone', command: 'x' } });
    expect(q.replace([pending, { nope: true }])).toBe(true);
    expect(q.list.map((r) => r.id)).toEqual(['p1']);
    expect(q.replace([pending])).toBe(false);
    expect(q.replace([])).toBe(true);
    expect(q.list).toEqual([]);
  });
});
