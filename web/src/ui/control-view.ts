import { css, html, LitElement } from 'lit';
import type { ApprovalRequest } from '../client/approvals.js';
import type { GatewayClient } from '../client/gateway-client.js';
import { formatDuration } from './format.js';
import { GatewayLink } from './gateway-link.js';
import { sharedStyles } from './shared-styles.js';

const TABS = [
  { id: 'sessions', label: 'Sessions' },
  { id: 'usage', label: 'Usage' },
  { id: 'channels', label: 'Channels' },
  { id: 'approvals', label: 'Approvals' },
  { id: 'cron', label: 'Cron' },
  { id: 'logs', label: 'Logs' },
] as const;
type TabId = (typeof TABS)[number]['id'];

/** The operator's panel: gateway facts and one section at a time (only the visible one polls). */
export class CpControl extends LitElement {
  static override properties = {
    client: { attribute: false },
    approvals: { attribute: false },
    tab: { state: true },
    helloRev: { state: true },
  };
  static override styles = [
    sharedStyles,
    css`
      :host {
        display: block;
        padding: 0.75rem;
        overflow-y: auto;
        height: 100%;
      }
      .wrap {
        max-width: 72rem;
        margin: 0 auto;
        display: grid;
        grid-template-columns: minmax(0, 1fr);
        gap: 0.75rem;
      }
      [role='tablist'] {
        display: flex;
        gap: 0.35rem;
        overflow-x: auto;
        padding-bottom: 0.2rem;
      }
      [role='tab'] {
        white-space: nowrap;
        flex: none;
      }
      [role='tab'][aria-selected='true'],
      [role='tab'][aria-selected='true']:hover:not(:disabled) {
        background: var(--accent);
        color: var(--accent-text);
        border-color: var(--accent);
      }
      dl {
        display: grid;
        grid-template-columns: max-content 1fr;
        gap: 0.2rem 0.8rem;
        margin: 0;
      }
      dt {
        color: var(--muted);
      }
      dd {
        margin: 0;
        min-width: 0;
        overflow-wrap: anywhere;
      }
    `,
  ];

  declare client: GatewayClient | undefined;
  declare approvals: ApprovalRequest[];
  declare tab: TabId;
  declare helloRev: number;

  constructor() {
    super();
    this.approvals = [];
    this.tab = 'sessions';
    this.helloRev = 0;
    new GatewayLink(this, { hello: () => this.helloRev++ });
  }

  #onTabKey(e: KeyboardEvent): void {
    if (e.key !== 'ArrowRight' && e.key !== 'ArrowLeft') return;
    const i = TABS.findIndex((t) => t.id === this.tab);
    const next = TABS[(i + (e.key === 'ArrowRight' ? 1 : TABS.length - 1)) % TABS.length];
    if (!next) return;
    this.tab = next.id;
    void this.updateComplete.then(() =>
      (this.renderRoot.querySelector(`#tab-${next.id}`) as HTMLElement | null)?.focus(),
    );
  }

  #renderOverview() {
    const h = this.client?.hello;
    if (!h) return html`<section class="card"><h2>Gateway</h2><p class="muted">Not connected.</p></section>`;
    return html`<section class="card" aria-labelledby="gw-h">
      <h2 id="gw-h">Gateway</h2>
      <dl>
        <dt>Address</dt>
        <dd>${this.client?.url}</dd>
        <dt>Version</dt>
        <dd>${h.server.version} (protocol ${h.protocol})</dd>
        <dt>Host</dt>
        <dd>${h.server.host ?? '–'}</dd>
        <dt>Up for</dt>
        <dd>${formatDuration(h.snapshot.uptimeMs)} (when this page connected)</dd>
        <dt>Access</dt>
        <dd>${h.auth.role}: ${h.auth.scopes.join(', ') || 'none'}</dd>
        <dt>Methods</dt>
        <dd>${h.features.methods.length} available</dd>
      </dl>
    </section>`;
  }

  #renderTab() {
    switch (this.tab) {
      case 'sessions':
        return html`<cp-sessions-panel .client=${this.client}></cp-sessions-panel>`;
      case 'usage':
        return html`<cp-usage-panel .client=${this.client}></cp-usage-panel>`;
      case 'channels':
        return html`<cp-channels-panel .client=${this.client}></cp-channels-panel>`;
      case 'approvals':
        return html`<cp-approvals .client=${this.client} .requests=${this.approvals}></cp-approvals>`;
      case 'cron':
        return html`<cp-cron-panel .client=${this.client}></cp-cron-panel>`;
      default:
        return html`<cp-logs-panel .client=${this.client}></cp-logs-panel>`;
    }
  }

  override render() {
    return html`<div class="wrap">
      ${this.#renderOverview()}
      <div role="tablist" aria-label="Control sections" @keydown=${(e: KeyboardEvent) => this.#onTabKey(e)}>
        ${TABS.map(
          (t) => html`<button
            role="tab"
            id=${`tab-${t.id}`}
            aria-selected=${this.tab === t.id ? 'true' : 'false'}
            aria-controls="panel"
            tabindex=${this.tab === t.id ? 0 : -1}
            @click=${() => {
              this.tab = t.id;
            }}
          >
            ${t.label}${t.id === 'approvals' && this.approvals.length ? ` (${this.approvals.length})` : ''}
          </button>`,
        )}
      </div>
      <div id="panel" role="tabpanel" aria-labelledby=${`tab-${this.tab}`}>${this.#renderTab()}</div>
    </div>`;
  }
}
