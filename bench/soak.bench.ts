// Soak: a gateway process answers 100,000 messages spread over 1,000 sessions with an instant fake model,
// printing its RSS every 10,000 messages. `npm run bench -- soak`; SOAK_MESSAGES=20000 for a shorter run,
// SOAK_SESSIONS and SOAK_IN_FLIGHT to change the spread and the concurrency.
import { rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import {
  type BenchClient,
  firstHealth,
  freePort,
  instantModelConfig,
  rssKb,
  startGatewayProcess,
  stopProcess,
  tempDir,
} from './lib.js';

const MESSAGES = Number(process.env.SOAK_MESSAGES ?? 100_000);
const SESSIONS = Number(process.env.SOAK_SESSIONS ?? 1000);
const IN_FLIGHT = Number(process.env.SOAK_IN_FLIGHT ?? 64);
const EVERY = 10_000;

/** An OpenAI Chat Completions server that answers every request at once with a short SSE reply. */
async function instantModel(): Promise<{ baseUrl: string; requests: () => number; close(): Promise<void> }> {
  let requests = 0;
  const base = { id: 'chatcmpl-soak', object: 'chat.completion.chunk', created: 1_700_000_000, model: 'm' };
  const chunk = (body: unknown) => `data: ${JSON.stringify(body)}\n\n`;
  const body =
    chunk({
      ...base,
      choices: [{ index: 0, delta: { role: 'assistant', content: 'ok' }, finish_reason: null }],
    }) +
    chunk({ ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] }) +
    chunk({ ...base, choices: [], usage: { prompt_tokens: 10, completion_tokens: 1, total_tokens: 11 } }) +
    'data: [DONE]\n\n';
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    requests++;
    req.resume();
    req.once('end', () => {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests: () => requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Sends `agent` requests and resolves each with its final status (the second response to the id). */
function finals(client: BenchClient) {
  const waiting = new Map<string, (status: string) => void>();
  client.ws.on('message', (data) => {
    const text = data.toString();
    if (!text.startsWith('{"type":"res"')) return; // events are most of the traffic: skip them cheaply
    const f = JSON.parse(text) as { id: string; ok: boolean; payload?: { status?: string } };
    if (!f.ok) waiting.get(f.id)?.('error');
    else if (f.payload?.status !== 'accepted') waiting.get(f.id)?.(f.payload?.status ?? 'unknown');
  });
  let n = 0;
  return (sessionKey: string, message: string): Promise<string> => {
    const id = `s${++n}`;
    return new Promise((resolve) => {
      waiting.set(id, (status) => {
        waiting.delete(id);
        resolve(status);
      });
      client.ws.send(
        JSON.stringify({
          type: 'req',
          id,
          method: 'agent',
          params: { message, sessionKey, idempotencyKey: `soak-${id}` },
        }),
      );
    });
  };
}

const mb = (kb: number) => `${(kb / 1024).toFixed(1)} MB`;

export async function benchSoak(): Promise<Record<string, string>> {
  const model = await instantModel();
  const stateDir = await tempDir('carapace-soak-');
  const config = { ...instantModelConfig(model.baseUrl), session: { reset: { mode: 'off' } } };
  await writeFile(join(stateDir, 'carapace.json'), JSON.stringify(config), { mode: 0o600 });
  const port = await freePort();
  const child = startGatewayProcess(stateDir, port);
  const client = await firstHealth(stateDir, port, 30_000);
  const send = finals(client);
  const pid = child.pid ?? 0;

  console.log(
    `  soak: ${MESSAGES} messages over ${SESSIONS} sessions, ${IN_FLIGHT} in flight (state ${stateDir})`,
  );
  const checkpoints: { at: number; rssKb: number; seconds: number }[] = [
    { at: 0, rssKb: await rssKb(pid), seconds: 0 },
  ];
  console.log(`  soak:        0 messages  RSS ${mb(checkpoints[0]!.rssKb)}`);
  const t0 = performance.now();
  let next = 0;
  let done = 0;
  let failed = 0;
  let reporting = Promise.resolve();
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= MESSAGES) return;
      const status = await send(`agent:main:dm:soak-${i % SESSIONS}`, `message ${i}`);
      if (status !== 'ok') failed++;
      done++;
      if (done % EVERY === 0) {
        const at = done;
        reporting = reporting.then(async () => {
          const seconds = (performance.now() - t0) / 1000;
          const rss = await rssKb(pid);
          checkpoints.push({ at, rssKb: rss, seconds });
          console.log(
            `  soak: ${String(at).padStart(8)} messages  RSS ${mb(rss)}  ${seconds.toFixed(0)} s  ${(at / seconds).toFixed(0)} msg/s  failed ${failed}`,
          );
        });
      }
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  await reporting;
  const seconds = (performance.now() - t0) / 1000;
  await new Promise((r) => setTimeout(r, 2000));
  const settled = await rssKb(pid);
  client.close();
  await stopProcess(child);
  await model.close();
  await rm(stateDir, { recursive: true, force: true });

  const after = checkpoints.slice(1);
  const first = after[0] ?? checkpoints[0]!;
  const last = after[after.length - 1] ?? first;
  const peak = Math.max(...after.map((c) => c.rssKb), first.rssKb);
  return {
    messages: `${MESSAGES} over ${SESSIONS} sessions (${IN_FLIGHT} in flight), ${failed} not ok, ${model.requests()} model requests`,
    time: `${seconds.toFixed(0)} s, ${(MESSAGES / seconds).toFixed(1)} msg/s`,
    'RSS at start / after the first 10,000 / at the end': `${mb(checkpoints[0]!.rssKb)} / ${mb(first.rssKb)} / ${mb(last.rssKb)}`,
    'RSS growth after the first 10,000 (target ≤ 50 MB)': `${mb(last.rssKb - first.rssKb)} (peak ${mb(peak)}, 2 s after the end ${mb(settled)})`,
    'RSS every 10,000': after.map((c) => mb(c.rssKb).replace(' MB', '')).join(', '),
  };
}
