import { css, html, LitElement, nothing } from 'lit';
import { ApprovalQueue } from '../client/approvals.js';
import type { Credentials, StorageLike } from '../client/credentials.js';
import { GatewayClient, type SocketLike, type StateChange } from '../client/gateway-client.js';
import type { CpChat } from './chat-view.js';
import type { OpenSessionDetail } from './panels/sessions-panel.js';
import type { SettingsChange } from './settings.js';
import { sharedStyles } from './shared-styles.js';
import type { SignInDetail } from './sign-in.js';

/** What the page gives the app: storage, its own gateway URL and how to open sockets. */
export interface AppEnvironment {
  credentials: Credentials;
  /** `ws(s)://<this page's host>/`: the only gateway used unless the user types another in settings. */
  ownUrl: string;
  storage: StorageLike;
  createSocket(url: string): SocketLike;
  prefersDark(): boolean;
  root: HTMLElement;
}

const THEME_KEY = 'carapace.theme';

function statusText(s: StateChange): string {
  switch (s.state) {
    case 'open':
      return 'Connected';
    case 'connecting':
      return 'Connecting…';
    case 'reconnecting':
      return 'Reconnecting…';
    case 'unauthorized':
      return 'Signed out';
    case 'failed':
      return 'Cannot connect';
    default:
      return 'Offline';
  }
}

/** The page: header (views, connection, theme, settings), sign-in, chat, control, approval requests. */
export class CpApp extends LitElement {
  static override properties = {
    env: { attribute: false },
    client: { state: true },
    conn: { state: true },
    view: { state: true },
    settingsOpen: { state: true },
    theme: { state: true },
    approvalsRev: { state: true },
  };
  static override styles = [
    sharedStyles,
    css`
      :host {
        display: grid;
        grid-template-rows: auto auto 1fr;
        height: 100vh;
        height: 100dvh;
      }
      header {
        display: flex;
        align-items: center;
        gap: 0.5rem;
        flex-wrap: wrap;
        padding: 0.4rem max(0.75rem, env(safe-area-inset-left));
        background: var(--surface);
        border-bottom: 1px solid var(--border);
      }
      h1 {
        font-size: 1.05rem;
        margin: 0 0.5rem 0 0;
      }
      @media (max-width: 480px) {
        h1 {
          font-size: 0.95rem;
          margin-right: 0;
        }
        header {
          gap: 0.3rem;
          flex-wrap: nowrap;
        }
        header button {
          padding: 0.3rem 0.5rem;
          white-space: nowrap;
        }
        .status-text {
          position: absolute;
          width: 1px;
          height: 1px;
          overflow: hidden;
          clip: rect(0, 0, 0, 0);
        }
      }
      nav {
        display: flex;
        gap: 0.3rem;
      }
      nav button[aria-current='page'] {
        background: var(--surface-2);
        font-weight: 600;
      }
      .status {
        margin-left: auto;
        font-size: 0.85rem;
        color: var(--muted);
        display: flex;
        align-items: center;
        gap: 0.3rem;
      }
      .dot {
        width: 0.6rem;
        height: 0.6rem;
        border-radius: 50%;
        background: var(--warn);
      }
      .dot.open {
        background: var(--ok);
      }
      .dot.unauthorized,
      .dot.failed {
        background: var(--danger);
      }
      .notices {
        display: grid;
        gap: 0.4rem;
        padding: 0 0.75rem;
      }
      .notices > * {
        margin-top: 0.5rem;
      }
      main {
        min-height: 0;
        overflow: hidden;
      }
      [hidden] {
        display: none !important;
      }
    `,
  ];

  declare env: AppEnvironment;
  declare client: GatewayClient | undefined;
  declare conn: StateChange;
  declare view: 'chat' | 'control';
  declare settingsOpen: boolean;
  declare theme: 'light' | 'dark' | undefined;
  declare approvalsRev: number;
  readonly #approvals = new ApprovalQueue();
  #offs: (() => void)[] = [];
  #pruneTimer: ReturnType<typeof setInterval> | undefined;

  constructor() {
    super();
    this.conn = { state: 'idle' };
    this.view = 'chat';
    this.settingsOpen = false;
    this.approvalsRev = 0;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    const stored = this.env.storage.getItem(THEME_KEY);
    this.theme = stored === 'light' || stored === 'dark' ? stored : undefined;
    this.#applyTheme();
    this.#connect();
    this.#pruneTimer = setInterval(() => {
      if (this.#approvals.prune(Date.now())) this.approvalsRev++;
    }, 5000);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    clearInterval(this.#pruneTimer);
    this.#disconnect();
  }

  #disconnect(): void {
    for (const off of this.#offs.splice(0)) off();
    this.client?.stop();
  }

  /** (Re)create the client for the current URL and token and start it. */
  #connect(): void {
    this.#disconnect();
    const { credentials, ownUrl } = this.env;
    const client = new GatewayClient({
      url: credentials.gatewayUrl ?? ownUrl,
      token: credentials.tokenFor(credentials.gatewayUrl),
      createSocket: (url) => this.env.createSocket(url),
    });
    this.#offs.push(
      client.onState((s) => {
        this.conn = s;
      }),
      client.onEvent((f) => {
        if (this.#approvals.apply(f)) this.approvalsRev++;
      }),
      client.onHello(() => void this.#loadApprovals(client)),
    );
    this.client = client;
    client.start();
  }

  /** Requests made before this page connected (or while it was reconnecting) are listed too. */
  async #loadApprovals(client: GatewayClient): Promise<void> {
    if (!client.supports('exec.approvals.list')) return;
    try {
      const res = await client.request<{ pending: unknown[] }>('exec.approvals.list', {});
      if (client === this.client && this.#approvals.replace(res.pending)) this.approvalsRev++;
    } catch {
      // not allowed or the connection dropped: the events still bring new requests
    }
  }

  #applyTheme(): void {
    if (this.theme) this.env.root.dataset.theme = this.theme;
    else delete this.env.root.dataset.theme;
  }

  get #effectiveTheme(): 'light' | 'dark' {
    return this.theme ?? (this.env.prefersDark() ? 'dark' : 'light');
  }

  #toggleTheme(): void {
    this.theme = this.#effectiveTheme === 'dark' ? 'light' : 'dark';
    this.env.storage.setItem(THEME_KEY, this.theme);
    this.#applyTheme();
  }

  /** Use a token for the page's own gateway (a `#token=` link opened in this tab) and reconnect. */
  useToken(token: string): void {
    this.env.credentials.token = token;
    if (!this.env.credentials.gatewayUrl) this.#connect();
  }

  #signIn(e: CustomEvent<SignInDetail>): void {
    this.env.credentials.setTokenFor(this.env.credentials.gatewayUrl, e.detail.token);
    this.#connect();
    void this.updateComplete.then(() =>
      (this.renderRoot.querySelector('cp-chat') as CpChat | null)?.focusComposer(),
    );
  }

  #settingsChange(e: CustomEvent<SettingsChange>): void {
    this.env.credentials.gatewayUrl = e.detail.gatewayUrl;
    this.settingsOpen = false;
    this.#connect();
  }

  #signOut(): void {
    this.env.credentials.setTokenFor(this.env.credentials.gatewayUrl, undefined);
    this.settingsOpen = false;
    this.#connect();
  }

  #openSession(e: CustomEvent<OpenSessionDetail>): void {
    this.view = 'chat';
    (this.renderRoot.querySelector('cp-chat') as CpChat | null)?.openSession(e.detail.agentId, e.detail.key);
  }

  #renderConnectionNotice() {
    const c = this.conn;
    if (c.state === 'reconnecting') {
      const secs = Math.max(1, Math.round((c.retryInMs ?? 0) / 1000));
      return html`<div class="banner warn" role="status">
        Connection lost (${c.message}). Trying again in ${secs} s; what is on screen stays.
        <button class="small" @click=${() => this.client?.reconnectNow()}>Retry now</button>
      </div>`;
    }
    if (c.state === 'failed') return html`<div class="banner danger" role="alert">${c.message}</div>`;
    return nothing;
  }

  override render() {
    const signedOut = this.conn.state === 'unauthorized';
    const approvals = this.#approvals.list;
    const url = this.env.credentials.gatewayUrl ?? this.env.ownUrl;
    return html`
      <header>
        <h1>Carapace</h1>
        <nav aria-label="Views">
          ${(['chat', 'control'] as const).map(
            (v) =>
              html`<button aria-current=${this.view === v ? 'page' : 'false'} @click=${() => {
                this.view = v;
              }}>${v === 'chat' ? 'Chat' : 'Control'}${v === 'control' && approvals.length ? ` (${approvals.length})` : ''}</button>`,
          )}
        </nav>
        <span class="status" role="status" aria-live="polite" data-state=${this.conn.state}>
          <span class="dot ${this.conn.state}" aria-hidden="true"></span
          ><span class="status-text">${statusText(this.conn)}</span>
        </span>
        <button class="small" aria-label=${`Switch to ${this.#effectiveTheme === 'dark' ? 'light' : 'dark'} theme`}
          @click=${() => this.#toggleTheme()}>${this.#effectiveTheme === 'dark' ? '☀' : '☾'}</button>
        <button class="small" aria-label="Settings" aria-expanded=${this.settingsOpen ? 'true' : 'false'}
          @click=${() => {
            this.settingsOpen = !this.settingsOpen;
          }}>⚙</button>
      </header>
      <div class="notices">
        ${
          this.settingsOpen
            ? html`<cp-settings .ownUrl=${this.env.ownUrl} .gatewayUrl=${this.env.credentials.gatewayUrl ?? ''}
              @settings-change=${(e: CustomEvent<SettingsChange>) => this.#settingsChange(e)}
              @sign-out=${() => this.#signOut()} @close=${() => {
                this.settingsOpen = false;
              }}></cp-settings>`
            : nothing
        }
        ${this.#renderConnectionNotice()}
        ${
          this.view === 'chat' && !signedOut
            ? html`<cp-approvals compact .client=${this.client} .requests=${approvals}
              @approval-resolved=${(e: CustomEvent<{ id: string }>) => {
                this.#approvals.remove(e.detail.id);
                this.approvalsRev++;
              }}></cp-approvals>`
            : nothing
        }
      </div>
      <main @open-session=${(e: CustomEvent<OpenSessionDetail>) => this.#openSession(e)}
        @approval-resolved=${(e: CustomEvent<{ id: string }>) => {
          this.#approvals.remove(e.detail.id);
          this.approvalsRev++;
        }}>
        ${
          signedOut
            ? html`<cp-sign-in .message=${this.conn.message ?? ''} .gatewayUrl=${url}
              @sign-in=${(e: CustomEvent<SignInDetail>) => this.#signIn(e)}></cp-sign-in>`
            : nothing
        }
        <cp-chat .client=${this.client} ?hidden=${signedOut || this.view !== 'chat'}></cp-chat>
        ${
          this.view === 'control' && !signedOut
            ? html`<cp-control .client=${this.client} .approvals=${approvals}></cp-control>`
            : nothing
        }
      </main>
    `;
  }
}
