import { convertSecret, fileSecret, type SecretContext } from './secrets.js';
import { type Json, obj, str } from './source.js';

const DM_POLICIES = new Set(['pairing', 'allowlist', 'open', 'disabled']);
/** Per-account fields each channel reads (besides its tokens); the rest are reported as not carried over. */
const COMMON = [
  'enabled',
  'dmPolicy',
  'allowFrom',
  'groups',
  'accounts',
  'name',
  'historyLimit',
  'mentionPatterns',
];

/** Keys holding an account's credentials. */
const SECRET_KEYS = ['botToken', 'tokenFile', 'token', 'appToken', 'signingSecret'];

/** The DM and group policy fields every Carapace channel account shares. */
function policyOf(a: Json, where: string, ctx: SecretContext): Json {
  const out: Json = {};
  const dm = obj(a.dm);
  const policy = a.dmPolicy ?? dm?.policy;
  if (typeof policy === 'string' && DM_POLICIES.has(policy)) out.dmPolicy = policy;
  const allow = Array.isArray(a.allowFrom) ? a.allowFrom : Array.isArray(dm?.allowFrom) ? dm.allowFrom : [];
  const ids = allow.map((x) => String(x)).filter((x) => x !== '' && x !== '*');
  if (ids.length > 0) out.allowFrom = ids;
  if (allow.some((x) => x === '*'))
    ctx.report.changed('config', `${where}.allowFrom`, "'*' dropped: dmPolicy 'open' alone lets anyone in");
  if (
    Number.isInteger(a.historyLimit) &&
    (a.historyLimit as number) >= 0 &&
    (a.historyLimit as number) <= 200
  )
    out.historyLimit = a.historyLimit;
  if (Array.isArray(a.mentionPatterns))
    out.mentionPatterns = a.mentionPatterns.filter((p) => typeof p === 'string');
  return out;
}

/** `groups: {<id>: {requireMention, allowFrom?}}` as Carapace groups. */
function groupsOf(v: unknown): Json | undefined {
  const g = obj(v);
  if (!g) return undefined;
  const out: Json = {};
  for (const [id, value] of Object.entries(g)) {
    const c = obj(value) ?? {};
    const group: Json = { requireMention: c.requireMention !== false };
    if (Array.isArray(c.allowFrom)) group.allowFrom = c.allowFrom.map(String);
    out[id] = group;
  }
  return out;
}

/** The token of an account: inline/env ref, or a token file; else the env fallback OpenClaw uses. */
function tokenOf(
  a: Json,
  keys: { value: string; file?: string; env: string },
  where: string,
  ctx: SecretContext,
) {
  if (a[keys.value] !== undefined) return convertSecret(a[keys.value], `${where}.${keys.value}`, ctx);
  if (keys.file && str(a[keys.file])) return fileSecret(String(a[keys.file]), `${where}.${keys.file}`, ctx);
  ctx.report.changed(
    'secret',
    `${where}.${keys.value}`,
    `not set: read from the environment variable ${keys.env}`,
  );
  return { source: 'env' as const, id: keys.env };
}

/** `[accountId, fields]` of a channel: the top-level single account (`default`) and `accounts.<id>`. */
function accountsOf(c: Json, tokenKey: string): [string, Json][] {
  const out: [string, Json][] = [];
  const { accounts, ...top } = c;
  const hasTop = Object.keys(top).some(
    (k) => k === tokenKey || k === 'tokenFile' || k === 'dmPolicy' || k === 'allowFrom',
  );
  // Named accounts inherit the channel's policies, never its tokens (those belong to the default account).
  const shared = Object.fromEntries(Object.entries(top).filter(([k]) => !SECRET_KEYS.includes(k)));
  for (const [id, v] of Object.entries(obj(accounts) ?? {})) {
    const a = obj(v);
    if (a) out.push([id, { ...(id === 'default' ? top : shared), ...a }]);
  }
  if (hasTop && !out.some(([id]) => id === 'default')) out.unshift(['default', top]);
  return out;
}

function dropped(a: Json, extra: readonly string[]): string[] {
  return Object.keys(a).filter((k) => !COMMON.includes(k) && !extra.includes(k));
}

function telegram(a: Json, where: string, ctx: SecretContext): Json | undefined {
  const botToken = tokenOf(
    a,
    { value: 'botToken', file: 'tokenFile', env: 'TELEGRAM_BOT_TOKEN' },
    where,
    ctx,
  );
  if (!botToken) return undefined;
  const out: Json = { botToken, ...policyOf(a, where, ctx) };
  const groups = groupsOf(a.groups);
  if (groups) out.groups = groups;
  return out;
}

function whatsapp(a: Json, where: string, ctx: SecretContext): Json {
  ctx.report.changed(
    'config',
    where,
    'the linked device is not carried over: run carapace channels login whatsapp',
  );
  const out: Json = { ...policyOf(a, where, ctx) };
  const groups = groupsOf(a.groups);
  if (groups) out.groups = groups;
  return out;
}

function discord(a: Json, where: string, ctx: SecretContext): Json | undefined {
  const botToken = tokenOf(
    a,
    { value: a.token !== undefined ? 'token' : 'botToken', env: 'DISCORD_BOT_TOKEN' },
    where,
    ctx,
  );
  if (!botToken) return undefined;
  const out: Json = { botToken, ...policyOf(a, where, ctx) };
  const guilds = obj(a.guilds);
  if (guilds) {
    const mapped: Json = {};
    for (const [id, value] of Object.entries(guilds)) {
      const g = obj(value) ?? {};
      const guild: Json = { requireMention: g.requireMention !== false };
      const chans = obj(g.channels);
      if (chans)
        guild.channels = Object.entries(chans)
          .filter(([, c]) => obj(c)?.allow !== false)
          .map(([cid]) => cid);
      const users = Array.isArray(g.users) ? g.users : Array.isArray(g.allowFrom) ? g.allowFrom : undefined;
      if (users) guild.allowFrom = users.map(String);
      mapped[id] = guild;
    }
    out.guilds = mapped;
  }
  return out;
}

function slack(a: Json, where: string, ctx: SecretContext): Json | undefined {
  const botToken = tokenOf(a, { value: 'botToken', env: 'SLACK_BOT_TOKEN' }, where, ctx);
  if (!botToken) return undefined;
  const out: Json = { botToken, ...policyOf(a, where, ctx) };
  if (a.mode === 'http' || a.mode === 'socket') out.mode = a.mode;
  if (a.appToken !== undefined) {
    const t = convertSecret(a.appToken, `${where}.appToken`, ctx);
    if (t) out.appToken = t;
  }
  if (a.signingSecret !== undefined) {
    const t = convertSecret(a.signingSecret, `${where}.signingSecret`, ctx);
    if (t) out.signingSecret = t;
  }
  const channels = groupsOf(a.channels);
  if (channels) out.channels = channels;
  return out;
}

const MAPPERS = {
  telegram: { token: 'botToken', extra: ['botToken', 'tokenFile'], map: telegram },
  whatsapp: { token: 'dmPolicy', extra: [], map: whatsapp },
  discord: { token: 'token', extra: ['token', 'botToken', 'dm', 'guilds'], map: discord },
  slack: {
    token: 'botToken',
    extra: ['botToken', 'appToken', 'signingSecret', 'mode', 'dm', 'channels'],
    map: slack,
  },
} as const;

/**
 * `channels` of openclaw.json: Telegram, WhatsApp, Discord and Slack accounts with their DM and group
 * policies. Tokens become refs. Channels Carapace does not have (Signal, iMessage …) are reported skipped.
 */
export function mapChannels(channels: Json | undefined, ctx: SecretContext): Json {
  const out: Json = {};
  for (const [name, value] of Object.entries(channels ?? {})) {
    const c = obj(value);
    const mapper = MAPPERS[name as keyof typeof MAPPERS];
    if (!mapper) {
      if (name !== 'defaults' && name !== 'modelByChannel')
        ctx.report.skipped('config', `channels.${name}`, `Carapace has no ${name} channel`);
      continue;
    }
    if (!c) continue;
    const accounts: Json = {};
    for (const [id, a] of accountsOf(c, mapper.token)) {
      const where = `channels.${name}.accounts.${id}`;
      const mapped = mapper.map(a, where, ctx);
      if (!mapped) continue;
      if (a.enabled === false) mapped.enabled = false;
      accounts[id] = mapped;
      const left = dropped(a, mapper.extra);
      if (left.length > 0) ctx.report.changed('config', where, `not carried over: ${left.join(', ')}`);
      else ctx.report.imported('config', where);
    }
    if (Object.keys(accounts).length > 0) out[name] = { accounts };
  }
  return out;
}
