import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Binding, DmScope } from '../config/index.js';
import { isCarapaceError } from '../shared/index.js';
import { resolveAgents } from './agents.js';
import { deriveSessionKey, type RouteInput, type RoutingConfig, resolveRoute } from './route.js';

function config(bindings: Binding[], dmScope: DmScope = 'main'): RoutingConfig {
  return {
    agents: {
      list: [{ id: 'main' }, { id: 'peer' }, { id: 'guild' }, { id: 'team' }, { id: 'acct' }, { id: 'chan' }],
      defaults: {},
    },
    bindings,
    session: { dmScope },
  };
}

const DISCORD_GROUP: RouteInput = {
  channel: 'discord',
  accountId: 'bot1',
  peer: { kind: 'group', id: 'room-1' },
  guildId: 'g1',
};

const ALL_TIERS: Binding[] = [
  { agentId: 'chan', match: { channel: 'discord' } },
  { agentId: 'acct', match: { channel: 'discord', accountId: 'bot1' } },
  { agentId: 'team', match: { teamId: 't1' } },
  { agentId: 'guild', match: { channel: 'discord', guildId: 'g1' } },
  { agentId: 'peer', match: { channel: 'discord', peer: { kind: 'group', id: 'room-1' } } },
];

describe('resolveRoute: binding tiers', () => {
  it('peer beats guild, account and channel regardless of order', () => {
    const route = resolveRoute(config(ALL_TIERS), DISCORD_GROUP);
    expect(route).toMatchObject({ agentId: 'peer', matchedBy: 'peer', bindingIndex: 4 });
    expect(route.sessionKey).toBe('agent:peer:discord:group:room-1');
    expect(route.explanation).toContain('binding #4');
  });

  it('guild beats account and channel when no peer binding matches', () => {
    const route = resolveRoute(config(ALL_TIERS), {
      ...DISCORD_GROUP,
      peer: { kind: 'group', id: 'room-2' },
    });
    expect(route).toMatchObject({ agentId: 'guild', matchedBy: 'guild', bindingIndex: 3 });
  });

  it('team is a tier of its own name, equal to guild', () => {
    const route = resolveRoute(config(ALL_TIERS), {
      channel: 'slack',
      teamId: 't1',
      peer: { kind: 'channel', id: 'C1' },
    });
    expect(route).toMatchObject({ agentId: 'team', matchedBy: 'team', bindingIndex: 2 });
    // Guild and team tie: config order decides (team at #2 comes before guild at #3).
    const both = resolveRoute(config(ALL_TIERS), {
      ...DISCORD_GROUP,
      teamId: 't1',
      peer: { kind: 'group', id: 'x' },
    });
    expect(both).toMatchObject({ agentId: 'team', bindingIndex: 2 });
  });

  it("roles: a binding naming any of the sender's roles beats the guild binding", () => {
    const bindings: Binding[] = [
      ...ALL_TIERS.slice(0, 4),
      { agentId: 'acct', match: { channel: 'discord', guildId: 'g1', roles: ['r-mod', 'r-admin'] } },
    ];
    const mod = resolveRoute(config(bindings), { ...DISCORD_GROUP, roles: ['r-member', 'r-admin'] });
    expect(mod).toMatchObject({ agentId: 'acct', matchedBy: 'role', bindingIndex: 4 });
    expect(mod.explanation).toContain('roles=r-mod|r-admin');
    const member = resolveRoute(config(bindings), { ...DISCORD_GROUP, roles: ['r-member'] });
    expect(member).toMatchObject({ agentId: 'guild', matchedBy: 'guild' });
    expect(resolveRoute(config(bindings), DISCORD_GROUP)).toMatchObject({ agentId: 'guild' });
  });

  it('account beats channel', () => {
    const route = resolveRoute(config(ALL_TIERS), { channel: 'discord', accountId: 'bot1' });
    expect(route).toMatchObject({ agentId: 'acct', matchedBy: 'account', bindingIndex: 1 });
  });

  it('channel matches case-insensitively', () => {
    const route = resolveRoute(config(ALL_TIERS), { channel: 'Discord', accountId: 'bot2' });
    expect(route).toMatchObject({ agentId: 'chan', matchedBy: 'channel', bindingIndex: 0 });
  });

  it('falls back to the default agent and says so', () => {
    const route = resolveRoute(config(ALL_TIERS), { channel: 'telegram', peer: { kind: 'dm', id: '7' } });
    expect(route).toMatchObject({ agentId: 'main', matchedBy: 'default', sessionKey: 'agent:main:main' });
    expect(route.bindingIndex).toBeUndefined();
    expect(route.explanation).toContain('no binding matched');
  });

  it('breaks ties within a tier by config order', () => {
    const bindings: Binding[] = [
      { agentId: 'chan', match: { channel: 'telegram' } },
      { agentId: 'acct', match: { channel: 'telegram' } },
    ];
    expect(resolveRoute(config(bindings), { channel: 'telegram' })).toMatchObject({
      agentId: 'chan',
      bindingIndex: 0,
    });
    expect(resolveRoute(config(bindings.reverse()), { channel: 'telegram' })).toMatchObject({
      agentId: 'acct',
    });
  });

  it('requires every field of a binding to match', () => {
    const bindings: Binding[] = [
      { agentId: 'peer', match: { channel: 'slack', peer: { kind: 'dm', id: 'U1' } } },
    ];
    expect(
      resolveRoute(config(bindings), { channel: 'telegram', peer: { kind: 'dm', id: 'U1' } }).matchedBy,
    ).toBe('default');
    expect(
      resolveRoute(config(bindings), { channel: 'slack', peer: { kind: 'group', id: 'U1' } }).matchedBy,
    ).toBe('default');
  });

  it('skips a binding to an unknown agent and explains it', () => {
    const route = resolveRoute(config([{ agentId: 'ghost', match: { channel: 'telegram' } }]), {
      channel: 'telegram',
    });
    expect(route.agentId).toBe('main');
    expect(route.explanation).toContain("unknown agent 'ghost'; skipped");
  });

  it('treats an empty match as a catch-all below every named tier', () => {
    const bindings: Binding[] = [
      { agentId: 'acct', match: {} },
      { agentId: 'chan', match: { channel: 'x' } },
    ];
    expect(resolveRoute(config(bindings), { channel: 'y' })).toMatchObject({
      agentId: 'acct',
      bindingIndex: 0,
    });
    expect(resolveRoute(config(bindings), { channel: 'x' })).toMatchObject({
      agentId: 'chan',
      matchedBy: 'channel',
    });
  });
});

describe('deriveSessionKey: DM scopes, groups, threads', () => {
  const dm: RouteInput = { channel: 'telegram', accountId: 'bot', peer: { kind: 'dm', id: '99' } };
  it.each<[DmScope, string]>([
    ['main', 'agent:main:main'],
    ['per-peer', 'agent:main:dm:99'],
    ['per-channel-peer', 'agent:main:telegram:dm:99'],
    ['per-account-channel-peer', 'agent:main:telegram:bot:dm:99'],
  ])('dmScope %s → %s', (scope, key) => {
    expect(deriveSessionKey('main', scope, dm)).toBe(key);
    expect(resolveRoute(config([], scope), dm).sessionKey).toBe(key);
  });

  it('keys groups, channels and threads by channel and id', () => {
    expect(
      deriveSessionKey('main', 'main', {
        channel: 'slack',
        peer: { kind: 'channel', id: 'C1' },
        threadId: '1.2',
      }),
    ).toBe('agent:main:slack:channel:C1:thread:1.2');
    expect(deriveSessionKey('main', 'main', { channel: 'telegram', peer: { kind: 'group', id: '-1' } })).toBe(
      'agent:main:telegram:group:-1',
    );
    expect(deriveSessionKey('main', 'main', { channel: 'cron' })).toBe('agent:main:main');
  });
});

describe('resolveAgents', () => {
  const paths = { stateDir: '/s', agentsDir: '/s/agents', workspaceDir: '/s/workspace' };

  it('gives the implicit main agent when the list is empty', () => {
    expect(resolveAgents({ agents: { list: [], defaults: {} } }, paths)).toEqual([
      {
        id: 'main',
        name: 'main',
        isDefault: true,
        workspaceDir: '/s/workspace',
        sessionsDir: join('/s/agents', 'main', 'sessions'),
        agentDir: join('/s/agents', 'main', 'agent'),
      },
    ]);
  });

  it('picks default:true, else the first; gives each agent its own directories', () => {
    const agents = resolveAgents(
      {
        agents: {
          list: [
            { id: 'a' },
            { id: 'b', default: true, name: 'Bee', model: 'm1' },
            { id: 'c', workspace: 'ws-c' },
          ],
          defaults: { workspace: '/w' },
        },
      },
      paths,
    );
    expect(agents.map((a) => [a.id, a.isDefault, a.workspaceDir])).toEqual([
      ['a', false, '/s/workspace-a'],
      ['b', true, '/w'],
      ['c', false, '/s/ws-c'],
    ]);
    expect(agents[1]).toMatchObject({
      name: 'Bee',
      model: 'm1',
      sessionsDir: join('/s/agents', 'b', 'sessions'),
    });
    const first = resolveAgents({ agents: { list: [{ id: 'x' }, { id: 'y' }], defaults: {} } }, paths);
    expect(first.map((a) => a.isDefault)).toEqual([true, false]);
  });

  it('refuses duplicate ids', () => {
    expect(() =>
      resolveAgents({ agents: { list: [{ id: 'a' }, { id: 'a' }], defaults: {} } }, paths),
    ).toThrow(expect.objectContaining({ code: 'DUPLICATE_AGENT_ID' }));
    expect(isCarapaceError(new Error('x'))).toBe(false);
  });
});
