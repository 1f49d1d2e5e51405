import type { SessionsChangedPayload } from '../protocol/index.js';

/** How long `sessions.changed` events are gathered before they go out. */
export const SESSIONS_CHANGED_WINDOW_MS = 50;

/**
 * Gathers `sessions.changed` events for a short window and sends each distinct change once: a turn
 * changes its session two or three times (created, the user message, the reply), and every event is a
 * frame to every client, who only reloads the list (WebChat waits 300 ms for more anyway). A change
 * repeated within the window (same session, id and reason) goes out once, with its latest `ts`, in the
 * order of its last occurrence.
 */
export class SessionsChangedBatcher {
  readonly #pending = new Map<string, SessionsChangedPayload>();
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly send: (payload: SessionsChangedPayload) => void,
    private readonly windowMs = SESSIONS_CHANGED_WINDOW_MS,
  ) {}

  add(payload: SessionsChangedPayload): void {
    const key = `${payload.sessionKey}\u0000${payload.sessionId}\u0000${payload.reason}`;
    this.#pending.delete(key);
    this.#pending.set(key, payload);
    if (this.#timer) return;
    this.#timer = setTimeout(() => this.flush(), this.windowMs);
    this.#timer.unref?.();
  }

  /** Send what is gathered now. */
  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const batch = [...this.#pending.values()];
    this.#pending.clear();
    for (const payload of batch) this.send(payload);
  }
}
