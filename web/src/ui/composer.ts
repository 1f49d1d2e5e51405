import { css, html, LitElement, nothing, svg } from 'lit';
import { readTextAttachments, type TextAttachment } from '../chat/attachments.js';
import { sharedStyles } from './shared-styles.js';

/** Slash commands the gateway understands when typed as a message. */
export const SLASH_COMMANDS: readonly { name: string; help: string }[] = [
  { name: '/new', help: 'start a new session' },
  { name: '/reset', help: 'reset this session' },
  { name: '/stop', help: 'stop the running reply' },
  { name: '/status', help: 'show the session state' },
  { name: '/model', help: 'show or switch the model (/model provider/model)' },
  { name: '/think', help: 'set thinking (off|minimal|low|medium|high)' },
  { name: '/compact', help: 'compact the conversation now' },
];

const PAPERCLIP = html`<svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true" focusable="false">
  ${svg`<path d="M21 11.5 12.5 20a5 5 0 0 1-7-7L14 4.5a3.5 3.5 0 0 1 5 5L10.5 18a2 2 0 0 1-3-3L15 7.5"
    fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"/>`}
</svg>`;

/** What the composer sends: text and text attachments. */
export interface ComposerSend {
  text: string;
  attachments: TextAttachment[];
}

/**
 * The message box. Enter sends, Shift+Enter adds a line (and Enter while composing with an IME does
 * nothing). Fires `send` (detail: ComposerSend) and `abort`.
 */
export class CpComposer extends LitElement {
  static override properties = {
    running: { type: Boolean },
    attachments: { state: true },
    notes: { state: true },
    text: { state: true },
  };
  static override styles = [
    sharedStyles,
    css`
      :host {
        display: block;
        border-top: 1px solid var(--border);
        background: var(--surface);
        padding: 0.6rem max(0.6rem, env(safe-area-inset-right)) max(0.6rem, env(safe-area-inset-bottom))
          max(0.6rem, env(safe-area-inset-left));
      }
      .box {
        display: flex;
        gap: 0.5rem;
        align-items: flex-end;
      }
      textarea {
        flex: 1;
        resize: none;
        min-height: 2.6rem;
        max-height: 40vh;
        field-sizing: content;
      }
      .chips {
        display: flex;
        flex-wrap: wrap;
        gap: 0.35rem;
        margin-bottom: 0.4rem;
      }
      .chip {
        font-size: 0.85rem;
        background: var(--surface-2);
        border-radius: 999px;
        padding: 0.1rem 0.2rem 0.1rem 0.6rem;
        display: inline-flex;
        align-items: center;
        gap: 0.2rem;
      }
      .chip button {
        min-height: 1.6rem;
        border: none;
        background: transparent;
        padding: 0 0.4rem;
      }
      .hint {
        font-size: 0.82rem;
        color: var(--muted);
        margin: 0 0 0.35rem;
      }
      input[type='file'] {
        display: none;
      }
      button.icon {
        display: inline-flex;
        align-items: center;
        justify-content: center;
        padding: 0.4rem 0.55rem;
      }
    `,
  ];

  declare running: boolean;
  declare attachments: TextAttachment[];
  declare notes: string[];
  declare text: string;

  constructor() {
    super();
    this.running = false;
    this.attachments = [];
    this.notes = [];
    this.text = '';
  }

  /** Put the keyboard focus in the message box. */
  override focus(): void {
    this.renderRoot.querySelector('textarea')?.focus();
  }

  #send(): void {
    const text = this.text.trim();
    if (!text && this.attachments.length === 0) return;
    const detail: ComposerSend = { text, attachments: this.attachments };
    this.dispatchEvent(new CustomEvent<ComposerSend>('send', { detail, bubbles: true, composed: true }));
    this.text = '';
    this.attachments = [];
    this.notes = [];
  }

  #onKey(e: KeyboardEvent): void {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && !e.altKey && !e.ctrlKey && !e.metaKey) {
      e.preventDefault();
      this.#send();
    }
  }

  async #onFiles(e: Event): Promise<void> {
    const input = e.target as HTMLInputElement;
    const files = [...(input.files ?? [])];
    input.value = '';
    const { attachments, refused } = await readTextAttachments(files, this.attachments.length);
    this.attachments = [...this.attachments, ...attachments];
    this.notes = refused;
  }

  #commandHint() {
    if (!this.text.startsWith('/') || this.text.includes('\n')) return nothing;
    const word = this.text.split(/\s/, 1)[0] ?? '';
    const matches = SLASH_COMMANDS.filter((c) => c.name.startsWith(word.toLowerCase()));
    if (matches.length === 0) return nothing;
    return html`<p class="hint" id="cmd-hint">
      ${matches.map((c, i) => html`${i ? ' · ' : ''}<code>${c.name}</code> ${c.help}`)}
    </p>`;
  }

  override render() {
    return html`
      ${
        this.attachments.length
          ? html`<div class="chips" aria-label="Attached files">
            ${this.attachments.map(
              (a, i) => html`<span class="chip"
                >${a.fileName}<button
                  type="button"
                  aria-label=${`Remove ${a.fileName}`}
                  @click=${() => {
                    this.attachments = this.attachments.filter((_, j) => j !== i);
                  }}
                >
                  ×
                </button></span
              >`,
            )}
          </div>`
          : nothing
      }
      ${this.notes.map((n) => html`<p class="hint error" role="status">${n}</p>`)} ${this.#commandHint()}
      <div class="box">
        <button type="button" class="icon" aria-label="Attach text files" title="Attach text files" @click=${() =>
          (this.renderRoot.querySelector('input[type=file]') as HTMLInputElement | null)?.click()}>
          ${PAPERCLIP}
        </button>
        <input type="file" multiple @change=${(e: Event) => void this.#onFiles(e)} tabindex="-1" />
        <label class="sr-only" for="msg">Message</label>
        <span class="sr-only" id="keys">Enter sends, Shift+Enter adds a line, type / for commands.</span>
        <textarea
          id="msg"
          rows="1"
          placeholder="Message"
          aria-describedby="keys cmd-hint"
          .value=${this.text}
          @input=${(e: Event) => {
            this.text = (e.target as HTMLTextAreaElement).value;
          }}
          @keydown=${(e: KeyboardEvent) => this.#onKey(e)}
        ></textarea>
        ${
          this.running
            ? html`<button type="button" class="danger" aria-label="Stop the reply" @click=${() =>
                this.dispatchEvent(new CustomEvent('abort', { bubbles: true, composed: true }))}>
              Stop
            </button>`
            : nothing
        }
        <button type="button" class="primary" aria-label="Send message" @click=${() => this.#send()}>Send</button>
      </div>
    `;
  }
}
