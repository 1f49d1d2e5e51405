import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawnCli } from '../helpers/cli.js';
import { tempStateDir } from '../helpers/gateway-harness.js';
import { connectedClient } from '../helpers/ws-client.js';

function collect(stream: NodeJS.ReadableStream | null) {
  let text = '';
  stream?.on('data', (d) => {
    text += d.toString();
  });
  return () => text;
}

async function waitFor(pred: () => boolean, what: string, ms = 10_000) {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('carapace gateway run (a real process)', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`drains on ${signal}: clients get shutdown + 1012, the process exits 0, the lock is released`, async () => {
      const stateDir = await tempStateDir();
      const child = spawnCli(['gateway', 'run', '--state-dir', stateDir, '--port', '0']);
      const out = collect(child.stdout);
      const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
      await waitFor(() => /ws:\/\/127\.0\.0\.1:\d+/.test(out()), 'the banner');
      const url = /ws:\/\/127\.0\.0\.1:\d+/.exec(out())?.[0] ?? '';
      const token = (await readFile(join(stateDir, 'credentials', 'gateway-token'), 'utf8')).trim();
      const client = await connectedClient(url, token);
      child.kill(signal);
      expect((await client.closed).code).toBe(1012);
      expect(client.events('shutdown')[0]?.payload).toMatchObject({ reason: `received ${signal}` });
      expect(await exited).toBe(0);
      await expect(stat(join(stateDir, 'gateway.lock'))).rejects.toMatchObject({ code: 'ENOENT' });
    });
  }

  it('refuses to start on an invalid config, lists every problem with its path, and changes nothing', async () => {
    const stateDir = await tempStateDir();
    const text = "{ gateway: { port: 'x', bnd: 'lan' }, logging: { level: 'shout' } }";
    await writeFile(join(stateDir, 'carapace.json'), text);
    const child = spawnCli(['gateway', 'run', '--state-dir', stateDir]);
    const err = collect(child.stderr);
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    expect(code).toBe(1);
    for (const path of ['gateway.port', 'gateway.bnd', 'logging.level']) expect(err()).toContain(path);
    expect(err()).toContain("did you mean 'bind'");
    expect(await readFile(join(stateDir, 'carapace.json'), 'utf8')).toBe(text);
    await expect(stat(join(stateDir, 'gateway.lock'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
