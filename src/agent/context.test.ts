import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { assembleContext, type ContextInput, formatDateTime } from './context.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'carapace-ws-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const NOW = Date.parse('2030-03-05T14:07:00Z');

function input(extra: Partial<ContextInput> = {}): ContextInput {
  return {
    workspaceDir: dir,
    readFile: (p) => readFile(p, 'utf8'),
    session: { main: true, heartbeat: false },
    identity: { agentId: 'main', name: 'Molty' },
    tools: [{ name: 'read', description: 'Read a file' }],
    skills: [{ name: 'weather', description: 'Look up the weather', location: 'skills/weather/SKILL.md' }],
    now: NOW,
    timeZone: 'Europe/Berlin',
    runtime: { model: 'openai/gpt-4.1', channel: 'telegram', thinking: 'low' },
    ...extra,
  };
}

describe('assembleContext', () => {
  it('builds the fixed sections in order and reports each part', async () => {
    await writeFile(join(dir, 'AGENTS.md'), 'Be careful.\r\n');
    await writeFile(join(dir, 'SOUL.md'), 'Warm and brief.');
    await writeFile(join(dir, 'MEMORY.md'), 'The user likes tea.');
    await writeFile(join(dir, 'HEARTBEAT.md'), 'Check mail.');
    const r = await assembleContext(input({ extraSystemPrompt: 'Answer in French.' }));
    expect(r.sections.map((s) => s.name)).toEqual([
      'identity',
      'tools',
      'skills',
      'workspace',
      'datetime',
      'runtime',
      'extra',
    ]);
    expect(r.sections.reduce((n, s) => n + s.chars, 0) + 2 * (r.sections.length - 1)).toBe(r.chars);
    expect(r.systemPrompt).toContain("You are Molty, running as agent 'main'");
    expect(r.systemPrompt).toContain('- read: Read a file');
    expect(r.systemPrompt).toContain('- weather: Look up the weather (skills/weather/SKILL.md)');
    expect(r.systemPrompt).toContain('### AGENTS.md\nBe careful.');
    expect(r.systemPrompt).toContain('### MEMORY.md\nThe user likes tea.');
    expect(r.systemPrompt).not.toContain('Check mail.');
    expect(r.systemPrompt).toContain('Tuesday, 2030-03-05 15:07 (Europe/Berlin, GMT+01:00)');
    expect(r.systemPrompt).toContain('agent=main | model=openai/gpt-4.1 | channel=telegram | thinking=low');
    expect(r.systemPrompt.indexOf('## Tools')).toBeLessThan(r.systemPrompt.indexOf('## Workspace'));
    expect(r.files.map((f) => [f.name, f.status])).toEqual([
      ['AGENTS.md', 'included'],
      ['SOUL.md', 'included'],
      ['USER.md', 'missing'],
      ['IDENTITY.md', 'missing'],
      ['TOOLS.md', 'missing'],
      ['MEMORY.md', 'included'],
      ['HEARTBEAT.md', 'skipped'],
    ]);
    expect(r.estimatedTokens).toBe(Math.ceil(r.chars / 4));
  });

  it('keeps MEMORY.md out of other sessions and brings HEARTBEAT.md into heartbeat runs', async () => {
    await writeFile(join(dir, 'MEMORY.md'), 'private');
    await writeFile(join(dir, 'HEARTBEAT.md'), 'Check mail.');
    const r = await assembleContext(input({ session: { main: false, heartbeat: true } }));
    expect(r.systemPrompt).not.toContain('private');
    expect(r.systemPrompt).toContain('### HEARTBEAT.md\nCheck mail.');
    expect(r.files.find((f) => f.name === 'MEMORY.md')).toMatchObject({
      status: 'skipped',
      reason: 'only in the main session',
    });
  });

  it('caps each file and the total, with visible markers', async () => {
    await writeFile(join(dir, 'AGENTS.md'), 'a'.repeat(500));
    await writeFile(join(dir, 'SOUL.md'), 's'.repeat(300));
    await writeFile(join(dir, 'USER.md'), 'u'.repeat(100));
    const r = await assembleContext(input({ fileMaxChars: 400, totalMaxChars: 600 }));
    expect(r.files.slice(0, 3)).toMatchObject([
      { name: 'AGENTS.md', status: 'truncated', chars: 500, includedChars: 400 },
      { name: 'SOUL.md', status: 'truncated', chars: 300, includedChars: 200 },
      { name: 'USER.md', status: 'skipped', chars: 100, includedChars: 0 },
    ]);
    expect(r.systemPrompt).toContain(
      '…[truncated: AGENTS.md has 500 characters; only the first 400 are shown.',
    );
    expect(r.systemPrompt).toContain(
      '…[omitted: the budget of 600 characters for workspace files is used up; read USER.md',
    );
    expect(r.systemPrompt).not.toContain('a'.repeat(401));
  });

  it('says how many skills the list budget left out', async () => {
    const r = await assembleContext(input({ skillsOmitted: 3 }));
    expect(r.systemPrompt).toContain(
      '(skills/weather/SKILL.md)\n…[3 more skills not listed: the skills list budget is used up]',
    );
    const none = await assembleContext(input({ skills: [], skillsOmitted: 1 }));
    expect(none.systemPrompt).toContain('…[1 more skill not listed');
    expect(none.systemPrompt).not.toContain('No skills are installed');
  });

  it('shows each minute, in each time zone, also when asked again within the minute', () => {
    expect(formatDateTime(NOW, 'UTC')).toMatch(/^Tuesday, 2030-03-05 14:07 \(UTC, GMT/);
    expect(formatDateTime(NOW + 59_999, 'UTC')).toMatch(/ 14:07 \(UTC/);
    expect(formatDateTime(NOW + 60_000, 'UTC')).toMatch(/ 14:08 \(UTC/);
    expect(formatDateTime(NOW + 60_000, 'Asia/Tokyo')).toMatch(
      /^Tuesday, 2030-03-05 23:08 \(Asia\/Tokyo, GMT\+09:00\)/,
    );
    expect(formatDateTime(NOW, 'UTC')).toMatch(/ 14:07 \(UTC/);
  });

  it('falls back to UTC for an unknown time zone', () => {
    expect(formatDateTime(NOW, 'Mars/Olympus')).toMatch(/^Tuesday, 2030-03-05 14:07 \(UTC, GMT/);
  });
});
