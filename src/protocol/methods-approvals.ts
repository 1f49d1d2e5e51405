import Type from 'typebox';

const closed = { additionalProperties: false } as const;

/** `exec.approval.resolve` (approvals): answer a pending exec approval request. */
export const ExecApprovalResolveParamsSchema = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 256 }),
    decision: Type.Union([Type.Literal('allow-once'), Type.Literal('allow-always'), Type.Literal('deny')]),
  },
  closed,
);
export const ExecApprovalResolveResultSchema = Type.Object({
  ok: Type.Literal(true),
  id: Type.String(),
  decision: Type.String(),
});

/** `exec.approvals.list` (approvals): the requests waiting for an answer. */
export const ExecApprovalsListParamsSchema = Type.Object({}, closed);
export const ExecApprovalsListResultSchema = Type.Object({ pending: Type.Array(Type.Unknown()) });

/** `exec.approvals.get` (admin): the persisted exec allowlist entries, with a hash for compare-and-set. */
export const ExecApprovalsGetParamsSchema = Type.Object({}, closed);
export const ExecApprovalsGetResultSchema = Type.Object({ file: Type.Unknown(), hash: Type.String() });

/** `exec.approvals.set` (admin): replace them (`baseHash` from `get`, so concurrent edits are not lost). */
export const ExecApprovalsSetParamsSchema = Type.Object(
  {
    file: Type.Record(Type.String(), Type.Unknown()),
    baseHash: Type.Optional(Type.String({ maxLength: 128 })),
  },
  closed,
);
