import { html, nothing } from 'lit';
import type { EventFrame, SessionRow } from '../../protocol.js';
import { formatCount, formatTime } from '../format.js';
import { sharedStyles } from '../shared-styles.js';
import { PanelBase, unavailable } from './panel-base.js';

/** Detail of the `open-session` event: show this session in the chat. */
export interface OpenSessionDetail {
  agentId: string;
  key: string;
}

/**
 * Sessions of every agent with their token usage (from `sessions.list`), newest first; open one in the
 * chat, reset it (fresh session, old transcript kept) or delete it (transcript archived). Destructive
 * actions ask for a second click.
 */
export class CpSessionsPanel extends PanelBase {
  static override properties = {
    sessions: { state: true },
    total: { state: true },
    confirming: { state: true },
  };
  static override styles = [sharedStyles];

  declare sessions: SessionRow[];
  declare total: number;
  /** `reset:<key>` or `delete:<key>` waiting for its confirming click. */
  declare confirming: string;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor() {
    super();
    this.sessions = [];
    this.total = 0;
    this.confirming = '';
  }

  protected override async refresh(): Promise<void> {
    if (!this.supports('sessions.list')) return;
    const res = await this.call<{ sessions: SessionRow[]; total: number }>('sessions.list', { limit: 500 });
    if (res) {
      this.sessions = res.sessions;
      this.total = res.total;
    }
  }

  protected override onGatewayEvent(frame: EventFrame): void {
    if (frame.event !== 'sessions.changed') return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.reload(), 300);
  }

  async #act(action: 'reset' | 'delete', key: string): Promise<void> {
    const id = `${action}:${key}`;
    if (this.confirming !== id) {
      this.confirming = id;
      return;
    }
    this.confirming = '';
    await this.call(action === 'reset' ? 'sessions.reset' : 'sessions.delete', { key });
    await this.reload();
  }

  #open(s: SessionRow): void {
    const detail: OpenSessionDetail = { agentId: s.agentId, key: s.key };
    this.dispatchEvent(new CustomEvent('open-session', { detail, bubbles: true, composed: true }));
  }

  #actions(s: SessionRow) {
    const canReset = this.supports('sessions.reset');
    const canDelete = this.supports('sessions.delete');
    return html`<div class="row">
      <button class="small" @click=${() => this.#open(s)} aria-label=${`Open ${s.key} in the chat`}>Open</button>
      ${
        canReset
          ? html`<button class="small" @click=${() => void this.#act('reset', s.key)} aria-label=${`Reset ${s.key}`}>
            ${this.confirming === `reset:${s.key}` ? 'Confirm reset' : 'Reset'}
          </button>`
          : nothing
      }
      ${
        canDelete
          ? html`<button
            class="small danger"
            @click=${() => void this.#act('delete', s.key)}
            aria-label=${`Delete ${s.key}`}
          >
            ${this.confirming === `delete:${s.key}` ? 'Confirm delete' : 'Delete'}
          </button>`
          : nothing
      }
    </div>`;
  }

  override render() {
    if (this.client?.hello && !this.supports('sessions.list'))
      return html`<section class="card"><h2>Sessions</h2>${unavailable('The session list', 'sessions.list')}</section>`;
    const sum = this.sessions.reduce(
      (a, s) => ({
        input: a.input + s.inputTokens,
        output: a.output + s.outputTokens,
        total: a.total + s.totalTokens,
      }),
      { input: 0, output: 0, total: 0 },
    );
    return html`<section class="card" aria-labelledby="sessions-h">
      <div class="row spread">
        <h2 id="sessions-h">Sessions and usage</h2>
        <button class="small" @click=${() => void this.reload()}>Refresh</button>
      </div>
      ${this.renderError()}
      <p class="muted" data-usage-total>
        ${formatCount(this.total)} sessions · ${formatCount(sum.total)} tokens (in ${formatCount(sum.input)}, out
        ${formatCount(sum.output)})
      </p>
      ${
        this.sessions.length === 0
          ? html`<p class="muted">${this.loaded ? 'No sessions yet.' : 'Loading…'}</p>`
          : html`<div class="scroll-x">
            <table class="stack">
              <thead>
                <tr>
                  <th>Session</th>
                  <th class="num">Messages</th>
                  <th class="num">Tokens in / out</th>
                  <th>Updated</th>
                  <th><span class="sr-only">Actions</span></th>
                </tr>
              </thead>
              <tbody>
                ${this.sessions.map(
                  (s) => html`<tr data-session=${s.key}>
                    <td>
                      <div>${s.label ?? s.key}</div>
                      <div class="muted small-text">${s.agentId}${s.model ? ` · ${s.model}` : ''}</div>
                    </td>
                    <td class="num" data-label="Messages">${formatCount(s.messageCount)}</td>
                    <td class="num" data-label="Tokens in / out">
                      ${formatCount(s.inputTokens)} / ${formatCount(s.outputTokens)}
                    </td>
                    <td data-label="Updated">${formatTime(s.updatedAt)}</td>
                    <td>${this.#actions(s)}</td>
                  </tr>`,
                )}
              </tbody>
            </table>
          </div>`
      }
    </section>`;
  }
}
