import Type, { type Static } from 'typebox';
import { ErrorShapeSchema } from './errors.js';

/** Frames are closed objects: unknown top-level keys are an error. */
export const RequestFrameSchema = Type.Object(
  {
    type: Type.Literal('req'),
    id: Type.String({ minLength: 1, maxLength: 256 }),
    method: Type.String({ minLength: 1, maxLength: 128 }),
    params: Type.Optional(Type.Unknown()),
  },
  { additionalProperties: false },
);
export type RequestFrame = Static<typeof RequestFrameSchema>;

export const ResponseFrameSchema = Type.Object(
  {
    type: Type.Literal('res'),
    id: Type.String(),
    ok: Type.Boolean(),
    payload: Type.Optional(Type.Unknown()),
    error: Type.Optional(ErrorShapeSchema),
  },
  { additionalProperties: false },
);
export type ResponseFrame = Static<typeof ResponseFrameSchema>;

export const StateVersionSchema = Type.Object(
  { presence: Type.Integer({ minimum: 0 }), health: Type.Integer({ minimum: 0 }) },
  { additionalProperties: false },
);
export type StateVersion = Static<typeof StateVersionSchema>;

export const EventFrameSchema = Type.Object(
  {
    type: Type.Literal('event'),
    event: Type.String(),
    payload: Type.Optional(Type.Unknown()),
    seq: Type.Optional(Type.Integer({ minimum: 1 })),
    stateVersion: Type.Optional(StateVersionSchema),
  },
  { additionalProperties: false },
);
export type EventFrame = Static<typeof EventFrameSchema>;

export const GatewayFrameSchema = Type.Union([RequestFrameSchema, ResponseFrameSchema, EventFrameSchema]);
export type GatewayFrame = Static<typeof GatewayFrameSchema>;
