import { html, nothing } from 'lit';
import type { EventFrame } from '../../protocol.js';
import { formatTime } from '../format.js';
import { sharedStyles } from '../shared-styles.js';
import { PanelBase, unavailable } from './panel-base.js';

const POLL_MS = 5000;

/** One channel (account) as shown: a name and whatever state the gateway reports. */
interface ChannelView {
  id: string;
  state: string;
  detail: string;
}

/** A pairing request: someone on a channel asking to talk to the agent. */
interface PairingRequest {
  channel: string;
  accountId?: string;
  code: string;
  from: string;
  createdAt?: number;
}

function channelState(v: Record<string, unknown>): string {
  if (v.connected === true || v.running === true) return 'running';
  if (v.configured === false) return 'not configured';
  if (typeof v.status === 'string') return v.status;
  if (typeof v.state === 'string') return v.state;
  if (v.running === false) return 'stopped';
  return 'unknown';
}

function accountState(a: Record<string, unknown>): string {
  if (a.enabled === false) return 'disabled';
  if (a.loggedOut === true) return 'logged out';
  if (a.connected === true) return 'connected';
  if (a.running === true) return 'running, not connected';
  return channelState(a);
}

/**
 * Channels from `channels.status`: one row per account (`telegram/default`) when it lists
 * `channelAccounts`, else one per channel (`{channels: {id: {...}}}` or a list).
 */
export function channelViews(payload: unknown): ChannelView[] {
  const accounts = (payload as { channelAccounts?: unknown } | undefined)?.channelAccounts;
  if (accounts && typeof accounts === 'object' && !Array.isArray(accounts)) {
    const rows = Object.entries(accounts as Record<string, unknown>).flatMap(([channel, list]) =>
      Array.isArray(list)
        ? list.map((a: Record<string, unknown>) => {
            const who = (a.self as { username?: unknown } | undefined)?.username;
            const err = typeof a.lastError === 'string' && a.lastError ? `last error: ${a.lastError}` : '';
            return {
              id: `${channel}/${String(a.accountId ?? 'default')}`,
              state: accountState(a) + (typeof who === 'string' ? ` as @${who}` : ''),
              detail: err,
            };
          })
        : [],
    );
    if (rows.length) return rows;
  }
  const p = payload as { channels?: unknown } | unknown[] | undefined;
  const raw = Array.isArray(p) ? p : (p as { channels?: unknown } | undefined)?.channels;
  const entries: [string, Record<string, unknown>][] = Array.isArray(raw)
    ? raw.map((c: Record<string, unknown>, i) => [String(c.id ?? c.channel ?? c.name ?? i), c])
    : Object.entries((raw ?? {}) as Record<string, Record<string, unknown>>);
  return entries.map(([id, v]) => {
    const err = v?.lastError ?? v?.error;
    return {
      id,
      state: channelState(v ?? {}),
      detail: typeof err === 'string' && err ? `last error: ${err}` : '',
    };
  });
}

/** Pairing requests from `pairing.list`, whether it answers `{requests: [...]}` or a list. */
export function pairingRequests(payload: unknown): PairingRequest[] {
  const p = payload as { requests?: unknown; pending?: unknown } | unknown[] | undefined;
  const list = Array.isArray(p)
    ? p
    : ((p as { requests?: unknown })?.requests ?? (p as { pending?: unknown })?.pending);
  if (!Array.isArray(list)) return [];
  return list.map((r: Record<string, unknown>) => ({
    channel: String(r.channel ?? ''),
    code: String(r.code ?? r.id ?? ''),
    from: String(
      r.senderName ?? r.from ?? r.senderId ?? r.peerId ?? (r.meta as { name?: string })?.name ?? '',
    ),
    ...(typeof r.accountId === 'string' && r.accountId ? { accountId: r.accountId } : {}),
    ...(typeof r.createdAt === 'number' ? { createdAt: r.createdAt } : {}),
  }));
}

/** Channel status and the pairing requests waiting for approval. */
export class CpChannelsPanel extends PanelBase {
  static override properties = {
    channels: { state: true },
    requests: { state: true },
    notice: { state: true },
  };
  static override styles = [sharedStyles];

  declare channels: ChannelView[];
  declare requests: PairingRequest[];
  declare notice: string;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor() {
    super();
    this.channels = [];
    this.requests = [];
    this.notice = '';
  }

  override connectedCallback(): void {
    super.connectedCallback();
    // Accounts connect and fail on their own time: refresh while the panel is on screen.
    this.#timer = setInterval(() => {
      if (this.client?.state === 'open') void this.reload();
    }, POLL_MS);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    clearInterval(this.#timer);
  }

  protected override async refresh(): Promise<void> {
    const [status, pairing] = await Promise.all([
      this.supports('channels.status') ? this.call('channels.status', {}) : undefined,
      this.supports('pairing.list') ? this.call('pairing.list', {}) : undefined,
    ]);
    if (status !== undefined) this.channels = channelViews(status);
    if (pairing !== undefined) this.requests = pairingRequests(pairing);
  }

  protected override onGatewayEvent(frame: EventFrame): void {
    if (frame.event === 'pairing.requested') void this.reload();
  }

  async #approve(r: PairingRequest): Promise<void> {
    const account = r.accountId ? { accountId: r.accountId } : {};
    const res = await this.call('pairing.approve', { channel: r.channel, code: r.code, ...account });
    if (res !== undefined) this.notice = `Approved ${r.from || r.code} on ${r.channel}.`;
    await this.reload();
  }

  #renderPairing() {
    if (!this.supports('pairing.list')) return unavailable('Pairing', 'pairing.list');
    if (this.requests.length === 0) return html`<p class="muted">No pairing requests.</p>`;
    const canApprove = this.supports('pairing.approve');
    return html`<ul>
      ${this.requests.map(
        (r) => html`<li class="row" data-pairing=${r.code}>
          <span><strong>${r.channel}</strong> ${r.from} · code <code>${r.code}</code>
            ${r.createdAt ? html`<span class="muted">(${formatTime(r.createdAt)})</span>` : nothing}</span>
          ${
            canApprove
              ? html`<button class="small primary" @click=${() => void this.#approve(r)}
                aria-label=${`Approve ${r.from || r.code} on ${r.channel}`}>Approve</button>`
              : nothing
          }
        </li>`,
      )}
    </ul>`;
  }

  override render() {
    return html`<section class="card" aria-labelledby="channels-h">
      <div class="row spread">
        <h2 id="channels-h">Channels</h2>
        <button class="small" @click=${() => void this.reload()}>Refresh</button>
      </div>
      ${this.renderError()} ${this.notice ? html`<p role="status">${this.notice}</p>` : nothing}
      ${
        !this.supports('channels.status')
          ? unavailable('Channel status', 'channels.status')
          : this.channels.length === 0
            ? html`<p class="muted">No channels configured.</p>`
            : html`<ul>
              ${this.channels.map(
                (c) => html`<li data-channel=${c.id}><strong>${c.id}</strong>: ${c.state}
                  ${c.detail ? html`<span class="error">${c.detail}</span>` : nothing}</li>`,
              )}
            </ul>`
      }
      <h2>Pairing requests</h2>
      ${this.#renderPairing()}
    </section>`;
  }
}
