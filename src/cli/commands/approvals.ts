import pc from 'picocolors';
import { CarapaceError } from '../../shared/index.js';
import type { ExecApprovalEntry, ExecApprovalsSnapshot, PendingApproval } from '../../tools/index.js';
import type { GatewayClient } from '../client/index.js';
import type { ConnectionFlags } from '../connection.js';
import { type CliContext, type StateFlags, usageError, withGateway } from '../context.js';
import { formatDuration, formatJson } from '../format.js';
import { formatAge, formatLocalTime, formatTable } from '../table.js';

type Flags = ConnectionFlags & StateFlags & { json?: boolean };

/** How many characters of an id the tables show; any unique prefix is accepted back. */
const SHORT_ID = 8;

/** One line, control characters visible: what the operator approves must be read exactly. */
function oneLine(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: making control characters visible is the point
  return text.replace(/[\u0000-\u001f\u007f]/g, (c) =>
    c === '\n' ? '⏎' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
}

/** argv as a shell would read it back: words with special characters single-quoted. */
export function quoteArgv(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** The one item whose id is `id` or starts with it; a usage error when several match. */
export function pickById<T extends { id: string }>(
  items: readonly T[],
  id: string,
  what: string,
): T | undefined {
  // `what` is plural: "pending requests", "entries".
  const exact = items.find((i) => i.id === id);
  if (exact) return exact;
  const hits = items.filter((i) => i.id.startsWith(id));
  if (hits.length > 1) {
    throw usageError(`'${id}' matches ${hits.length} ${what}; give more of the id`, {
      ids: hits.map((h) => h.id),
    });
  }
  return hits[0];
}

async function pending(client: GatewayClient): Promise<PendingApproval[]> {
  return (await client.call<{ pending: PendingApproval[] }>('exec.approvals.list', {})).pending;
}

/** `carapace approvals list`: exec approval requests waiting for an operator, oldest first. */
export async function approvalsList(ctx: CliContext, flags: Flags): Promise<number> {
  return withGateway(ctx, flags, async (client) => {
    const list = await pending(client);
    if (flags.json) {
      ctx.io.out(formatJson({ count: list.length, pending: list }, true));
      return 0;
    }
    if (list.length === 0) {
      ctx.io.out('no exec approval requests are waiting\n');
      return 0;
    }
    const now = Date.now();
    const rows = list.map((p) => [
      p.id.slice(0, SHORT_ID),
      p.agentId,
      p.sessionKey,
      oneLine(p.command),
      p.cwd,
      formatAge(p.createdAtMs, now),
      p.expiresAtMs > now ? formatDuration(p.expiresAtMs - now) : 'now',
    ]);
    const columns = ['ID', 'AGENT', 'SESSION', 'COMMAND', 'CWD', 'ASKED', 'EXPIRES IN'];
    ctx.io.out(
      formatTable(
        columns.map((header) => ({ header })),
        rows,
      ),
    );
    for (const p of list) ctx.io.out(pc.dim(`${p.id.slice(0, SHORT_ID)}: ${oneLine(p.reason)}\n`));
    ctx.io.out(
      pc.dim('answer with: carapace approvals allow <id> [--always] | carapace approvals deny <id>\n'),
    );
    return 0;
  });
}

/** `carapace approvals allow <id> [--always]` and `carapace approvals deny <id>`. */
export async function approvalsResolve(
  ctx: CliContext,
  id: string,
  decision: 'allow-once' | 'allow-always' | 'deny',
  flags: Flags,
): Promise<number> {
  return withGateway(ctx, flags, async (client) => {
    const request = pickById(await pending(client), id, 'pending requests');
    if (!request) {
      throw new CarapaceError(
        'APPROVAL_NOT_FOUND',
        `no pending exec approval '${id}' (it was answered, timed out or cancelled; see carapace approvals list)`,
        { details: { id } },
      );
    }
    const res = await client.call<{ ok: true; id: string; decision: string }>('exec.approval.resolve', {
      id: request.id,
      decision,
    });
    if (flags.json) {
      ctx.io.out(formatJson({ ...res, command: request.command, agentId: request.agentId }, true));
      return 0;
    }
    const what = oneLine(request.command);
    if (decision === 'deny') ctx.io.out(`Denied: ${what}\n`);
    else if (decision === 'allow-once') ctx.io.out(`Allowed once: ${what}\n`);
    else {
      ctx.io.out(
        `Allowed: ${what}\n${pc.dim('its commands are added to the exec allowlist (carapace approvals allowlist)')}\n`,
      );
    }
    return 0;
  });
}

function entryRow(e: ExecApprovalEntry): string[] {
  const program = e.binaries?.at(-1)?.path ?? '';
  return [
    e.id.slice(0, SHORT_ID),
    e.agentId ?? '(any)',
    e.match,
    oneLine(quoteArgv(e.argv)),
    program,
    formatLocalTime(e.createdAtMs),
  ];
}

/** `carapace approvals allowlist`: the persisted allow-always entries (and those set by an admin). */
export async function approvalsAllowlist(ctx: CliContext, flags: Flags): Promise<number> {
  return withGateway(ctx, flags, async (client) => {
    const snap = await client.call<ExecApprovalsSnapshot>('exec.approvals.get', {});
    if (flags.json) {
      ctx.io.out(formatJson({ count: snap.file.entries.length, entries: snap.file.entries }, true));
      return 0;
    }
    if (snap.file.entries.length === 0) {
      ctx.io.out(
        'no approved exec entries (allow-always adds them; tools.exec.allowlist is in the config)\n',
      );
      return 0;
    }
    const columns = ['ID', 'AGENT', 'MATCH', 'COMMAND', 'PROGRAM', 'ADDED'];
    ctx.io.out(
      formatTable(
        columns.map((header) => ({ header })),
        snap.file.entries.map(entryRow),
      ),
    );
    ctx.io.out(pc.dim('remove one with: carapace approvals allowlist remove <id>\n'));
    return 0;
  });
}

/** `carapace approvals allowlist remove <id>`: drop one entry (compare-and-set against concurrent edits). */
export async function approvalsAllowlistRemove(ctx: CliContext, id: string, flags: Flags): Promise<number> {
  return withGateway(ctx, flags, async (client) => {
    const snap = await client.call<ExecApprovalsSnapshot>('exec.approvals.get', {});
    const entry = pickById(snap.file.entries, id, 'entries');
    if (!entry) {
      throw new CarapaceError('EXEC_APPROVAL_ENTRY_NOT_FOUND', `no approved exec entry '${id}'`, {
        details: { id },
      });
    }
    const file = { ...snap.file, entries: snap.file.entries.filter((e) => e.id !== entry.id) };
    await client.call('exec.approvals.set', { file, baseHash: snap.hash });
    if (flags.json) ctx.io.out(formatJson({ removed: entry }, true));
    else ctx.io.out(`Removed: ${oneLine(quoteArgv(entry.argv))} ${pc.dim(`(${entry.id})`)}\n`);
    return 0;
  });
}
