import pc from 'picocolors';
import type { AgentFinal, AgentParams } from '../../protocol/index.js';
import { newId } from '../../shared/index.js';
import type { EventListener, GatewayClient } from '../client/index.js';
import type { ConnectionFlags } from '../connection.js';
import { type CliContext, type StateFlags, usageError, withGateway } from '../context.js';
import { formatDuration, formatJson } from '../format.js';
import { formatCount } from '../table.js';

/** Flags of `carapace agent`. */
export interface AgentFlags extends ConnectionFlags, StateFlags {
  message?: string;
  agent?: string;
  session?: string;
  thinking?: string;
  /** Seconds the run may take (the gateway's `timeout`). */
  timeout?: number;
  json?: boolean;
}

/** The gateway's default run timeout (`agents.defaults.timeoutSeconds`), plus room for the queue. */
const DEFAULT_RUN_SECONDS = 600;
const SLACK_SECONDS = 60;

/** `agent` params for the flags, with a fresh idempotency key (which becomes the runId). */
export function agentParams(flags: AgentFlags): AgentParams {
  if (flags.message === undefined || flags.message.trim() === '') {
    throw usageError('--message is required: carapace agent --message "hello"');
  }
  const params: AgentParams = { message: flags.message, idempotencyKey: newId() };
  if (flags.agent) params.agentId = flags.agent;
  if (flags.session) params.sessionKey = flags.session;
  if (flags.thinking) params.thinking = flags.thinking;
  if (flags.timeout) params.timeout = flags.timeout;
  return params;
}

/** Writes the assistant's deltas of one run as they arrive; remembers whether anything was written. */
function streamAssistant(ctx: CliContext, runId: string): { listener: EventListener; text: () => string } {
  let text = '';
  const listener: EventListener = (event) => {
    const p = event.payload as { runId?: string; stream?: string; data?: { delta?: unknown } } | undefined;
    if (p?.runId !== runId || p.stream !== 'assistant') return;
    const delta = p.data?.delta;
    if (typeof delta !== 'string' || delta === '') return;
    text += delta;
    ctx.io.out(delta);
  };
  return { listener, text: () => text };
}

/** One dim line about a finished run: model, tokens and time. */
function runSummary(final: AgentFinal): string {
  const meta = final.result?.meta;
  if (!meta) return '';
  const a = meta.agentMeta;
  const usage = a.usage as { input?: number; output?: number } | undefined;
  const parts = [
    a.provider && a.model ? `${a.provider}/${a.model}` : (a.model ?? ''),
    usage ? `${formatCount(usage.input ?? 0)} in / ${formatCount(usage.output ?? 0)} out tokens` : '',
    formatDuration(meta.durationMs),
  ].filter(Boolean);
  return pc.dim(`${parts.join(' · ')}\n`);
}

/** Ctrl-C while a run is going asks the gateway to abort it; a second Ctrl-C ends the CLI at once. */
function abortOnInterrupt(client: GatewayClient, runId: string, sessionKey: () => string | undefined) {
  const onSigint = () => {
    const key = sessionKey();
    if (key) void client.call('chat.abort', { sessionKey: key, runId }).catch(() => undefined);
  };
  process.once('SIGINT', onSigint);
  return () => process.removeListener('SIGINT', onSigint);
}

/**
 * `carapace agent --message <text>`: run one agent turn through the gateway. The reply is written to
 * stdout as it streams (`agent` events of stream `assistant`), then a summary line on stderr. A failed run
 * prints the gateway's summary (e.g. how to configure a model) and exits 1. `--json` prints only the
 * final answer of `agent` as JSON.
 */
export async function agentRun(ctx: CliContext, flags: AgentFlags): Promise<number> {
  const params = agentParams(flags);
  const runId = params.idempotencyKey;
  return withGateway(ctx, flags, async (client) => {
    const stream = streamAssistant(ctx, runId);
    const unsubscribe = flags.json ? () => undefined : client.subscribe('agent', stream.listener);
    let sessionKey: string | undefined;
    const release = abortOnInterrupt(client, runId, () => sessionKey);
    let final: AgentFinal;
    try {
      final = await client.call<AgentFinal>('agent', params, {
        expectFinal: true,
        timeoutMs: ((flags.timeout ?? DEFAULT_RUN_SECONDS) + SLACK_SECONDS) * 1000,
        onAccepted: (ack) => {
          sessionKey = (ack as { sessionKey?: string }).sessionKey;
        },
      });
    } finally {
      release();
      unsubscribe();
    }
    if (flags.json) {
      ctx.io.out(formatJson(final, true));
      return final.status === 'ok' ? 0 : 1;
    }
    const streamed = stream.text();
    if (final.status === 'ok') {
      const text = final.result?.payloads.map((p) => p.text).join('\n') ?? '';
      if (!streamed) ctx.io.out(text);
      if ((streamed || text) && !(streamed || text).endsWith('\n')) ctx.io.out('\n');
      ctx.io.err(runSummary(final));
      return 0;
    }
    if (streamed && !streamed.endsWith('\n')) ctx.io.out('\n');
    const why =
      final.status === 'timeout'
        ? `the run stopped before it finished (${final.stopReason ?? final.summary})`
        : final.summary;
    ctx.io.err(`${pc.red('error:')} ${why}\n`);
    return 1;
  });
}
