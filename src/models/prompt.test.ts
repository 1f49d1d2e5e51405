import { describe, expect, it } from 'vitest';
import { INTERRUPTED_TOOL_RESULT, toProviderPrompt, toProviderTools } from './prompt.js';
import type { ModelMessage } from './types.js';

describe('toProviderPrompt', () => {
  it('maps roles and parts, merging consecutive tool results into one tool message', () => {
    const messages: ModelMessage[] = [
      { role: 'user', content: 'hi' },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'checking' },
          { type: 'toolCall', id: 'a', name: 'read', arguments: { path: 'x' } },
          { type: 'toolCall', id: 'b', name: 'read', arguments: '{oops' },
        ],
      },
      {
        role: 'toolResult',
        toolCallId: 'a',
        toolName: 'read',
        content: [{ type: 'text', text: 'A' }],
        isError: false,
      },
      { role: 'toolResult', toolCallId: 'b', toolName: 'read', content: [], isError: true },
    ];
    expect(toProviderPrompt('sys', messages)).toEqual([
      { role: 'system', content: 'sys' },
      { role: 'user', content: [{ type: 'text', text: 'hi' }] },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'checking' },
          { type: 'tool-call', toolCallId: 'a', toolName: 'read', input: { path: 'x' } },
          { type: 'tool-call', toolCallId: 'b', toolName: 'read', input: {} },
        ],
      },
      {
        role: 'tool',
        content: [
          { type: 'tool-result', toolCallId: 'a', toolName: 'read', output: { type: 'text', value: 'A' } },
          {
            type: 'tool-result',
            toolCallId: 'b',
            toolName: 'read',
            output: { type: 'error-text', value: '(no output)' },
          },
        ],
      },
    ]);
  });

  it('answers tool calls that have no result, drops orphan results and empty messages', () => {
    const messages: ModelMessage[] = [
      {
        role: 'toolResult',
        toolCallId: 'ghost',
        toolName: 'x',
        content: [{ type: 'text', text: '?' }],
        isError: false,
      },
      { role: 'assistant', content: [{ type: 'toolCall', id: 'c', name: 'exec', arguments: {} }] },
      { role: 'user', content: [{ type: 'text', text: '' }] },
      { role: 'assistant', content: [{ type: 'text', text: '' }] },
      { role: 'user', content: 'go on' },
    ];
    const prompt = toProviderPrompt(undefined, messages);
    expect(prompt.map((m) => m.role)).toEqual(['assistant', 'tool', 'user']);
    expect(prompt[1]).toEqual({
      role: 'tool',
      content: [
        {
          type: 'tool-result',
          toolCallId: 'c',
          toolName: 'exec',
          output: { type: 'error-text', value: INTERRUPTED_TOOL_RESULT },
        },
      ],
    });
  });

  it('drops the empty assistant message that closes a turn stopped during its tools', () => {
    const messages: ModelMessage[] = [
      { role: 'user', content: 'run it' },
      { role: 'assistant', content: [{ type: 'toolCall', id: 'c', name: 'exec', arguments: {} }] },
      {
        role: 'toolResult',
        toolCallId: 'c',
        toolName: 'exec',
        content: [{ type: 'text', text: 'killed' }],
        isError: true,
      },
      { role: 'assistant', content: [] },
      { role: 'user', content: 'again' },
    ];
    const prompt = toProviderPrompt('sys', messages);
    expect(prompt.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'tool', 'user']);
    expect(prompt[3]?.content).toMatchObject([
      { toolCallId: 'c', output: { type: 'error-text', value: 'killed' } },
    ]);
  });

  it('offers tools as function tools with their JSON Schema', () => {
    const schema = { type: 'object', properties: { q: { type: 'string' } } };
    expect(toProviderTools([{ name: 'search', description: 'Search', jsonSchema: schema }])).toEqual([
      { type: 'function', name: 'search', description: 'Search', inputSchema: schema },
    ]);
  });
});
