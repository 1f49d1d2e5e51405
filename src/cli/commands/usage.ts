import pc from 'picocolors';
import type { SessionRow } from '../../protocol/index.js';
import { normalizeSessionKey } from '../../routing/index.js';
import type { ConnectionFlags } from '../connection.js';
import { type CliContext, type StateFlags, withGateway } from '../context.js';
import { formatJson } from '../format.js';
import { formatCount, formatTable } from '../table.js';
import { listSessions } from './sessions.js';

/** Flags of `carapace usage`. */
export interface UsageFlags extends ConnectionFlags, StateFlags {
  agent?: string;
  session?: string;
  json?: boolean;
}

/** Token totals of one session, and of all of them. */
export interface UsageRow {
  key: string;
  agentId: string;
  messages: number;
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
}

/** Per-session rows (most tokens first) and their sum. */
export function usageRows(sessions: readonly SessionRow[]): {
  sessions: UsageRow[];
  totals: Omit<UsageRow, 'key' | 'agentId'>;
} {
  const rows = sessions
    .map((s) => ({
      key: s.key,
      agentId: s.agentId,
      messages: s.messageCount,
      inputTokens: s.inputTokens,
      outputTokens: s.outputTokens,
      totalTokens: s.totalTokens,
    }))
    .sort((a, b) => b.totalTokens - a.totalTokens || a.key.localeCompare(b.key));
  const totals = { messages: 0, inputTokens: 0, outputTokens: 0, totalTokens: 0 };
  for (const r of rows) {
    totals.messages += r.messages;
    totals.inputTokens += r.inputTokens;
    totals.outputTokens += r.outputTokens;
    totals.totalTokens += r.totalTokens;
  }
  return { sessions: rows, totals };
}

/**
 * `carapace usage`: token totals per session (from `sessions.list`, the counts of each key's current
 * session) and the sum, optionally for one agent or one session.
 */
export async function usage(ctx: CliContext, flags: UsageFlags): Promise<number> {
  return withGateway(ctx, flags, async (client) => {
    const defaults = client.hello.snapshot.sessionDefaults as { defaultAgentId?: unknown } | undefined;
    const defaultAgentId = typeof defaults?.defaultAgentId === 'string' ? defaults.defaultAgentId : 'main';
    const key = flags.session ? normalizeSessionKey(flags.session, { defaultAgentId }) : undefined;
    const filter = {
      ...(flags.agent ? { agentId: flags.agent } : {}),
      // The gateway narrows by substring (at most 256 characters); the exact key is picked out below.
      ...(key && key.length <= 256 ? { search: key } : {}),
    };
    const { sessions } = await listSessions(client, filter);
    const report = usageRows(key ? sessions.filter((s) => s.key === key) : sessions);
    if (flags.json) {
      ctx.io.out(formatJson(report, true));
      return 0;
    }
    if (report.sessions.length === 0) {
      ctx.io.out(key ? `no session '${key}'\n` : 'no sessions yet: no tokens used\n');
      return key ? 1 : 0;
    }
    const t = report.totals;
    const rows = report.sessions.map((r) => [
      r.key,
      r.agentId,
      formatCount(r.messages),
      formatCount(r.inputTokens),
      formatCount(r.outputTokens),
      formatCount(r.totalTokens),
    ]);
    const n = report.sessions.length;
    rows.push([
      `total (${n} session${n === 1 ? '' : 's'})`,
      '',
      formatCount(t.messages),
      formatCount(t.inputTokens),
      formatCount(t.outputTokens),
      formatCount(t.totalTokens),
    ]);
    ctx.io.out(
      formatTable(
        [
          { header: 'SESSION' },
          { header: 'AGENT' },
          { header: 'MESSAGES', align: 'right' },
          { header: 'INPUT', align: 'right' },
          { header: 'OUTPUT', align: 'right' },
          { header: 'TOTAL', align: 'right' },
        ],
        rows,
      ),
    );
    ctx.io.out(pc.dim("counts cover each key's current session (a reset starts from zero)\n"));
    return 0;
  });
}
