import Type, { type Static } from 'typebox';
import { StateVersionSchema } from './frames.js';

export const ClientInfoSchema = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 128 }),
    version: Type.String({ maxLength: 128 }),
    platform: Type.String({ maxLength: 128 }),
    mode: Type.String({ minLength: 1, maxLength: 64 }),
    displayName: Type.Optional(Type.String({ maxLength: 256 })),
    deviceFamily: Type.Optional(Type.String({ maxLength: 128 })),
    modelIdentifier: Type.Optional(Type.String({ maxLength: 128 })),
    instanceId: Type.Optional(Type.String({ maxLength: 256 })),
  },
  { additionalProperties: false },
);
export type ClientInfo = Static<typeof ClientInfoSchema>;

export const ConnectAuthSchema = Type.Object(
  {
    token: Type.Optional(Type.String({ maxLength: 4096 })),
    password: Type.Optional(Type.String({ maxLength: 4096 })),
    deviceToken: Type.Optional(Type.String({ maxLength: 4096 })),
  },
  { additionalProperties: false },
);

export const DeviceIdentitySchema = Type.Object(
  {
    id: Type.String({ maxLength: 512 }),
    publicKey: Type.String({ maxLength: 4096 }),
    signature: Type.String({ maxLength: 4096 }),
    signedAt: Type.Number(),
    nonce: Type.Optional(Type.String({ maxLength: 512 })),
  },
  { additionalProperties: false },
);

export const ConnectParamsSchema = Type.Object(
  {
    minProtocol: Type.Integer({ minimum: 1 }),
    maxProtocol: Type.Integer({ minimum: 1 }),
    client: ClientInfoSchema,
    caps: Type.Optional(Type.Array(Type.String({ maxLength: 128 }), { maxItems: 256 })),
    commands: Type.Optional(Type.Array(Type.String({ maxLength: 256 }), { maxItems: 1024 })),
    permissions: Type.Optional(Type.Record(Type.String(), Type.Boolean())),
    pathEnv: Type.Optional(Type.String({ maxLength: 65536 })),
    role: Type.Optional(Type.Union([Type.Literal('operator'), Type.Literal('node')])),
    scopes: Type.Optional(Type.Array(Type.String({ maxLength: 128 }), { maxItems: 64 })),
    auth: Type.Optional(ConnectAuthSchema),
    device: Type.Optional(DeviceIdentitySchema),
    locale: Type.Optional(Type.String({ maxLength: 64 })),
    userAgent: Type.Optional(Type.String({ maxLength: 1024 })),
  },
  { additionalProperties: false },
);
export type ConnectParams = Static<typeof ConnectParamsSchema>;

export const PresenceEntrySchema = Type.Object({
  connId: Type.String(),
  clientId: Type.String(),
  mode: Type.String(),
  platform: Type.String(),
  version: Type.String(),
  displayName: Type.Optional(Type.String()),
  instanceId: Type.Optional(Type.String()),
  role: Type.String(),
  connectedAt: Type.Number(),
  ts: Type.Number(),
});
export type PresenceEntry = Static<typeof PresenceEntrySchema>;

export const HelloOkSchema = Type.Object({
  type: Type.Literal('hello-ok'),
  protocol: Type.Integer(),
  server: Type.Object({ version: Type.String(), connId: Type.String(), host: Type.Optional(Type.String()) }),
  features: Type.Object({ methods: Type.Array(Type.String()), events: Type.Array(Type.String()) }),
  snapshot: Type.Object({
    presence: Type.Array(PresenceEntrySchema),
    health: Type.Unknown(),
    stateVersion: StateVersionSchema,
    uptimeMs: Type.Number(),
    sessionDefaults: Type.Optional(Type.Unknown()),
  }),
  auth: Type.Object({ role: Type.String(), scopes: Type.Array(Type.String()), method: Type.String() }),
  policy: Type.Object({
    maxPayload: Type.Number(),
    maxBufferedBytes: Type.Number(),
    tickIntervalMs: Type.Number(),
  }),
});
export type HelloOk = Static<typeof HelloOkSchema>;

export const ChallengePayloadSchema = Type.Object({
  nonce: Type.String({ minLength: 1 }),
  ts: Type.Number(),
});
export type ChallengePayload = Static<typeof ChallengePayloadSchema>;
