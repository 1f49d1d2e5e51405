/**
 * Agents-together tests: a real gateway with agents `a` and `b` (and more on request) on one fake model
 * server, scripted by route. Each route matches requests (by agent, sub-agent or message text) and answers
 * them in order, so turns that run at the same time in different sessions get the replies meant for them.
 */
import {
  type FakeModelServer,
  type RecordedRequest,
  type ScriptedReply,
  startFakeModelServer,
} from '../fakes/fake-model-server.js';
import { type Harness, startGateway } from '../helpers/gateway-harness.js';
import { connectedClient, type Frame, type TestClient } from '../helpers/ws-client.js';

type Message = { role: string; content?: unknown };

const textOf = (content: unknown): string =>
  typeof content === 'string'
    ? content
    : Array.isArray(content)
      ? content.map((p) => String((p as { text?: unknown }).text ?? '')).join('')
      : '';

const messagesOf = (req: RecordedRequest) => (req.body.messages as Message[] | undefined) ?? [];

/** The system prompt of a request. */
export const systemOf = (req: RecordedRequest) =>
  messagesOf(req)
    .filter((m) => m.role === 'system')
    .map((m) => textOf(m.content))
    .join('\n');

/** The agent a request was made for (from the identity line of its system prompt). */
export const agentOf = (req: RecordedRequest) => /running as agent '([^']+)'/.exec(systemOf(req))?.[1];

/** True for a sub-agent's request. */
export const isSubagent = (req: RecordedRequest) => systemOf(req).includes('You are a sub-agent');

/** The text of the last user message. */
export const lastUser = (req: RecordedRequest) =>
  textOf(
    messagesOf(req)
      .filter((m) => m.role === 'user')
      .at(-1)?.content,
  );

/** Every tool result sent in the request, in order. */
export const toolResults = (req: RecordedRequest) =>
  messagesOf(req)
    .filter((m) => m.role === 'tool')
    .map((m) => textOf(m.content));

/** A reply that calls tools. */
export const calls = (...toolCalls: { name: string; args: Record<string, unknown> }[]): ScriptedReply => ({
  type: 'reply',
  toolCalls: toolCalls.map((c, i) => ({ id: `call_${i + 1}_${c.name}`, ...c })),
});

/** A plain text reply. */
export const say = (text: string): ScriptedReply => ({ type: 'reply', text });

interface Route {
  when: (req: RecordedRequest) => boolean;
  replies: ScriptedReply[];
  /** Requests this route answered. */
  seen: RecordedRequest[];
}

export interface AgentsWorld {
  h: Harness;
  c: TestClient;
  fake: FakeModelServer;
  /** Answer requests matching `when` with `replies`, in order (first matching route with replies left wins). */
  on(when: (req: RecordedRequest) => boolean, ...replies: ScriptedReply[]): Route;
  /** Run a turn through the `agent` method and resolve with its final answer. */
  ask(params: { message: string; agentId?: string; sessionKey?: string }): Promise<Record<string, unknown>>;
  /** Wait for the closing `chat` event of a run in `sessionKey` whose run id starts with `prefix`. */
  chatEnd(sessionKey: string, prefix: string, timeoutMs?: number): Promise<Frame>;
  close(): Promise<void>;
}

let asked = 0;

/** Start the fake model server and a gateway with agents a (default) and b, plus `extra` config. */
export async function startAgents(
  extra: Record<string, unknown> = {},
  agents: string[] = ['a', 'b'],
): Promise<AgentsWorld> {
  const fake = await startFakeModelServer();
  const routes: Route[] = [];
  const step = (req: RecordedRequest): ScriptedReply => {
    const route = routes.find((r) => r.replies.length > 0 && r.when(req));
    if (!route) return say('(unscripted)');
    route.seen.push(req);
    return route.replies.shift()!;
  };
  fake.enqueue(...Array.from({ length: 200 }, () => step));
  const h = await startGateway({
    models: {
      providers: {
        fake: {
          baseUrl: fake.baseUrl,
          api: 'openai-chat',
          apiKey: 'k',
          models: [{ id: 'm', contextWindow: 50_000, maxTokens: 100 }],
        },
      },
      retry: { maxRetries: 0 },
    },
    agents: {
      defaults: { model: 'fake/m' },
      list: agents.map((id, i) => (i === 0 ? { id, default: true } : { id })),
    },
    tools: { allow: ['group:sessions'] },
    ...extra,
  });
  const c = await connectedClient(h.url, h.token);
  return {
    h,
    c,
    fake,
    on(when, ...replies) {
      const route: Route = { when, replies, seen: [] };
      routes.push(route);
      return route;
    },
    async ask(params) {
      const id = `ask-${++asked}`;
      const final = c.waitFor(
        (f) => f.type === 'res' && f.id === id && (f.payload as { status?: string })?.status !== 'accepted',
        20_000,
      );
      c.send({ type: 'req', id, method: 'agent', params: { ...params, idempotencyKey: id } });
      const frame = await final;
      if (!frame.ok) throw new Error(`agent failed: ${JSON.stringify(frame.error)}`);
      return frame.payload as Record<string, unknown>;
    },
    chatEnd(sessionKey, prefix, timeoutMs = 20_000) {
      return c.waitFor((f) => {
        const p = f.payload as { sessionKey?: string; runId?: string; state?: string } | undefined;
        return (
          f.event === 'chat' &&
          p?.sessionKey === sessionKey &&
          (p.runId ?? '').startsWith(prefix) &&
          p.state !== 'delta'
        );
      }, timeoutMs);
    },
    async close() {
      c.close();
      await h.cleanup();
      await fake.close();
    },
  };
}

/** The text the final answer of an `agent` run carries. */
export const finalText = (payload: Record<string, unknown>) =>
  ((payload.result as { payloads?: { text: string }[] } | undefined)?.payloads ?? [])
    .map((p) => p.text)
    .join('');
