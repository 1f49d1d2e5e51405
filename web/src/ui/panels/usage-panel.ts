import { html, nothing } from 'lit';
import type { HistoryPage } from '../../chat/transcript.js';
import { type DayUsage, formatCost, type SessionUsage, UsageTally } from '../../chat/usage.js';
import type { SessionRow } from '../../protocol.js';
import { formatCount } from '../format.js';
import { sharedStyles } from '../shared-styles.js';
import { PanelBase, unavailable } from './panel-base.js';

const DAYS = 30;
const PAGE = 1000;
/** At most this many history pages per session (the newest 5,000 messages). */
const MAX_PAGES = 5;
const PARALLEL = 3;
const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Tokens and cost per day and per session over the last 30 days, summed in the page from the model
 * turns in `chat.history` (each records its usage and cost) of the sessions active in that window.
 * Computed when the panel opens and on Refresh, not on every change.
 */
export class CpUsagePanel extends PanelBase {
  static override properties = {
    days: { state: true },
    sessions: { state: true },
    summary: { state: true },
    busy: { state: true },
  };
  static override styles = [sharedStyles];

  declare days: DayUsage[];
  declare sessions: SessionUsage[];
  declare summary: string;
  declare busy: boolean;
  #generation = 0;

  constructor() {
    super();
    this.days = [];
    this.sessions = [];
    this.summary = '';
    this.busy = false;
  }

  protected override async refresh(): Promise<void> {
    if (!this.supports('sessions.list') || !this.supports('chat.history')) return;
    const generation = ++this.#generation;
    this.busy = true;
    try {
      const list = await this.call<{ sessions: SessionRow[] }>('sessions.list', {
        limit: 1000,
        activeMinutes: DAYS * 24 * 60,
      });
      if (!list) return;
      const tally = new UsageTally(Date.now() - DAYS * DAY_MS);
      const queue = [...list.sessions];
      const worker = async () => {
        for (let s = queue.shift(); s; s = queue.shift()) await this.#readSession(tally, s);
      };
      await Promise.all(Array.from({ length: PARALLEL }, worker));
      if (generation !== this.#generation) return;
      this.days = tally.days;
      this.sessions = tally.sessions;
      this.summary = `${formatCount(tally.messages)} messages in ${formatCount(list.sessions.length)} sessions`;
    } finally {
      if (generation === this.#generation) this.busy = false;
    }
  }

  async #readSession(tally: UsageTally, s: SessionRow): Promise<void> {
    let cursor: number | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const res = await this.call<HistoryPage>('chat.history', {
        sessionKey: s.key,
        limit: PAGE,
        ...(cursor === undefined ? {} : { cursor }),
      });
      if (!res) return;
      const oldest = tally.addPage(s.key, s.agentId, res.messages);
      if (!res.hasMore || res.cursor === undefined || (oldest !== undefined && oldest < tally.since)) return;
      cursor = res.cursor;
    }
  }

  #row(label: unknown, u: DayUsage | SessionUsage, attr: string) {
    return html`<tr data-row=${attr}>
      <td>${label}</td>
      <td class="num" data-label="Turns">${formatCount(u.turns)}</td>
      <td class="num" data-label="Tokens in / out">${formatCount(u.input)} / ${formatCount(u.output)}</td>
      <td class="num" data-label="Cost">${formatCost(u.cost)}</td>
    </tr>`;
  }

  #table(caption: string, first: string, rows: unknown[]) {
    return html`<div class="scroll-x">
      <table class="stack">
        <caption class="sr-only">${caption}</caption>
        <thead>
          <tr>
            <th>${first}</th>
            <th class="num">Turns</th>
            <th class="num">Tokens in / out</th>
            <th class="num">Cost</th>
          </tr>
        </thead>
        <tbody>
          ${rows}
        </tbody>
      </table>
    </div>`;
  }

  override render() {
    if (this.client?.hello && !(this.supports('sessions.list') && this.supports('chat.history')))
      return html`<section class="card"><h2>Usage</h2>${unavailable('Usage', 'chat.history')}</section>`;
    const total = this.days.reduce((a, d) => a + d.cost, 0);
    return html`<section class="card" aria-labelledby="usage-h" aria-busy=${this.busy ? 'true' : 'false'}>
      <div class="row spread">
        <h2 id="usage-h">Usage, last ${DAYS} days</h2>
        <button class="small" ?disabled=${this.busy} @click=${() => void this.reload()}>
          ${this.busy ? 'Counting…' : 'Refresh'}
        </button>
      </div>
      ${this.renderError()}
      ${this.summary ? html`<p class="muted" data-usage-summary>Cost ${formatCost(total)} · from ${this.summary}. Prices come from <code>models.providers.*.models[].cost</code>.</p>` : nothing}
      ${
        this.days.length === 0
          ? html`<p class="muted">${this.busy || !this.loaded ? 'Counting…' : 'No model turns in this window.'}</p>`
          : html`<h3>Per day</h3>
            ${this.#table(
              'Usage per day',
              'Day',
              this.days.map((d) => this.#row(d.day, d, `day:${d.day}`)),
            )}
            <h3>Per session</h3>
            ${this.#table(
              'Usage per session',
              'Session',
              this.sessions.map((s) => this.#row(html`${s.key}`, s, `session:${s.key}`)),
            )}`
      }
    </section>`;
  }
}
