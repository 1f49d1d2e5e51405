import { describe, expect, it } from 'vitest';
import { markdownToSlackMrkdwn, slackTextToPlain } from './format.js';

describe('markdownToSlackMrkdwn', () => {
  it('rewrites emphasis, strike, links, headings and bullets', () => {
    const md = [
      '# Plan',
      '**bold** and *italic* and _also italic_ and ~~gone~~',
      'see [the docs](https://example.com/a?b=1&c=2)',
      '- one',
      '* two',
      '> quoted **text**',
    ].join('\n');
    expect(markdownToSlackMrkdwn(md)).toBe(
      [
        '*Plan*',
        '*bold* and _italic_ and _also italic_ and ~gone~',
        'see <https://example.com/a?b=1&amp;c=2|the docs>',
        '• one',
        '• two',
        '> quoted *text*',
      ].join('\n'),
    );
  });

  it('keeps code literal, drops the fence language, and always escapes & < >', () => {
    const md = ['use `a**b**<c>` here', '```ts', 'if (a < b && **x**) {}', '```', 'x > y'].join('\n');
    expect(markdownToSlackMrkdwn(md)).toBe(
      ['use `a**b**&lt;c&gt;` here', '```', 'if (a &lt; b &amp;&amp; **x**) {}', '```', 'x &gt; y'].join(
        '\n',
      ),
    );
  });

  it('cannot produce Slack control sequences from text', () => {
    const out = markdownToSlackMrkdwn('ping <!channel> and <@U123> please');
    expect(out).not.toMatch(/<[!@]/);
    expect(slackTextToPlain(out)).toBe('ping <!channel> and <@U123> please');
  });

  it('leaves a lone asterisk, snake_case and arithmetic alone', () => {
    expect(markdownToSlackMrkdwn('2 * 3 = 6 and snake_case_name')).toBe('2 * 3 = 6 and snake_case_name');
  });
});
