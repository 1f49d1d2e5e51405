import { describe, expect, it } from 'vitest';
import { parseShell } from './index.js';

function argvs(source: string): string[][] {
  return parseShell(source).list.flatMap((e) => e.pipeline.map((c) => c.argv));
}

function codes(source: string): string[] {
  return [...new Set(parseShell(source).flags.map((f) => f.code))].sort();
}

describe('parseShell: static commands', () => {
  it.each<[string, string[][]]>([
    ['ls -la', [['ls', '-la']]],
    ['echo \'a b\' "c d" e\\ f', [['echo', 'a b', 'c d', 'e f']]],
    ["echo \"a\\\"b\" 'it'\\''s'", [['echo', 'a"b', "it's"]]],
    ['echo "\\$x \\\\ \\q"', [['echo', '$x \\ \\q']]],
    ['echo a\\\nb', [['echo', 'ab']]],
    ['echo a#b # a comment', [['echo', 'a#b']]],
    ['echo $', [['echo', '$']]],
    ["echo ''", [['echo', '']]],
    ['make CC=gcc', [['make', 'CC=gcc']]],
    ['"l"s', [['ls']]],
  ])('%j', (source, expected) => {
    const parsed = parseShell(source);
    expect(parsed.flags).toEqual([]);
    expect(argvs(source)).toEqual(expected);
  });

  it('splits lists and pipelines with their connectors', () => {
    const parsed = parseShell('a 1 | b; c && d || e\nf');
    expect(parsed.flags).toEqual([]);
    expect(parsed.list.map((e) => [e.connector, e.pipeline.map((c) => c.argv[0])])).toEqual([
      [';', ['a', 'b']],
      [';', ['c']],
      ['&&', ['d']],
      ['||', ['e']],
      [';', ['f']],
    ]);
  });

  it('allows newlines after && and | and a trailing ;', () => {
    expect(argvs('a &&\n b |\n c;')).toEqual([['a'], ['b'], ['c']]);
    expect(parseShell('a &&\n b |\n c;').flags).toEqual([]);
  });

  it('parses redirections with fds, duplications, and heredocs', () => {
    const [cmd] = parseShell('sort < in > out 2>&1 2>>err').list[0]!.pipeline;
    expect(cmd?.argv).toEqual(['sort']);
    expect(cmd?.redirects).toEqual([
      { fd: 0, op: '<', target: 'in' },
      { fd: 1, op: '>', target: 'out' },
      { fd: 2, op: '>&', target: '1' },
      { fd: 2, op: '>>', target: 'err' },
    ]);
    const here = parseShell("cat <<'EOF' | wc -l\n$HOME `x`\nEOF\necho after");
    expect(here.flags).toEqual([]);
    expect(here.list[0]?.pipeline[0]?.redirects[0]).toEqual({ fd: 0, op: '<<', target: '$HOME `x`\n' });
    expect(here.list[1]?.pipeline[0]?.argv).toEqual(['echo', 'after']);
    const tabs = parseShell('cat <<-END\n\tone\n\tEND\n');
    expect(tabs.list[0]?.pipeline[0]?.redirects[0]?.target).toBe('one\n');
    expect(parseShell('cat <<< word').list[0]?.pipeline[0]?.redirects[0]).toEqual({
      fd: 0,
      op: '<<<',
      target: 'word',
    });
  });

  it('treats digits as an fd only directly before the operator', () => {
    expect(parseShell('echo 2 >x').list[0]?.pipeline[0]?.argv).toEqual(['echo', '2']);
    expect(parseShell('echo a2>x').list[0]?.pipeline[0]?.argv).toEqual(['echo', 'a2']);
    expect(parseShell('echo 2>x').list[0]?.pipeline[0]?.redirects[0]?.fd).toBe(2);
  });
});

describe('parseShell: flags everything dynamic', () => {
  it.each<[string, string[]]>([
    ['ls $(rm x)', ['command-substitution']],
    ['ls "$(rm x)"', ['command-substitution']],
    ['ls `rm x`', ['backtick']],
    ['ls "`rm x`"', ['backtick']],
    ['echo $((1+2))', ['arithmetic']],
    ['ls $HOME', ['variable']],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell syntax on purpose
    ['ls "${HOME}"', ['variable']],
    ["echo $'\\x41'", ['variable']],
    ['ls $1 $@ $? $$', ['variable']],
    ['cat <(ls)', ['process-substitution']],
    ['tee >(sh)', ['process-substitution']],
    ['ls *.ts', ['glob']],
    ['/bin/r? x', ['glob']],
    ['ls [ab]', ['glob']],
    ['ls ~', ['tilde']],
    ['ls {a,b}', ['brace']],
    ['(ls)', ['subshell']],
    ['ls &', ['background']],
    ['LD_PRELOAD=x ls', ['assignment']],
    ['X=1', ['assignment']],
    ['cat <<EOF\n$x\nEOF', ['heredoc-expansion']],
    ['if true; then ls; fi', ['keyword']],
    ['! ls', ['keyword']],
    ['ls 3>x', ['redirect']],
    ['ls >&3', ['redirect']],
    ['ls |& cat', ['redirect']],
    ['ls <> x', ['redirect']],
    ["ls 'x", ['syntax']],
    ['ls "x', ['syntax']],
    ['ls $(x', ['command-substitution', 'syntax']],
    ['ls `x', ['backtick', 'syntax']],
    ['ls &&', ['syntax']],
    ['; ls', ['syntax']],
    ['| ls', ['syntax']],
    ['> x', ['syntax']],
    ['cat <<EOF\nno end', ['syntax']],
    ['cat <<EOF', ['syntax']],
    ['ls\rrm', ['control-char']],
    ['ls \u001b', ['control-char']],
    ['ls\0', ['syntax']],
  ])('%j → %j', (source, expected) => {
    expect(codes(source)).toEqual(expected);
  });

  it('quoting disarms what it quotes', () => {
    for (const s of [
      "ls '$(rm x)'",
      "ls '*'",
      'ls "*"',
      "ls '~'",
      "'if' x",
      'ls \\$HOME',
      'ls \\*',
      '"X=1" ls',
    ]) {
      expect(parseShell(s).flags, s).toEqual([]);
    }
  });

  it('keeps the source text of dynamic words for display', () => {
    expect(argvs('echo pre$(rm -rf /)post')).toEqual([['echo', 'pre$(rm -rf /)post']]);
  });

  it('refuses very long input', () => {
    expect(codes(`echo ${'a'.repeat(70_000)}`)).toEqual(['syntax']);
  });
});
