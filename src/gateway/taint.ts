import { type AgentMessage, type AgentTool, messageText } from '../agent/index.js';
import type { Config } from '../config/index.js';
import {
  type ApprovalBroker,
  AuthoredFiles,
  guardTools,
  hasUntrustedMarker,
  TaintRegistry,
} from '../tools/index.js';
import type { GatewaySessions } from './sessions.js';

/** How a group turn marks the recent unmentioned messages it carries (channels' `withGroupHistory`). */
const GROUP_HISTORY_MARK = '[recent group messages, context only';

/** The taint of one run as the turn sees it: feed it every message, end it when the turn is over. */
export interface RunGuard {
  observe(message: AgentMessage): void;
  end(): void;
}

export interface GatewayTaintDeps {
  config(): Config;
  sessions: GatewaySessions;
  broker: ApprovalBroker;
}

interface Recipient {
  channel: string;
  to: string;
  accountId?: string;
}

/**
 * Tainted turns (SECURITY-TESTS default 4) for the gateway: one taint per run, set by what the run's
 * context holds (wrapped external content, unmentioned group messages, a turn another session set off)
 * and by what its tools read; the tools of every turn are wrapped so that consequential calls of a
 * tainted run wait for an operator (through the exec approval broker), and `exec` never runs `full`.
 */
export class GatewayTaint {
  readonly registry = new TaintRegistry();
  readonly #authored = new Map<string, AuthoredFiles>();
  readonly #approved = new Map<string, Set<string>>();

  constructor(private readonly deps: GatewayTaintDeps) {}

  /** Start tracking a run. `method` is where its message came from (`agent-bus`: another session). */
  begin(run: { runId: string; method: string }): RunGuard {
    const taint = this.registry.begin(run.runId);
    if (run.method === 'agent-bus')
      taint.mark("another session's text (a turn set off by sessions_send/spawn)");
    return {
      observe: (message) => {
        if (message.role !== 'user' && message.role !== 'toolResult') return;
        const text = messageText(message);
        if (hasUntrustedMarker(text)) {
          const where = message.role === 'user' ? 'the conversation' : `a result of ${message.toolName}`;
          taint.mark(`external content in ${where} (webhook, web page, email or another session)`);
        }
        if (message.role === 'user' && text.includes(GROUP_HISTORY_MARK))
          taint.mark('unmentioned group messages');
      },
      end: () => this.registry.end(run.runId),
    };
  }

  /** True when the run read untrusted content (an unknown run counts as tainted). */
  isTainted(runId: string): boolean {
    return this.registry.isTainted(runId);
  }

  /** The tools of a turn, each call checked against its run's taint. */
  guard(tools: readonly AgentTool[]): AgentTool[] {
    return guardTools(tools, {
      registry: this.registry,
      workspaceDir: (agentId) => this.deps.sessions.agent(agentId).workspaceDir,
      authored: (agentId) => this.#authoredFiles(agentId),
      knownRecipient: (agentId, to) => this.#known(agentId, to),
      rememberRecipient: (agentId, to) => this.#approvedFor(agentId).add(recipientKey(to)),
      broker: this.deps.broker,
      approvals: () => {
        const exec = this.deps.config().tools.exec;
        return { ask: exec.ask, timeoutSec: exec.approvalTimeoutSec };
      },
    });
  }

  #authoredFiles(agentId: string): AuthoredFiles {
    let files = this.#authored.get(agentId);
    if (!files) {
      files = new AuthoredFiles();
      this.#authored.set(agentId, files);
    }
    return files;
  }

  #approvedFor(agentId: string): Set<string> {
    let set = this.#approved.get(agentId);
    if (!set) {
      set = new Set();
      this.#approved.set(agentId, set);
    }
    return set;
  }

  /** Someone the agent talked with before (a session of it was last addressed to them), or approved. */
  async #known(agentId: string, to: Recipient): Promise<boolean> {
    if (this.#approvedFor(agentId).has(recipientKey(to))) return true;
    const entries = await this.deps.sessions.entries(agentId);
    return entries.some(
      (e) =>
        e.lastChannel === to.channel &&
        e.lastTo === to.to &&
        (to.accountId === undefined || (e.lastAccountId ?? 'default') === to.accountId),
    );
  }
}

function recipientKey(to: Recipient): string {
  return JSON.stringify([to.channel, to.to, to.accountId ?? '']);
}
