import { html, LitElement, type PropertyDeclarations, type TemplateResult } from 'lit';
import { describeError, isConnectionFailure, isUnknownMethod } from '../../client/errors.js';
import type { GatewayClient } from '../../client/gateway-client.js';
import type { EventFrame } from '../../protocol.js';
import { GatewayLink } from '../gateway-link.js';

/** "X is not available on this gateway": for methods the gateway does not implement. */
export function unavailable(what: string, method: string): TemplateResult {
  return html`<p class="muted" data-unavailable>
    ${what} is not available on this gateway (it does not implement <code>${method}</code>).
  </p>`;
}

/**
 * A Control panel: loads on every handshake, reacts to events, and treats a method the gateway lacks
 * (absent from `features.methods`, or answered with UNKNOWN_METHOD) as "not available", never as a crash.
 */
export abstract class PanelBase extends LitElement {
  static override properties: PropertyDeclarations = {
    client: { attribute: false },
    error: { state: true },
    loaded: { state: true },
  };

  declare client: GatewayClient | undefined;
  declare error: string;
  declare loaded: boolean;
  readonly #missing = new Set<string>();

  constructor() {
    super();
    this.error = '';
    this.loaded = false;
    new GatewayLink(this, {
      hello: () => void this.reload(),
      event: (f) => this.onGatewayEvent(f),
    });
  }

  /** Fetch what the panel shows. */
  protected abstract refresh(): Promise<void>;

  /** Override to react to events (refresh on change). */
  protected onGatewayEvent(_frame: EventFrame): void {}

  /** Reload now (after an action, or on the Refresh button). */
  async reload(): Promise<void> {
    this.error = '';
    await this.refresh();
    this.loaded = true;
  }

  /** True when the gateway implements `method`. */
  protected supports(method: string): boolean {
    return (this.client?.supports(method) ?? false) && !this.#missing.has(method);
  }

  /** Call a method; errors become the panel's message, UNKNOWN_METHOD marks it unavailable. */
  protected async call<T>(method: string, params: unknown = {}): Promise<T | undefined> {
    if (!this.client) return undefined;
    try {
      return await this.client.request<T>(method, params);
    } catch (err) {
      if (isUnknownMethod(err)) {
        this.#missing.add(method);
        this.requestUpdate();
      } else if (!isConnectionFailure(err)) this.error = `${method}: ${describeError(err)}`;
      return undefined;
    }
  }

  protected renderError(): TemplateResult | string {
    return this.error ? html`<p class="error" role="alert">${this.error}</p>` : '';
  }
}
