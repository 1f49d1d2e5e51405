import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IdempotencyStore } from '../../src/gateway/index.js';
import { scanFormats } from '../../src/ops/index.js';
import { Inbox } from '../../src/sessions/index.js';
import { systemClock } from '../../src/shared/index.js';
import { createExecApprovalsStore } from '../../src/tools/index.js';

// Cross-folder: the formats ops pins (src/ops/formats.ts) against files written by their real writers.

describe('persisted formats pinned in ops match their writers', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'carapace-formats-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('files written by the real stores read as ok', async () => {
    const approvals = createExecApprovalsStore({ path: join(dir, 'exec-approvals.json') });
    await approvals.add({ argv: ['ls'], match: 'exact', agentId: 'main' });
    await mkdir(join(dir, 'gateway'));
    const inbox = new Inbox<{ text: string }>({ file: join(dir, 'gateway', 'inbox.jsonl') });
    await inbox.start();
    await inbox.accept({ text: 'hi' });
    await inbox.stop();
    const idempotency = await IdempotencyStore.open(join(dir, 'gateway', 'idempotency.jsonl'), {
      ttlMs: 60_000,
      maxEntries: 10,
      clock: systemClock,
    });
    await idempotency.start('agent', 'k1', 'hash');
    await idempotency.flush();
    const files = await scanFormats(dir);
    expect(files.map((f) => [f.format, f.status, f.version])).toEqual([
      ['inbox', 'ok', 1],
      ['idempotency records', 'ok', 1],
      ['exec approvals', 'ok', 1],
    ]);
  });
});
