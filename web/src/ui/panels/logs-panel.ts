import { css, html, nothing } from 'lit';
import type { LogsTailResult } from '../../protocol.js';
import { parseLogLine } from '../format.js';
import { sharedStyles } from '../shared-styles.js';
import { PanelBase, unavailable } from './panel-base.js';

const KEEP = 1000;
const POLL_MS = 2000;

/**
 * A live tail of the gateway's log (`logs.tail`): the last lines first, then only what is new after the
 * cursor, every 2 s while the panel is on screen and "Follow" is on.
 */
export class CpLogsPanel extends PanelBase {
  static override properties = {
    lines: { state: true },
    follow: { state: true },
  };
  static override styles = [
    sharedStyles,
    css`
      .tail {
        max-height: 60vh;
        overflow: auto;
        background: var(--code-bg);
        border-radius: 8px;
        padding: 0.5rem;
        font-family: var(--mono);
        font-size: 0.8rem;
        margin: 0;
      }
      .line {
        white-space: pre-wrap;
        word-break: break-word;
      }
      .WARN {
        color: var(--warn);
      }
      .ERROR,
      .FATAL {
        color: var(--danger);
      }
    `,
  ];

  declare lines: string[];
  declare follow: boolean;
  #cursor: number | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #polling = false;

  constructor() {
    super();
    this.lines = [];
    this.follow = true;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.#schedule();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    clearTimeout(this.#timer);
  }

  #schedule(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(async () => {
      if (this.follow && this.client?.state === 'open' && !this.#polling) await this.refresh();
      if (this.isConnected) this.#schedule();
    }, POLL_MS);
  }

  protected override async refresh(): Promise<void> {
    if (!this.supports('logs.tail')) return;
    this.#polling = true;
    try {
      const params = this.#cursor === undefined ? { limit: 200 } : { cursor: this.#cursor };
      const res = await this.call<LogsTailResult>('logs.tail', params);
      if (!res) return;
      this.#cursor = res.cursor;
      if (res.reset) this.lines = [];
      if (res.lines.length) this.lines = [...this.lines, ...res.lines].slice(-KEEP);
    } finally {
      this.#polling = false;
    }
  }

  protected override updated(): void {
    const tail = this.renderRoot.querySelector('.tail');
    if (tail && this.follow) tail.scrollTop = tail.scrollHeight;
  }

  override render() {
    if (!this.supports('logs.tail')) {
      return html`<section class="card"><h2>Logs</h2>${unavailable('The log tail', 'logs.tail')}</section>`;
    }
    return html`<section class="card" aria-labelledby="logs-h">
      <div class="row spread">
        <h2 id="logs-h">Gateway log</h2>
        <label class="row"
          ><input
            type="checkbox"
            .checked=${this.follow}
            @change=${(e: Event) => {
              this.follow = (e.target as HTMLInputElement).checked;
            }}
          />
          Follow</label
        >
      </div>
      ${this.renderError()}
      <div class="tail" role="log" aria-label="Gateway log lines" tabindex="0">
        ${this.lines.length === 0 ? html`<div class="muted">No log lines yet.</div>` : nothing}
        ${this.lines.map((l) => {
          const p = parseLogLine(l);
          return html`<div class="line ${p.level}">${p.time} ${p.level} ${p.msg} <span class="muted">${p.rest}</span></div>`;
        })}
      </div>
    </section>`;
  }
}
