import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';

export const ROOT = new URL('..', import.meta.url).pathname;
export const CLI = join(ROOT, 'dist', 'cli', 'main.js');

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}
export const median = (values: number[]) => percentile(values, 50);
export const fmt = (ms: number, digits = 1) => `${ms.toFixed(digits)} ms`;

export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

export async function tempDir(prefix = 'carapace-bench-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export function startGatewayProcess(stateDir: string, port: number): ChildProcess {
  return spawn(process.execPath, [CLI, 'gateway', 'run', '--state-dir', stateDir, '--port', String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CARAPACE_STATE_DIR: stateDir },
  });
}

export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

export function rssKb(pid: number): Promise<number> {
  return readFile(`/proc/${pid}/status`, 'utf8').then((s) =>
    Number(/VmRSS:\s+(\d+)/.exec(s)?.[1] ?? Number.NaN),
  );
}

/** A minimal protocol client: connect with the token, then sequential requests. */
export class BenchClient {
  #pending = new Map<string, (f: { ok: boolean; payload?: unknown }) => void>();
  #n = 0;
  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const f = JSON.parse(data.toString());
      if (f.type === 'res') this.#pending.get(f.id)?.(f);
    });
  }

  static async connect(url: string, token: string): Promise<BenchClient> {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    const client = new BenchClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('error', reject);
      ws.on('message', (data) => {
        const f = JSON.parse(data.toString());
        if (f.event === 'connect.challenge') {
          ws.send(
            JSON.stringify({
              type: 'req',
              id: 'c',
              method: 'connect',
              params: {
                minProtocol: 3,
                maxProtocol: 4,
                client: { id: 'cli', version: 'bench', platform: process.platform, mode: 'cli' },
                auth: { token },
              },
            }),
          );
        } else if (f.id === 'c') {
          if (f.ok) resolve();
          else reject(new Error(f.error?.message));
        }
      });
    });
    return client;
  }

  call(method: string, params?: unknown): Promise<{ ok: boolean; payload?: unknown }> {
    const id = `b${++this.#n}`;
    return new Promise((resolve) => {
      this.#pending.set(id, (f) => {
        this.#pending.delete(id);
        resolve(f);
      });
      this.ws.send(
        JSON.stringify(
          params === undefined ? { type: 'req', id, method } : { type: 'req', id, method, params },
        ),
      );
    });
  }

  close(): void {
    this.ws.close();
  }
}

/** The gateway's token, from its state dir's token file. */
export async function gatewayToken(stateDir: string): Promise<string> {
  return (await readFile(join(stateDir, 'credentials', 'gateway-token'), 'utf8')).trim();
}

/** Connect as soon as the port accepts and the token file exists; resolve after the first health answer. */
export async function firstHealth(stateDir: string, port: number, deadlineMs = 10_000): Promise<BenchClient> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    try {
      const token = await gatewayToken(stateDir);
      const client = await BenchClient.connect(`ws://127.0.0.1:${port}`, token);
      const res = await client.call('health');
      if (res.ok) return client;
      client.close();
    } catch {
      // not up yet
    }
    if (Date.now() > end) throw new Error('gateway did not answer health in time');
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** A config whose only model is `fake/m`, an OpenAI Chat Completions server at `baseUrl` (the instant models). */
export function instantModelConfig(baseUrl: string) {
  return {
    models: {
      providers: {
        fake: {
          baseUrl,
          api: 'openai-chat',
          apiKey: 'k',
          models: [{ id: 'm', contextWindow: 1_000_000, maxTokens: 100 }],
        },
      },
    },
    agents: { defaults: { model: 'fake/m' } },
  };
}
