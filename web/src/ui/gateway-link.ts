import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { GatewayClient, StateChange } from '../client/gateway-client.js';
import type { EventFrame, HelloOk } from '../protocol.js';

/** A component that talks to the gateway through its `client` property. */
export interface LinkHost extends ReactiveControllerHost {
  client: GatewayClient | undefined;
}

export interface LinkHandlers {
  event?(frame: EventFrame): void;
  /** After each handshake, and at once when bound to a client that is already open. */
  hello?(hello: HelloOk): void;
  state?(change: StateChange): void;
}

/**
 * Subscribes a component to its client's events while it is in the document, and re-subscribes when
 * the `client` property changes (new credentials or gateway URL make a new client).
 */
export class GatewayLink implements ReactiveController {
  #bound: GatewayClient | undefined;
  #off: (() => void)[] = [];
  #connected = false;

  constructor(
    private readonly host: LinkHost,
    private readonly handlers: LinkHandlers,
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    this.#connected = true;
    this.#bind();
  }

  hostUpdate(): void {
    if (this.#connected && this.host.client !== this.#bound) this.#bind();
  }

  hostDisconnected(): void {
    this.#connected = false;
    this.#unbind();
  }

  #bind(): void {
    this.#unbind();
    const client = this.host.client;
    this.#bound = client;
    if (!client) return;
    const h = this.handlers;
    if (h.event) this.#off.push(client.onEvent((f) => h.event?.(f)));
    if (h.hello) this.#off.push(client.onHello((x) => h.hello?.(x)));
    if (h.state) this.#off.push(client.onState((s) => h.state?.(s)));
    if (client.state === 'open' && client.hello) {
      queueMicrotask(() => {
        if (this.#bound === client && client.hello) h.hello?.(client.hello);
      });
    }
  }

  #unbind(): void {
    for (const off of this.#off.splice(0)) off();
    this.#bound = undefined;
  }
}
