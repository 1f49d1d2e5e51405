import pc from 'picocolors';
import type { SessionRow } from '../../protocol/index.js';
import { CarapaceError } from '../../shared/index.js';
import type { GatewayClient } from '../client/index.js';
import type { ConnectionFlags } from '../connection.js';
import { type CliContext, type StateFlags, withGateway } from '../context.js';
import { formatJson } from '../format.js';
import { formatAge, formatCount, formatTable } from '../table.js';
import { formatHistory, type HistoryPayload } from './session-history.js';

type Flags = ConnectionFlags & StateFlags & { json?: boolean };

/** Flags of `carapace sessions list`. */
export interface SessionsListFlags extends Flags {
  agent?: string;
  limit?: number;
  active?: number;
  search?: string;
}

interface ListPage {
  ts: number;
  count: number;
  total: number;
  sessions: SessionRow[];
  nextCursor?: string;
}

/** The largest page `sessions.list` gives; longer lists are read page by page. */
const MAX_PAGE = 1000;

/** Up to `limit` rows of `sessions.list` (all when `limit` is undefined), newest first, and the total. */
export async function listSessions(
  client: GatewayClient,
  filter: { agentId?: string; activeMinutes?: number; search?: string },
  limit?: number,
): Promise<{ sessions: SessionRow[]; total: number }> {
  const sessions: SessionRow[] = [];
  let cursor: string | undefined;
  let total = 0;
  do {
    const want = limit === undefined ? MAX_PAGE : Math.min(MAX_PAGE, limit - sessions.length);
    const page = await client.call<ListPage>('sessions.list', {
      ...filter,
      limit: want,
      ...(cursor ? { cursor } : {}),
    });
    sessions.push(...page.sessions);
    total = page.total;
    cursor = page.nextCursor;
  } while (cursor && (limit === undefined || sessions.length < limit));
  return { sessions, total };
}

/** `carapace sessions list`: a table of sessions (key, agent, updated, messages, tokens), newest first. */
export async function sessionsList(ctx: CliContext, flags: SessionsListFlags): Promise<number> {
  const filter = {
    ...(flags.agent ? { agentId: flags.agent } : {}),
    ...(flags.active ? { activeMinutes: flags.active } : {}),
    ...(flags.search ? { search: flags.search } : {}),
  };
  return withGateway(ctx, flags, async (client) => {
    const { sessions, total } = await listSessions(client, filter, flags.limit ?? 100);
    if (flags.json) {
      ctx.io.out(formatJson({ count: sessions.length, total, sessions }, true));
      return 0;
    }
    if (sessions.length === 0) {
      const filtered = Object.keys(filter).length > 0 ? ' match these filters' : ' yet';
      ctx.io.out(`no sessions${filtered}\n`);
      return 0;
    }
    const now = Date.now();
    const rows = sessions.map((s) => [
      s.key,
      s.agentId,
      formatAge(s.updatedAt, now),
      formatCount(s.messageCount),
      formatCount(s.totalTokens),
    ]);
    ctx.io.out(
      formatTable(
        [
          { header: 'KEY' },
          { header: 'AGENT' },
          { header: 'UPDATED' },
          { header: 'MESSAGES', align: 'right' },
          { header: 'TOKENS', align: 'right' },
        ],
        rows,
      ),
    );
    const more = total > sessions.length ? ` (use --limit ${total} to see all)` : '';
    ctx.io.out(pc.dim(`${sessions.length} of ${total} session${total === 1 ? '' : 's'}${more}\n`));
    return 0;
  });
}

/** `carapace sessions show <key>`: the newest messages of a session's transcript, readable. */
export async function sessionsShow(
  ctx: CliContext,
  key: string,
  flags: Flags & { limit?: number },
): Promise<number> {
  return withGateway(ctx, flags, async (client) => {
    const page = await client.call<HistoryPayload>('chat.history', {
      sessionKey: key,
      limit: flags.limit ?? 20,
    });
    if (page.sessionId === undefined) {
      throw new CarapaceError('SESSION_NOT_FOUND', `no session '${page.sessionKey}'`, {
        details: { sessionKey: page.sessionKey },
      });
    }
    ctx.io.out(flags.json ? formatJson(page, true) : formatHistory(page));
    return 0;
  });
}

/** `carapace sessions reset <key>`: the key moves on to a fresh session; the old transcript stays. */
export async function sessionsReset(ctx: CliContext, key: string, flags: Flags): Promise<number> {
  return withGateway(ctx, flags, async (client) => {
    const res = await client.call<{ key: string; sessionId: string; previousSessionId?: string }>(
      'sessions.reset',
      { key },
    );
    if (flags.json) ctx.io.out(formatJson(res, true));
    else if (res.previousSessionId) {
      ctx.io.out(
        `Reset ${res.key}: new session ${res.sessionId} ${pc.dim(`(previous ${res.previousSessionId}; its transcript is kept)`)}\n`,
      );
    } else ctx.io.out(`Started ${res.key}: session ${res.sessionId} ${pc.dim('(there was none)')}\n`);
    return 0;
  });
}

/** Ask before deleting, on a terminal. Resolves false when the user says no or cancels. */
async function confirmDelete(key: string): Promise<boolean> {
  const p = await import('@clack/prompts');
  const answer = await p.confirm({
    message: `Delete session ${key}? Its transcript is archived (renamed), not erased.`,
    initialValue: false,
  });
  return answer === true;
}

/**
 * `carapace sessions delete <key>`: forget the key (its transcript is archived). Asks first unless `--yes`;
 * without a terminal and without `--yes` it refuses before connecting.
 */
export async function sessionsDelete(
  ctx: CliContext,
  key: string,
  flags: Flags & { yes?: boolean },
): Promise<number> {
  if (!flags.yes && !process.stdin.isTTY) {
    throw new CarapaceError(
      'CONFIRMATION_REQUIRED',
      `refusing to delete session '${key}' without confirmation: no terminal to ask on; pass --yes to delete it`,
      { details: { key } },
    );
  }
  return withGateway(ctx, flags, async (client) => {
    if (!flags.yes) {
      const preview = await client.call<{ previews: { key: string; status: string }[] }>('sessions.preview', {
        keys: [key],
        limit: 1,
      });
      const found = preview.previews[0];
      if (found?.status === 'missing') {
        ctx.io.out(`no session '${found.key}': nothing to delete\n`);
        return 0;
      }
      if (!(await confirmDelete(found?.key ?? key))) {
        ctx.io.err('not deleted\n');
        return 1;
      }
    }
    const res = await client.call<{ key: string; deleted: boolean; archivedPath?: string }>(
      'sessions.delete',
      { key },
    );
    if (flags.json) ctx.io.out(formatJson(res, true));
    else if (!res.deleted) ctx.io.out(`no session '${res.key}': nothing to delete\n`);
    else {
      const where = res.archivedPath ? pc.dim(` (transcript archived at ${res.archivedPath})`) : '';
      ctx.io.out(`Deleted ${res.key}${where}\n`);
    }
    return 0;
  });
}
