import { css, html, LitElement, nothing } from 'lit';
import { sharedStyles } from './shared-styles.js';

/** Detail of the `sign-in` event. */
export interface SignInDetail {
  token: string;
}

/**
 * Asks for the gateway token once (it is kept in this browser's localStorage). Shows why the gateway
 * refused the last attempt. Fires `sign-in`.
 */
export class CpSignIn extends LitElement {
  static override properties = {
    message: { type: String },
    gatewayUrl: { type: String },
  };
  static override styles = [
    sharedStyles,
    css`
      :host {
        display: block;
        padding: 1rem;
      }
      form {
        max-width: 30rem;
        margin: 2rem auto;
        display: grid;
        gap: 0.75rem;
      }
      input {
        width: 100%;
      }
    `,
  ];

  declare message: string;
  declare gatewayUrl: string;

  constructor() {
    super();
    this.message = '';
    this.gatewayUrl = '';
  }

  override firstUpdated(): void {
    this.renderRoot.querySelector('input')?.focus();
  }

  #submit(e: Event): void {
    e.preventDefault();
    const input = this.renderRoot.querySelector('input') as HTMLInputElement;
    const token = input.value.trim();
    if (!token) return;
    input.value = '';
    this.dispatchEvent(
      new CustomEvent<SignInDetail>('sign-in', { detail: { token }, bubbles: true, composed: true }),
    );
  }

  override render() {
    return html`<form class="card" @submit=${(e: Event) => this.#submit(e)} aria-labelledby="signin-h">
      <h2 id="signin-h">Sign in to the gateway</h2>
      <p class="muted">
        Paste the gateway token. It is in <code>credentials/gateway-token</code> of the gateway's state directory
        (<code>~/.carapace</code> by default). This browser keeps it, so you paste it only once.
      </p>
      ${this.message ? html`<p class="error" role="alert">${this.message}</p>` : nothing}
      <label for="token">Gateway token</label>
      <input id="token" type="password" autocomplete="current-password" spellcheck="false" required />
      <div class="row">
        <button class="primary" type="submit">Connect</button>
        <span class="muted">to ${this.gatewayUrl}</span>
      </div>
    </form>`;
  }
}
