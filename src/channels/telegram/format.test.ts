import { describe, expect, it } from 'vitest';
import { parseTelegramHtml } from '../../../test/fakes/fake-telegram.js';
import { escapeHtml, markdownToTelegramHtml } from './format.js';

describe('markdownToTelegramHtml', () => {
  it('escapes the three HTML specials and nothing else', () => {
    expect(escapeHtml('a < b && c > d. (ok)!')).toBe('a &lt; b &amp;&amp; c &gt; d. (ok)!');
    expect(markdownToTelegramHtml('1 < 2 & 3 > 2. Done!')).toBe('1 &lt; 2 &amp; 3 &gt; 2. Done!');
  });

  it('renders bold, italic, strike, inline code, links and fenced code', () => {
    const html = markdownToTelegramHtml(
      '**bold** and *it* and _it2_ and ~~gone~~ and `a<b` and [site](https://x.test/?a=1&b=2)\n```ts\nconst a = 1 < 2;\n```',
    );
    expect(html).toBe(
      '<b>bold</b> and <i>it</i> and <i>it2</i> and <s>gone</s> and <code>a&lt;b</code> and <a href="https://x.test/?a=1&amp;b=2">site</a>\n<pre><code class="language-ts">const a = 1 &lt; 2;</code></pre>',
    );
    expect(parseTelegramHtml(html)).toBeDefined();
  });

  it('leaves snake_case, 2*3*4 and markup inside code alone', () => {
    expect(markdownToTelegramHtml('snake_case_name 2*3*4')).toBe('snake_case_name 2*3*4');
    expect(markdownToTelegramHtml('`**not bold**`')).toBe('<code>**not bold**</code>');
  });

  it('produces parseable HTML for ordinary model output', () => {
    const samples = [
      'Here are the steps:\n\n1. **Install** it.\n2. Run `npm test` — expect *green*.',
      'Price: <$5 & >$1',
      '```\nunclosed fence is fine?\n',
    ];
    for (const s of samples) expect(parseTelegramHtml(markdownToTelegramHtml(s))).toBeDefined();
  });
});
