import { css, html, LitElement, nothing } from 'lit';
import type { ApprovalDecision, ApprovalRequest } from '../../client/approvals.js';
import { describeError, isUnknownMethod } from '../../client/errors.js';
import type { GatewayClient } from '../../client/gateway-client.js';
import { sharedStyles } from '../shared-styles.js';
import { unavailable } from './panel-base.js';

/** Detail of the `approval-resolved` event. */
export interface ApprovalResolvedDetail {
  id: string;
}

/**
 * Exec approval requests with allow once / allow always / deny (`exec.approval.resolve`). The list is
 * owned by the app (it hears the events in every view); this element shows it and answers.
 */
export class CpApprovals extends LitElement {
  static override properties = {
    client: { attribute: false },
    requests: { attribute: false },
    compact: { type: Boolean },
    error: { state: true },
    missing: { state: true },
  };
  static override styles = [
    sharedStyles,
    css`
      .req {
        border-top: 1px solid var(--border);
        padding: 0.5rem 0;
      }
      .req:first-of-type {
        border-top: none;
      }
      pre {
        margin: 0.3rem 0;
      }
      .why {
        margin-bottom: 0.4rem;
      }
    `,
  ];

  declare client: GatewayClient | undefined;
  declare requests: ApprovalRequest[];
  declare compact: boolean;
  declare error: string;
  declare missing: boolean;

  constructor() {
    super();
    this.requests = [];
    this.compact = false;
    this.error = '';
    this.missing = false;
  }

  get #available(): boolean {
    return (this.client?.supports('exec.approval.resolve') ?? false) && !this.missing;
  }

  async #resolve(req: ApprovalRequest, decision: ApprovalDecision): Promise<void> {
    if (!this.client) return;
    try {
      await this.client.request('exec.approval.resolve', { id: req.id, decision });
      this.error = '';
      const detail: ApprovalResolvedDetail = { id: req.id };
      this.dispatchEvent(new CustomEvent('approval-resolved', { detail, bubbles: true, composed: true }));
    } catch (err) {
      if (isUnknownMethod(err)) this.missing = true;
      else this.error = describeError(err);
    }
  }

  #renderRequest(r: ApprovalRequest) {
    const can = this.#available;
    return html`<div class="req" data-approval=${r.id}>
      <div>
        ${r.agentId ? html`Agent <strong>${r.agentId}</strong> wants` : 'The agent wants'} to run
        ${r.cwd ? html`in <code>${r.cwd}</code>` : nothing}:
      </div>
      <pre>${r.command}</pre>
      ${r.reason ? html`<div class="muted small-text why">Why: ${r.reason}</div>` : nothing}
      <div class="row">
        <button class="small primary" ?disabled=${!can} @click=${() => void this.#resolve(r, 'allow-once')}>
          Allow once
        </button>
        <button class="small" ?disabled=${!can} @click=${() => void this.#resolve(r, 'allow-always')}>
          Allow always
        </button>
        <button class="small danger" ?disabled=${!can} @click=${() => void this.#resolve(r, 'deny')}>Deny</button>
      </div>
    </div>`;
  }

  override render() {
    if (this.compact && this.requests.length === 0) return nothing;
    return html`<section class=${this.compact ? 'banner warn' : 'card'} aria-labelledby="approvals-h" role="region">
      <h2 id="approvals-h">Exec approvals${this.requests.length ? ` (${this.requests.length})` : ''}</h2>
      ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
      ${this.client?.hello && !this.#available ? unavailable('Answering approvals', 'exec.approval.resolve') : nothing}
      ${
        this.requests.length === 0
          ? html`<p class="muted">No commands are waiting for approval.</p>`
          : this.requests.map((r) => this.#renderRequest(r))
      }
    </section>`;
  }
}
