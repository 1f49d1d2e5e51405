import { css, html, LitElement, nothing } from 'lit';
import { checkGatewayUrl } from '../client/credentials.js';
import { sharedStyles } from './shared-styles.js';

/** Detail of the `settings-change` event: a new gateway URL (undefined: this page's own). */
export interface SettingsChange {
  gatewayUrl: string | undefined;
}

/**
 * Connection settings: the gateway URL (blank means the gateway that served this page; only a URL typed
 * here is ever used otherwise) and signing out (forgets the stored token). Fires `settings-change`,
 * `sign-out` and `close`.
 */
export class CpSettings extends LitElement {
  static override properties = {
    gatewayUrl: { type: String },
    ownUrl: { type: String },
    problem: { state: true },
  };
  static override styles = [
    sharedStyles,
    css`
      :host {
        display: block;
        padding: 0.75rem;
      }
      .card {
        max-width: 40rem;
        margin: 0 auto;
        display: grid;
        gap: 0.6rem;
      }
      input {
        width: 100%;
      }
    `,
  ];

  declare gatewayUrl: string;
  declare ownUrl: string;
  declare problem: string;

  constructor() {
    super();
    this.gatewayUrl = '';
    this.ownUrl = '';
    this.problem = '';
  }

  #fire(name: string, detail?: unknown): void {
    this.dispatchEvent(new CustomEvent(name, { detail, bubbles: true, composed: true }));
  }

  #save(e: Event): void {
    e.preventDefault();
    const value = (this.renderRoot.querySelector('#gw-url') as HTMLInputElement).value.trim();
    if (!value) {
      this.#fire('settings-change', { gatewayUrl: undefined } satisfies SettingsChange);
      return;
    }
    const checked = checkGatewayUrl(value);
    if (!checked.ok) {
      this.problem = checked.message;
      return;
    }
    this.problem = '';
    this.#fire('settings-change', { gatewayUrl: checked.url } satisfies SettingsChange);
  }

  override render() {
    return html`<form class="card" @submit=${(e: Event) => this.#save(e)} aria-labelledby="settings-h">
      <h2 id="settings-h">Settings</h2>
      <label for="gw-url">Gateway URL (leave empty for this page's gateway, ${this.ownUrl})</label>
      <input id="gw-url" type="url" inputmode="url" spellcheck="false" placeholder=${this.ownUrl} .value=${this.gatewayUrl} />
      ${this.problem ? html`<p class="error" role="alert">${this.problem}</p>` : nothing}
      <div class="row">
        <button class="primary" type="submit">Save and reconnect</button>
        <button type="button" class="danger" @click=${() => this.#fire('sign-out')}>Sign out (forget token)</button>
        <button type="button" @click=${() => this.#fire('close')}>Close</button>
      </div>
    </form>`;
  }
}
