import { css, html, LitElement, nothing } from 'lit';
import { repeat } from 'lit/directives/repeat.js';
import { randomUuid } from '../chat/attachments.js';
import {
  type AgentEventPayload,
  type ChatEventPayload,
  type HistoryPage,
  Transcript,
} from '../chat/transcript.js';
import { describeError, isConnectionFailure } from '../client/errors.js';
import type { GatewayClient } from '../client/gateway-client.js';
import type { ChatSendParams, EventFrame, SessionRow } from '../protocol.js';
import { chatItemStyles, renderChatItem } from './chat-items.js';
import type { ComposerSend, CpComposer } from './composer.js';
import { GatewayLink } from './gateway-link.js';
import { sharedStyles } from './shared-styles.js';

interface AgentInfo {
  id: string;
  name: string;
  isDefault: boolean;
  model?: string;
}

const PAGE = 50;
const mainKey = (agentId: string) => `agent:${agentId}:main`;

/**
 * The chat: pick an agent and a session, read its history (paged), send messages (with text
 * attachments and slash commands), watch replies stream with tool calls folded in, stop a reply.
 * Messages sent while the connection is down wait and go out, with the same idempotency key, when it is back.
 */
export class CpChat extends LitElement {
  static override properties = {
    client: { attribute: false },
    agentId: { type: String },
    sessionKey: { type: String },
    agents: { state: true },
    sessions: { state: true },
    rev: { state: true },
    loadingOlder: { state: true },
    problem: { state: true },
    noModel: { state: true },
  };
  static override styles = [
    sharedStyles,
    chatItemStyles,
    css`
      :host {
        display: flex;
        flex-direction: column;
        min-height: 0;
        height: 100%;
      }
      .bar {
        display: flex;
        gap: 0.5rem;
        flex-wrap: wrap;
        padding: 0.5rem 0.75rem;
        border-bottom: 1px solid var(--border);
        background: var(--surface);
      }
      .bar label {
        display: flex;
        gap: 0.35rem;
        align-items: center;
        font-size: 0.9rem;
        color: var(--muted);
        min-width: 0;
      }
      .bar select {
        max-width: 60vw;
      }
      .log {
        flex: 1;
        overflow-y: auto;
        padding: 0.75rem;
        display: flex;
        flex-direction: column;
      }
      .older {
        align-self: center;
        margin-bottom: 0.5rem;
      }
      .empty {
        margin: auto;
        text-align: center;
        color: var(--muted);
        max-width: 28rem;
      }
      .banner {
        margin: 0.5rem 0.75rem 0;
      }
    `,
  ];

  declare client: GatewayClient | undefined;
  declare agentId: string;
  declare sessionKey: string;
  declare agents: AgentInfo[];
  declare sessions: SessionRow[];
  declare rev: number;
  declare loadingOlder: boolean;
  declare problem: string;
  declare noModel: boolean;
  transcript = new Transcript();
  /** Messages whose send failed for lack of a connection: re-sent (same key) after the next handshake. */
  readonly #outbox = new Map<string, ChatSendParams>();
  /** Runs started by `/new` or `/reset` typed here: their end reloads the (new) session. */
  readonly #resets = new Set<string>();
  #sessionsTimer: ReturnType<typeof setTimeout> | undefined;
  #stickToBottom = true;

  constructor() {
    super();
    this.agentId = '';
    this.sessionKey = '';
    this.agents = [];
    this.sessions = [];
    this.rev = 0;
    this.loadingOlder = false;
    this.problem = '';
    this.noModel = false;
    new GatewayLink(this, {
      hello: () => void this.#onHello(),
      event: (f) => this.#onEvent(f),
    });
  }

  #touch(): void {
    this.rev++;
  }

  async #onHello(): Promise<void> {
    const client = this.client;
    if (!client) return;
    try {
      const list = await client.request<{ defaultId: string; agents: AgentInfo[] }>('agents.list', {});
      this.agents = list.agents;
      if (!this.agentId || !list.agents.some((a) => a.id === this.agentId)) this.agentId = list.defaultId;
      if (!this.sessionKey) this.sessionKey = mainKey(this.agentId);
      const models = client.supports('models.list')
        ? await client.request<{ models: unknown[] }>('models.list', {})
        : undefined;
      this.noModel = models !== undefined && models.models.length === 0;
      await Promise.all([this.#loadSessions(), this.#loadHistory()]);
      this.problem = '';
      for (const params of [...this.#outbox.values()]) void this.#deliver(params);
    } catch (err) {
      if (!isConnectionFailure(err)) this.problem = describeError(err);
    }
  }

  async #loadSessions(): Promise<void> {
    if (!this.client || !this.agentId) return;
    const res = await this.client.request<{ sessions: SessionRow[] }>('sessions.list', {
      agentId: this.agentId,
      limit: 200,
    });
    this.sessions = res.sessions;
  }

  async #loadHistory(): Promise<void> {
    if (!this.client || !this.sessionKey) return;
    const key = this.sessionKey;
    const page = await this.client.request<HistoryPage>('chat.history', { sessionKey: key, limit: PAGE });
    if (key !== this.sessionKey) return;
    this.transcript.load(page);
    this.#stickToBottom = true;
    this.#touch();
  }

  async #loadOlder(): Promise<void> {
    if (!this.client || this.transcript.cursor === undefined) return;
    this.loadingOlder = true;
    const log = this.renderRoot.querySelector('.log');
    const fromBottom = log ? log.scrollHeight - log.scrollTop : 0;
    try {
      const page = await this.client.request<HistoryPage>('chat.history', {
        sessionKey: this.sessionKey,
        limit: PAGE,
        cursor: this.transcript.cursor,
      });
      this.transcript.prepend(page);
      this.#stickToBottom = false;
      this.#touch();
      await this.updateComplete;
      if (log) log.scrollTop = log.scrollHeight - fromBottom; // keep what was in view in place
    } catch (err) {
      this.problem = describeError(err);
    } finally {
      this.loadingOlder = false;
    }
  }

  #onEvent(frame: EventFrame): void {
    if (frame.event === 'sessions.changed') {
      clearTimeout(this.#sessionsTimer);
      this.#sessionsTimer = setTimeout(() => void this.#loadSessions().catch(() => undefined), 300);
      return;
    }
    if (frame.event !== 'chat' && frame.event !== 'agent') return;
    const p = frame.payload as ChatEventPayload | AgentEventPayload | undefined;
    if (!p || p.sessionKey !== this.sessionKey) return;
    if (frame.event === 'agent') {
      this.transcript.applyAgent(p as AgentEventPayload);
    } else {
      const end = this.transcript.applyChat(p as ChatEventPayload, Date.now());
      // A run started elsewhere (its user message is not on screen) or a session reset: show the record.
      if (end && (!end.local || this.#resets.delete(end.runId)))
        void this.#loadHistory().catch(() => undefined);
    }
    this.#touch();
  }

  async #onSend(e: CustomEvent<ComposerSend>): Promise<void> {
    const { text, attachments } = e.detail;
    const runId = randomUuid();
    const params: ChatSendParams = { sessionKey: this.sessionKey, message: text, idempotencyKey: runId };
    if (attachments.length) params.attachments = attachments;
    const shown = attachments.length
      ? `${text}\n[attached: ${attachments.map((a) => a.fileName).join(', ')}]`
      : text;
    if (/^\s*\/(new|reset)\b/i.test(text)) this.#resets.add(runId);
    this.transcript.addLocalUser(shown, runId, Date.now());
    this.#stickToBottom = true;
    this.#touch();
    await this.#deliver(params);
  }

  async #deliver(params: ChatSendParams): Promise<void> {
    const runId = params.idempotencyKey;
    try {
      this.#outbox.delete(runId);
      const res = await this.client!.request<{ status: string }>('chat.send', params);
      this.transcript.sent(runId, res.status === 'started' || res.status === 'in_flight');
    } catch (err) {
      if (isConnectionFailure(err) || !this.client) this.#outbox.set(runId, params);
      else this.transcript.failed(runId, describeError(err));
    }
    this.#touch();
  }

  async #abort(): Promise<void> {
    const runId = this.transcript.runningRunId;
    for (const id of this.transcript.active) this.#outbox.delete(id);
    try {
      await this.client?.request('chat.abort', { sessionKey: this.sessionKey, ...(runId ? { runId } : {}) });
    } catch (err) {
      this.problem = describeError(err);
    }
  }

  /** Show another session (the pickers, and Control's "open in chat"). */
  openSession(agentId: string, key: string): void {
    const agentChanged = agentId !== this.agentId;
    this.agentId = agentId;
    this.sessionKey = key;
    this.transcript = new Transcript();
    this.#touch();
    if (this.client?.state !== 'open') return;
    void Promise.all([agentChanged ? this.#loadSessions() : undefined, this.#loadHistory()]).catch((err) => {
      this.problem = describeError(err);
    });
  }

  protected override updated(): void {
    const log = this.renderRoot.querySelector('.log');
    if (log && this.#stickToBottom) log.scrollTop = log.scrollHeight;
  }

  #onScroll(e: Event): void {
    const log = e.target as HTMLElement;
    this.#stickToBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 80;
  }

  /** Focus the message box (after sign-in or switching to the chat). */
  focusComposer(): void {
    (this.renderRoot.querySelector('cp-composer') as CpComposer | null)?.focus();
  }

  #renderBar() {
    const keys = new Set(this.sessions.map((s) => s.key));
    const options = [...this.sessions];
    if (this.agentId && !keys.has(mainKey(this.agentId)))
      options.unshift({ key: mainKey(this.agentId) } as SessionRow);
    if (this.sessionKey && !options.some((s) => s.key === this.sessionKey))
      options.unshift({ key: this.sessionKey } as SessionRow);
    return html`<div class="bar">
      <label
        >Agent
        <select
          aria-label="Agent"
          .value=${this.agentId}
          @change=${(e: Event) => {
            const id = (e.target as HTMLSelectElement).value;
            this.openSession(id, mainKey(id));
          }}
        >
          ${this.agents.map(
            (a) => html`<option value=${a.id} ?selected=${a.id === this.agentId}>${a.name || a.id}</option>`,
          )}
        </select></label
      >
      <label
        >Session
        <select
          aria-label="Session"
          @change=${(e: Event) => this.openSession(this.agentId, (e.target as HTMLSelectElement).value)}
        >
          ${options.map(
            (s) =>
              html`<option value=${s.key} ?selected=${s.key === this.sessionKey}>${s.label ?? s.key}</option>`,
          )}
        </select></label
      >
    </div>`;
  }

  override render() {
    const t = this.transcript;
    return html`
      ${this.#renderBar()}
      ${
        this.noModel
          ? html`<div class="banner warn" role="status" data-no-model-banner>
            No model is configured on this gateway yet. Send a message to see exactly what to add to
            <code>carapace.json</code>.
          </div>`
          : nothing
      }
      ${this.problem ? html`<div class="banner danger" role="alert">${this.problem}</div>` : nothing}
      <div class="log" role="log" aria-label="Conversation" aria-live="polite" @scroll=${(e: Event) => this.#onScroll(e)}>
        ${
          t.hasMore
            ? html`<button class="older small" ?disabled=${this.loadingOlder} @click=${() => void this.#loadOlder()}>
              ${this.loadingOlder ? 'Loading…' : 'Load older messages'}
            </button>`
            : nothing
        }
        ${
          t.items.length === 0
            ? html`<p class="empty">No messages yet. Say hello — or type <code>/status</code> to see this session.</p>`
            : repeat(
                t.items,
                (i) => i.key,
                (i) => renderChatItem(i),
              )
        }
      </div>
      <cp-composer
        ?running=${t.active.size > 0}
        @send=${(e: CustomEvent<ComposerSend>) => void this.#onSend(e)}
        @abort=${() => void this.#abort()}
      ></cp-composer>
    `;
  }
}
