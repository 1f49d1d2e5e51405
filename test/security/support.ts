/** Shared pieces of the security battery (test/security). */
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { FakeModelServer } from '../fakes/fake-model-server.js';
import type { TestClient } from '../helpers/ws-client.js';

/** The `models` + `agents` config of a gateway that talks to the fake model server. */
export function fakeModelConfig(fake: FakeModelServer, apiKey: unknown = 'k'): Record<string, unknown> {
  return {
    models: {
      providers: {
        fake: {
          baseUrl: fake.baseUrl,
          api: 'openai-chat',
          apiKey,
          models: [{ id: 'm', contextWindow: 100_000, maxTokens: 1000 }],
        },
      },
      retry: { maxRetries: 0 },
      cooldown: { rateLimitMs: 0, authMs: 0 },
    },
    agents: { defaults: { model: 'fake/m' } },
  };
}

/** Poll `check` until it holds; fail naming `what` after `timeoutMs`. */
export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Wait for the final `agent` response of `runId` on `client`. */
export function finalOf(client: TestClient, runId: string, timeoutMs = 20_000) {
  return client.waitFor(
    (f) =>
      f.type === 'res' &&
      (f.payload as { runId?: string; status?: string } | undefined)?.runId === runId &&
      ['ok', 'error', 'timeout', 'aborted'].includes((f.payload as { status: string }).status),
    timeoutMs,
  );
}

/** A TCP/HTTP listener that records every connection it accepts (SSRF, `?gatewayUrl=`, CSWSH …). */
export interface Recorder {
  port: number;
  url: string;
  connections: string[];
  requests: string[];
  close(): Promise<void>;
}

export async function startRecorder(host = '127.0.0.1'): Promise<Recorder> {
  const connections: string[] = [];
  const requests: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    res.writeHead(200, { 'content-type': 'text/plain' }).end('recorded');
  });
  server.on('connection', (s: Socket) => {
    connections.push(`${s.remoteAddress}:${s.remotePort}`);
    sockets.add(s);
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `http://${host}:${port}`,
    connections,
    requests,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
