import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../../test/helpers/cli.js';
import { parseRoles, routeInput } from './route.js';

// `carapace route --roles`: bindings can match a Discord sender's roles. The other flags are tested in
// src/cli/local-commands.test.ts.

describe('route --roles parsing', () => {
  it('splits, trims and de-duplicates role ids', () => {
    expect(parseRoles('111, 222,,111 ')).toEqual(['111', '222']);
    expect(routeInput({ channel: 'discord', guild: 'g1', roles: '111,222' })).toEqual({
      channel: 'discord',
      guildId: 'g1',
      roles: ['111', '222'],
    });
    expect(routeInput({ channel: 'discord' })).toEqual({ channel: 'discord' });
  });

  it('refuses a list without a role id as a usage error', () => {
    expect(() => parseRoles(' , ')).toThrow(/--roles must name at least one role id/);
    expect(() => routeInput({ channel: 'discord', roles: '' })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });
});

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'carapace-cli-route-'));
  const config = {
    agents: { list: [{ id: 'main', default: true }, { id: 'mods' }, { id: 'guild' }] },
    bindings: [
      { agentId: 'guild', match: { channel: 'discord', guildId: 'g1' } },
      { agentId: 'mods', match: { channel: 'discord', guildId: 'g1', roles: ['r-mod', 'r-admin'] } },
    ],
  };
  await writeFile(join(dir, 'carapace.json'), JSON.stringify(config), { mode: 0o600 });
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function route(args: string[]) {
  return runCli(['route', '--channel', 'discord', ...args], {
    HOME: dir,
    CARAPACE_STATE_DIR: dir,
    NO_COLOR: '1',
  });
}

describe('carapace route --roles', { timeout: 60_000 }, () => {
  it('a sender with one of the roles gets the role binding; without them the guild binding', () => {
    const mod = route(['--guild', 'g1', '--peer', 'channel:c1', '--roles', 'r-other,r-admin', '--json']);
    expect(mod.status, mod.stderr).toBe(0);
    expect(JSON.parse(mod.stdout)).toMatchObject({
      input: { roles: ['r-other', 'r-admin'] },
      agentId: 'mods',
      matchedBy: 'role',
      bindingIndex: 1,
    });
    const table = route(['--guild', 'g1', '--peer', 'channel:c1', '--roles', 'r-mod']);
    expect(table.stdout).toContain('matched by  role (binding #1)\n');
    expect(table.stdout).toContain('roles=r-mod|r-admin');
    const member = route(['--guild', 'g1', '--peer', 'channel:c1', '--roles', 'r-other', '--json']);
    expect(JSON.parse(member.stdout)).toMatchObject({
      agentId: 'guild',
      matchedBy: 'guild',
      bindingIndex: 0,
    });
    const bad = route(['--guild', 'g1', '--roles', ',']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--roles must name at least one role id');
  });
});
