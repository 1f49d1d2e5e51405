import pc from 'picocolors';
import type { PeerKind } from '../../config/index.js';
import { type RouteInput, resolveRoute } from '../../routing/index.js';
import { type CliContext, type StateFlags, usageError } from '../context.js';
import { formatJson } from '../format.js';
import { loadLocalConfig } from '../local-config.js';

/** Flags of `carapace route`. */
export interface RouteFlags extends StateFlags {
  channel: string;
  account?: string;
  peer?: string;
  guild?: string;
  team?: string;
  /** Comma-separated Discord role ids of the sender. */
  roles?: string;
  thread?: string;
  json?: boolean;
}

const PEER_KINDS: readonly PeerKind[] = ['dm', 'group', 'channel'];

/** `dm:12345` → `{kind:'dm', id:'12345'}`; the id may itself contain `:`. Usage error otherwise. */
export function parsePeer(text: string): { kind: PeerKind; id: string } {
  const at = text.indexOf(':');
  const kind = (at < 0 ? text : text.slice(0, at)) as PeerKind;
  const id = at < 0 ? '' : text.slice(at + 1);
  if (!PEER_KINDS.includes(kind) || id === '') {
    throw usageError(
      `--peer must be <kind>:<id> with kind ${PEER_KINDS.join(', ')} (e.g. dm:12345), got '${text}'`,
    );
  }
  return { kind, id };
}

/** `111, 222` → `['111', '222']`: the sender's role ids. Usage error when no id is left. */
export function parseRoles(text: string): string[] {
  const roles = [
    ...new Set(
      text
        .split(',')
        .map((r) => r.trim())
        .filter(Boolean),
    ),
  ];
  if (roles.length === 0)
    throw usageError(`--roles must name at least one role id (e.g. 111,222), got '${text}'`);
  return roles;
}

/** The routing input the flags describe. */
export function routeInput(flags: RouteFlags): RouteInput {
  if (!flags.channel.trim()) throw usageError('--channel must not be empty');
  const input: RouteInput = { channel: flags.channel };
  if (flags.account !== undefined) input.accountId = flags.account;
  if (flags.peer !== undefined) input.peer = parsePeer(flags.peer);
  if (flags.guild !== undefined) input.guildId = flags.guild;
  if (flags.team !== undefined) input.teamId = flags.team;
  if (flags.roles !== undefined) input.roles = parseRoles(flags.roles);
  if (flags.thread !== undefined) input.threadId = flags.thread;
  return input;
}

/**
 * `carapace route`: which agent and session a message with these properties would get, and which rule
 * decided — computed locally from the config file, exactly as the gateway routes (no gateway needed).
 */
export async function route(ctx: CliContext, flags: RouteFlags): Promise<number> {
  const input = routeInput(flags);
  const local = await loadLocalConfig(ctx, flags);
  if (!local) return 1;
  const result = resolveRoute(local.config, input);
  if (flags.json) {
    ctx.io.out(formatJson({ input, ...result }, true));
    return 0;
  }
  const binding = result.bindingIndex === undefined ? '' : ` (binding #${result.bindingIndex})`;
  const rows: [string, string][] = [
    ['agent', result.agentId],
    ['session', result.sessionKey],
    ['matched by', `${result.matchedBy}${binding}`],
  ];
  const why = result.explanation.split('; ');
  const lines = [
    ...rows.map(([k, v]) => `${pc.dim(k.padEnd(10))}  ${v}`),
    `${pc.dim('why'.padEnd(10))}  ${why[0] ?? ''}`,
    ...why.slice(1).map((w) => `${' '.repeat(12)}${w}`),
  ];
  if (!local.exists) lines.push(pc.dim(`(no config file at ${local.paths.configPath}: defaults only)`));
  ctx.io.out(`${lines.join('\n')}\n`);
  return 0;
}
