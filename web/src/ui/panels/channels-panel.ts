import { html, nothing } from 'lit';
import type { EventFrame } from '../../protocol.js';
import { formatTime } from '../format.js';
import { sharedStyles } from '../shared-styles.js';
import { PanelBase, unavailable } from './panel-base.js';

/** One channel (account) as shown: a name and whatever state the gateway reports. */
interface ChannelView {
  id: string;
  state: string;
  detail: string;
}

/** A pairing request: someone on a channel asking to talk to the agent. */
interface PairingRequest {
  channel: string;
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

/** Channels from `channels.status`, whether it answers `{channels: {id: {...}}}` or a list. */
export function channelViews(payload: unknown): ChannelView[] {
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
    ...(typeof r.createdAt === 'number' ? { createdAt: r.createdAt } : {}),
  }));
}

/** Channel status and the pairing requests waiting for approval. */
export class CpChannelsPanel extends PanelBase {
  static override properties = {
    channels: { state: true },
    requests: { state: true },
  };
  static override styles = [sharedStyles];

  declare channels: ChannelView[];
  declare requests: PairingRequest[];

  constructor() {
    super();
    this.channels = [];
    this.requests = [];
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
    await this.call('pairing.approve', { channel: r.channel, code: r.code });
    await this.reload();
  }

  #renderPairing() {
    if (!this.supports('pairing.list')) return unavailable('Pairing', 'pairing.list');
    if (this.requests.length === 0) return html`<p class="muted">No pairing requests.</p>`;
    const canApprove = this.supports('pairing.approve');
    return html`<ul>
      ${this.requests.map(
        (r) => html`<li class="row">
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
      ${this.renderError()}
      ${
        !this.supports('channels.status')
          ? unavailable('Channel status', 'channels.status')
          : this.channels.length === 0
            ? html`<p class="muted">No channels configured.</p>`
            : html`<ul>
              ${this.channels.map(
                (c) => html`<li><strong>${c.id}</strong>: ${c.state}
                  ${c.detail ? html`<span class="error">${c.detail}</span>` : nothing}</li>`,
              )}
            </ul>`
      }
      <h2>Pairing requests</h2>
      ${this.#renderPairing()}
    </section>`;
  }
}
