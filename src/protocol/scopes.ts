import Type, { type Static } from 'typebox';

export const ScopeSchema = Type.Union([
  Type.Literal('operator.read'),
  Type.Literal('operator.write'),
  Type.Literal('operator.admin'),
  Type.Literal('operator.approvals'),
  Type.Literal('operator.pairing'),
]);
export type Scope = Static<typeof ScopeSchema>;

export const ALL_SCOPES: readonly Scope[] = [
  'operator.read',
  'operator.write',
  'operator.admin',
  'operator.approvals',
  'operator.pairing',
];

/** `admin` implies every scope; `write` implies `read`. */
export function hasScope(granted: readonly string[], needed: Scope): boolean {
  if (granted.includes('operator.admin')) return true;
  if (granted.includes(needed)) return true;
  return needed === 'operator.read' && granted.includes('operator.write');
}
