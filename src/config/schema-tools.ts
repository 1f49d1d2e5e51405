import Type, { type Static } from 'typebox';
import { SecretRefSchema } from './schema-secret.js';

const closed = { additionalProperties: false } as const;

/** Allow/deny lists of tool names or groups (`group:fs`, `group:runtime`, …); deny always wins. */
export const ToolProfileSchema = Type.Union([
  Type.Literal('minimal'),
  Type.Literal('coding'),
  Type.Literal('messaging'),
  Type.Literal('full'),
]);
export type ToolProfile = Static<typeof ToolProfileSchema>;

export const ExecSecuritySchema = Type.Union([
  Type.Literal('deny'),
  Type.Literal('allowlist'),
  Type.Literal('full'),
]);
export const ExecAskSchema = Type.Union([
  Type.Literal('off'),
  Type.Literal('on-miss'),
  Type.Literal('always'),
]);

/** `tools`: what agents may do, and the layers that fence it (policy → sandbox → exec approvals). */
export const ToolsSchema = Type.Object(
  {
    profile: Type.Union(ToolProfileSchema.anyOf, {
      default: 'coding',
      description: "Base tool set: 'minimal', 'coding', 'messaging' or 'full'; refine with allow/deny.",
    }),
    allow: Type.Array(Type.String({ minLength: 1 }), { default: [], description: 'Tools or groups added.' }),
    deny: Type.Array(Type.String({ minLength: 1 }), {
      default: [],
      description: 'Tools or groups removed; wins over allow.',
    }),
    fs: Type.Object(
      {
        workspaceOnly: Type.Boolean({
          default: true,
          description: 'File tools resolve every path inside the agent workspace; escapes are refused.',
        }),
        maxReadBytes: Type.Integer({ minimum: 1024, default: 2 * 1024 * 1024 }),
      },
      { ...closed, default: {} },
    ),
    exec: Type.Object(
      {
        security: Type.Union(ExecSecuritySchema.anyOf, {
          default: 'allowlist',
          description:
            "'deny' no commands, 'allowlist' only allowlisted programs (others ask or fail), 'full' anything.",
        }),
        ask: Type.Union(ExecAskSchema.anyOf, {
          default: 'on-miss',
          description: "When to ask an operator: 'off', 'on-miss' (not allowlisted), 'always'.",
        }),
        ownerMainSecurity: Type.Optional(
          Type.Union(ExecSecuritySchema.anyOf, {
            description:
              "Security for the owner's main session only (e.g. 'full'); other sessions use 'security'.",
          }),
        ),
        allowlist: Type.Array(Type.String({ minLength: 1 }), {
          default: [
            'ls',
            'cat',
            'head',
            'tail',
            'wc',
            'grep',
            'find',
            'pwd',
            'echo',
            'date',
            'git status',
            'git diff',
            'git log',
          ],
          description: "Programs (or program + leading args, e.g. 'git status') that run without asking.",
        }),
        timeoutSec: Type.Integer({ minimum: 1, default: 1800 }),
        yieldMs: Type.Integer({
          minimum: 0,
          default: 10_000,
          description: 'Run in the background after this long.',
        }),
        approvalTimeoutSec: Type.Integer({
          minimum: 1,
          default: 120,
          description: 'No answer in time means deny.',
        }),
        maxOutputBytes: Type.Integer({ minimum: 1024, default: 200_000 }),
      },
      { ...closed, default: {} },
    ),
    sandbox: Type.Object(
      {
        mode: Type.Union([Type.Literal('off'), Type.Literal('non-main'), Type.Literal('all')], {
          default: 'non-main',
          description:
            "Run exec in bubblewrap: 'off', 'non-main' (every session but the owner's main), 'all'.",
        }),
        workspaceAccess: Type.Union([Type.Literal('none'), Type.Literal('ro'), Type.Literal('rw')], {
          default: 'rw',
        }),
        network: Type.Boolean({ default: false, description: 'Allow network access inside the sandbox.' }),
        memoryMb: Type.Integer({ minimum: 16, default: 1024 }),
        bwrapPath: Type.Optional(Type.String({ minLength: 1 })),
      },
      { ...closed, default: {} },
    ),
    web: Type.Object(
      {
        fetch: Type.Object(
          {
            enabled: Type.Boolean({ default: true }),
            maxBytes: Type.Integer({ minimum: 1024, default: 2 * 1024 * 1024 }),
            maxChars: Type.Integer({ minimum: 100, default: 50_000 }),
            timeoutMs: Type.Integer({ minimum: 100, default: 30_000 }),
            maxRedirects: Type.Integer({ minimum: 0, maximum: 10, default: 3 }),
            allowPrivateNetwork: Type.Boolean({
              default: false,
              description: 'Allow loopback/private/link-local targets (metadata addresses stay blocked).',
            }),
          },
          { ...closed, default: {} },
        ),
        search: Type.Object(
          {
            provider: Type.Optional(Type.Union([Type.Literal('brave'), Type.Literal('searxng')])),
            apiKey: Type.Optional(SecretRefSchema),
            baseUrl: Type.Optional(Type.String({ minLength: 1 })),
            maxResults: Type.Integer({ minimum: 1, maximum: 20, default: 5 }),
          },
          { ...closed, default: {} },
        ),
      },
      { ...closed, default: {} },
    ),
  },
  { ...closed, default: {} },
);
export type ToolsConfig = Static<typeof ToolsSchema>;
