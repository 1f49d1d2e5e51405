import { hasScope, type StateVersion } from '../protocol/index.js';
import type { Connection } from './connection.js';
import { presenceOf } from './views.js';

/** A listener of every gateway event (in-process subscribers: HTTP streams, channels). */
export type EventListener = (event: string, payload: unknown) => void;

/**
 * The gateway's event fan-out: in-process listeners and every authenticated connection (each with its
 * own seq), the `stateVersion` counters, and who is connected now (`presence`).
 */
export class GatewayEvents {
  readonly stateVersion: StateVersion = { presence: 0, health: 0 };
  readonly #listeners = new Set<EventListener>();

  /** `connections` lists the transport's connections (read on each broadcast). */
  constructor(private readonly connections: () => Iterable<Connection>) {}

  /** Listen to every event the gateway broadcasts; returns the unsubscribe. */
  onEvent(listener: EventListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Send an event to every authenticated connection (each with its own seq). */
  broadcast(event: string, payload: unknown, withStateVersion = false): void {
    const sv = withStateVersion ? { ...this.stateVersion } : undefined;
    for (const listener of this.#listeners) listener(event, payload);
    // Liveness events go to every client; everything else needs at least read scope.
    const open = event === 'tick' || event === 'shutdown';
    for (const conn of this.connections()) {
      if (conn.phase === 'open' && (open || hasScope(conn.scopes, 'operator.read')))
        conn.event(event, payload, sv);
    }
  }

  /** The authenticated connections, as `presence` entries. */
  presence() {
    const out = [];
    for (const c of this.connections()) if (c.phase === 'open') out.push(presenceOf(c));
    return out;
  }

  /** Someone connected or left: bump `stateVersion.presence` and tell everyone. */
  presenceChanged(): void {
    this.stateVersion.presence++;
    this.broadcast('presence', { presence: this.presence() }, true);
  }
}
