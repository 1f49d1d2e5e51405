import type { AgentEvent, AgentRunResult } from '../../agent/index.js';

export type Broadcast = (event: 'agent' | 'chat', payload: Record<string, unknown>) => void;

/**
 * Turns one run's AgentEvents into the protocol's `agent` events (per-run `seq` from 1) and `chat` events
 * (their own per-run `seq`): deltas while the assistant speaks, then exactly one of final / aborted / error.
 */
export class RunEvents {
  #agentSeq = 0;
  #chatSeq = 0;
  #text = '';
  #ended = false;
  #started = false;

  constructor(
    readonly runId: string,
    readonly sessionKey: string,
    readonly agentId: string,
    private readonly broadcast: Broadcast,
  ) {}

  agent(ev: AgentEvent): void {
    if (ev.stream === 'model') return; // retries and failovers are logged, not a protocol stream
    // The gateway announced the start when the turn began; the loop's own start would be a second one.
    if (ev.stream === 'lifecycle' && ev.data.phase === 'start' && this.#started) return;
    this.broadcast('agent', {
      runId: this.runId,
      seq: ++this.#agentSeq,
      stream: ev.stream,
      ts: ev.ts,
      data: ev.data,
      sessionKey: this.sessionKey,
      agentId: this.agentId,
    });
    if (ev.stream === 'assistant' && ev.data.delta) {
      this.#text = ev.data.text;
      this.#chat('delta', {
        deltaText: ev.data.delta,
        message: { role: 'assistant', content: [{ type: 'text', text: ev.data.text }] },
      });
    }
  }

  /** A lifecycle event the gateway makes itself (a run that never reached the model). */
  lifecycle(data: Record<string, unknown>): void {
    if (data.phase === 'start') this.#started = true;
    this.broadcast('agent', {
      runId: this.runId,
      seq: ++this.#agentSeq,
      stream: 'lifecycle',
      ts: Date.now(),
      data,
      sessionKey: this.sessionKey,
      agentId: this.agentId,
    });
  }

  /** The closing `chat` event for the run. Sent once. */
  end(
    result: Pick<AgentRunResult, 'stopReason' | 'text' | 'usage'> & {
      error?: { kind: string; message: string } | undefined;
    },
  ): void {
    if (this.#ended) return;
    this.#ended = true;
    const text = result.text || this.#text;
    const message = { role: 'assistant', content: [{ type: 'text', text }] };
    if (result.stopReason === 'error') {
      this.#chat('error', {
        errorMessage: result.error?.message ?? 'the run failed',
        errorKind: result.error?.kind ?? 'internal',
        message,
      });
    } else if (result.stopReason === 'aborted' || result.stopReason === 'timeout') {
      this.#chat('aborted', { stopReason: result.stopReason, message });
    } else {
      this.#chat('final', { message, stopReason: result.stopReason, usage: result.usage });
    }
  }

  #chat(state: string, extra: Record<string, unknown>): void {
    this.broadcast('chat', {
      runId: this.runId,
      sessionKey: this.sessionKey,
      seq: ++this.#chatSeq,
      state,
      ...extra,
    });
  }
}
