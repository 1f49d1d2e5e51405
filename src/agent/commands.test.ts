import { describe, expect, it } from 'vitest';
import { parseChatCommand } from './commands.js';

describe('parseChatCommand', () => {
  it('parses each command with and without arguments', () => {
    expect(parseChatCommand('/new')).toEqual({ name: 'new' });
    expect(parseChatCommand('  /reset  start over please ')).toEqual({
      name: 'reset',
      message: 'start over please',
    });
    expect(parseChatCommand('/stop')).toEqual({ name: 'stop' });
    expect(parseChatCommand('/STATUS')).toEqual({ name: 'status' });
    expect(parseChatCommand('/compact focus on the deploy')).toEqual({
      name: 'compact',
      instructions: 'focus on the deploy',
    });
    expect(parseChatCommand('/model')).toEqual({ name: 'model' });
    expect(parseChatCommand('/model openrouter/meta/llama-3')).toEqual({
      name: 'model',
      ref: 'openrouter/meta/llama-3',
    });
    expect(parseChatCommand('/think')).toEqual({ name: 'think' });
    expect(parseChatCommand('/think High')).toEqual({ name: 'think', level: 'high' });
    expect(parseChatCommand('/stop@carapace_bot')).toEqual({ name: 'stop' });
  });

  it('explains misuse of known commands', () => {
    expect(parseChatCommand('/think banana')).toMatchObject({ name: 'invalid', command: 'think' });
    expect(parseChatCommand('/model gpt4')).toMatchObject({ name: 'invalid', command: 'model' });
    expect(parseChatCommand('/model a/b c')).toMatchObject({ name: 'invalid', command: 'model' });
  });

  it('leaves ordinary text and unknown commands alone', () => {
    expect(parseChatCommand('hello /new')).toBeUndefined();
    expect(parseChatCommand('/newest thing')).toBeUndefined();
    expect(parseChatCommand('/unknown')).toBeUndefined();
    expect(parseChatCommand('/ new')).toBeUndefined();
  });
});
