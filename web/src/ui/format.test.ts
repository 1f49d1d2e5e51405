import { describe, expect, it } from 'vitest';
import { formatDuration, readableToolText, toolPreview } from './format.js';

describe('tool call text', () => {
  it('previews the telling argument of a call', () => {
    expect(toolPreview('{"command":"uname -s"}')).toBe('uname -s');
    expect(toolPreview('{"content":"x","path":"notes/todo.md"}')).toBe('notes/todo.md');
    expect(toolPreview(JSON.stringify({ command: `${'a'.repeat(80)}\nb` }))).toBe(`${'a'.repeat(59)}…`);
    expect(toolPreview('{"n":1}')).toBe('');
    expect(toolPreview('not json')).toBe('');
  });

  it('shows a JSON result as key: value lines with output as it is', () => {
    const result = JSON.stringify({ status: 'completed', exitCode: 0, output: 'AGENTS.md\nSOUL.md\n' });
    expect(readableToolText(result)).toBe('status: completed\nexitCode: 0\noutput:\n  AGENTS.md\n  SOUL.md');
    expect(readableToolText('{"a":{"b":1}}')).toBe('a: {\n  "b": 1\n}');
    expect(readableToolText('plain text')).toBe('plain text');
    expect(readableToolText('[1,2]')).toBe('[1,2]');
  });
});

describe('formatDuration', () => {
  it('drops a zero minute part', () => {
    expect(formatDuration(6 * 3600_000)).toBe('6 h');
    expect(formatDuration(90 * 60_000)).toBe('1 h 30 min');
    expect(formatDuration(45_000)).toBe('45 s');
  });
});
