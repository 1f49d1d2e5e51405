import { decodePart, encodePart, invalidKey, isReserved, isWord } from './key-codec.js';

/**
 * Session keys: the one module that formats and parses them. A key names a conversation; the session
 * store maps it to the current sessionId (a new one after each reset).
 *
 * Normalization: literal words, agent ids, channel names and UUIDs are lower-cased; peer, group, account,
 * thread and job ids keep their case (platform ids are case-sensitive).
 */

/** The agent's main conversation (`agent:<id>:main`; `main` is an alias for the default agent's). */
export interface MainKey {
  kind: 'main';
  agentId: string;
}

/**
 * A direct conversation. Which optional parts are present is the DM scope: none → per-peer,
 * `channel` → per-channel-peer, `channel` + `accountId` → per-account-channel-peer.
 */
export interface DmKey {
  kind: 'dm';
  agentId: string;
  peerId: string;
  channel?: string;
  accountId?: string;
  threadId?: string;
}

export interface GroupKey {
  kind: 'group';
  agentId: string;
  channel: string;
  groupId: string;
  threadId?: string;
}

export interface ChannelKey {
  kind: 'channel';
  agentId: string;
  channel: string;
  channelId: string;
  threadId?: string;
}

/** A sub-agent run spawned by another agent (`agent:<id>:subagent:<uuid>`). */
export interface SubagentKey {
  kind: 'subagent';
  agentId: string;
  runId: string;
}

/** An isolated cron job session (`cron:<jobId>`); the job names its agent. */
export interface CronKey {
  kind: 'cron';
  jobId: string;
}

/** A webhook-triggered session (`hook:<uuid>`). */
export interface HookKey {
  kind: 'hook';
  hookId: string;
}

/** The parts of a session key. `formatSessionKey` and `parseSessionKey` convert between the two forms. */
export type SessionKeyParts = MainKey | DmKey | GroupKey | ChannelKey | SubagentKey | CronKey | HookKey;

export interface ParseKeyOptions {
  /** The agent that the bare alias `main` stands for. Default `main`. */
  defaultAgentId?: string;
}

const AGENT_ID = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const CHANNEL = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Longer keys are refused: they are almost certainly not ids a platform produced. */
export const MAX_SESSION_KEY_LENGTH = 1024;

function checkAgentId(agentId: string, key: string): string {
  const id = agentId.toLowerCase();
  if (!AGENT_ID.test(id)) {
    throw invalidKey(key, `agent id ${JSON.stringify(agentId)} must match ${AGENT_ID.source}`);
  }
  return id;
}

function checkChannel(channel: string, key: string): string {
  const id = channel.toLowerCase();
  if (!CHANNEL.test(id)) {
    throw invalidKey(key, `channel ${JSON.stringify(channel)} must match ${CHANNEL.source}`);
  }
  return id;
}

function checkUuid(value: string, what: string, key: string): string {
  const id = value.toLowerCase();
  if (!UUID.test(id)) throw invalidKey(key, `${what} ${JSON.stringify(value)} is not a UUID`);
  return id;
}

function withThread(base: string, threadId: string | undefined): string {
  return threadId === undefined ? base : `${base}:thread:${encodePart(threadId, 'thread id')}`;
}

/** Format key parts as a canonical key string. Throws INVALID_SESSION_KEY for parts no key can hold. */
export function formatSessionKey(parts: SessionKeyParts): string {
  const key = formatUnchecked(parts);
  if (key.length > MAX_SESSION_KEY_LENGTH) {
    throw invalidKey(key, `longer than ${MAX_SESSION_KEY_LENGTH} characters`);
  }
  return key;
}

function formatUnchecked(parts: SessionKeyParts): string {
  switch (parts.kind) {
    case 'cron':
      return `cron:${encodePart(parts.jobId, 'job id')}`;
    case 'hook':
      return `hook:${checkUuid(parts.hookId, 'hook id', parts.hookId)}`;
    default:
      break;
  }
  const agent = `agent:${checkAgentId(parts.agentId, parts.agentId)}`;
  switch (parts.kind) {
    case 'main':
      return `${agent}:main`;
    case 'subagent':
      return `${agent}:subagent:${checkUuid(parts.runId, 'subagent run id', parts.runId)}`;
    case 'dm': {
      const peer = `dm:${encodePart(parts.peerId, 'peer id')}`;
      if (parts.channel === undefined) {
        if (parts.accountId !== undefined)
          throw invalidKey(agent, 'a DM key with an account needs a channel');
        return withThread(`${agent}:${peer}`, parts.threadId);
      }
      const channel = encodePart(checkChannel(parts.channel, parts.channel), 'channel');
      const account = parts.accountId === undefined ? '' : `${encodePart(parts.accountId, 'account id')}:`;
      return withThread(`${agent}:${channel}:${account}${peer}`, parts.threadId);
    }
    case 'group':
    case 'channel': {
      const channel = encodePart(checkChannel(parts.channel, parts.channel), 'channel');
      const id = parts.kind === 'group' ? parts.groupId : parts.channelId;
      const what = parts.kind === 'group' ? 'group id' : 'channel id';
      return withThread(`${agent}:${channel}:${parts.kind}:${encodePart(id, what)}`, parts.threadId);
    }
  }
}

/** Parse a session key (any accepted shape, any letter case of literal words). Throws INVALID_SESSION_KEY. */
export function parseSessionKey(key: string, options: ParseKeyOptions = {}): SessionKeyParts {
  if (typeof key !== 'string' || key.length === 0) throw invalidKey(String(key ?? ''), 'it is empty');
  if (key.length > MAX_SESSION_KEY_LENGTH) {
    throw invalidKey(key, `longer than ${MAX_SESSION_KEY_LENGTH} characters`);
  }
  const segs = key.split(':');
  const head = segs[0]?.toLowerCase();
  if (segs.length === 1 && head === 'main') {
    return { kind: 'main', agentId: checkAgentId(options.defaultAgentId ?? 'main', key) };
  }
  if (head === 'cron' || head === 'hook') {
    if (segs.length !== 2) throw invalidKey(key, `'${head}:' takes exactly one id`);
    const id = decodePart(segs[1] ?? '', head === 'cron' ? 'job id' : 'hook id', key);
    return head === 'cron'
      ? { kind: 'cron', jobId: id }
      : { kind: 'hook', hookId: checkUuid(id, 'hook id', key) };
  }
  if (head !== 'agent')
    throw invalidKey(key, "it must start with 'agent:', 'cron:' or 'hook:' (or be 'main')");
  if (segs.length < 3) throw invalidKey(key, "'agent:<agentId>:' must be followed by a conversation");
  const agentId = checkAgentId(segs[1] ?? '', key);
  return parseAgentRest(agentId, segs.slice(2), key);
}

function parseAgentRest(agentId: string, rest: string[], key: string): SessionKeyParts {
  if (rest.length === 1 && isWord(rest[0], 'main')) return { kind: 'main', agentId };
  if (rest.length === 2 && isWord(rest[0], 'subagent')) {
    return {
      kind: 'subagent',
      agentId,
      runId: checkUuid(decodePart(rest[1]!, 'run id', key), 'subagent run id', key),
    };
  }
  let threadId: string | undefined;
  if (rest.length >= 4 && isWord(rest[rest.length - 2], 'thread')) {
    threadId = decodePart(rest[rest.length - 1]!, 'thread id', key);
    rest = rest.slice(0, -2);
  }
  const thread = threadId === undefined ? {} : { threadId };
  const free = (i: number, what: string) => {
    const seg = rest[i]!;
    if (isReserved(seg)) throw invalidKey(key, `${what} cannot be the word '${seg}' unencoded`);
    return decodePart(seg, what, key);
  };
  if (rest.length === 2 && isWord(rest[0], 'dm')) {
    return { kind: 'dm', agentId, peerId: free(1, 'peer id'), ...thread };
  }
  if (rest.length === 3 && isWord(rest[1], 'dm')) {
    const channel = checkChannel(free(0, 'channel'), key);
    return { kind: 'dm', agentId, channel, peerId: free(2, 'peer id'), ...thread };
  }
  if (rest.length === 4 && isWord(rest[2], 'dm')) {
    const channel = checkChannel(free(0, 'channel'), key);
    return {
      kind: 'dm',
      agentId,
      channel,
      accountId: free(1, 'account id'),
      peerId: free(3, 'peer id'),
      ...thread,
    };
  }
  if (rest.length === 3 && isWord(rest[1], 'group')) {
    return {
      kind: 'group',
      agentId,
      channel: checkChannel(free(0, 'channel'), key),
      groupId: free(2, 'group id'),
      ...thread,
    };
  }
  if (rest.length === 3 && isWord(rest[1], 'channel')) {
    const channel = checkChannel(free(0, 'channel'), key);
    return { kind: 'channel', agentId, channel, channelId: free(2, 'channel id'), ...thread };
  }
  throw invalidKey(key, `'${rest.join(':')}' after 'agent:${agentId}:' is not a known conversation shape`);
}

/** Parse and re-format: the canonical spelling of `key` (aliases resolved, case normalized, encoding canonical). */
export function normalizeSessionKey(key: string, options: ParseKeyOptions = {}): string {
  return formatSessionKey(parseSessionKey(key, options));
}

/** True when `key` parses. */
export function isValidSessionKey(key: string): boolean {
  try {
    parseSessionKey(key);
    return true;
  } catch {
    return false;
  }
}

/** The agent a key belongs to; cron and hook keys carry none, so they fall to `defaultAgentId`. */
export function sessionKeyAgentId(parts: SessionKeyParts, defaultAgentId: string): string {
  return 'agentId' in parts ? parts.agentId : defaultAgentId;
}
