import Type, { type Static } from 'typebox';

/** A secret given inline, or (preferred) referenced from the environment or a file. */
export const SecretRefSchema = Type.Union([
  Type.String({ minLength: 1, 'x-secret': true }),
  Type.Object(
    { source: Type.Literal('env'), id: Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }) },
    { additionalProperties: false },
  ),
  Type.Object(
    { source: Type.Literal('file'), path: Type.String({ minLength: 1 }) },
    { additionalProperties: false },
  ),
]);
export type SecretRef = Static<typeof SecretRefSchema>;
