import { describe, expect, it } from 'vitest';
import { decodeEntities, htmlToText } from './html-text.js';

describe('htmlToText', () => {
  it('keeps the readable text: title, headings, lists, links, pre; drops scripts, styles and chrome', () => {
    const html = `<!doctype html><html><head><title>My &amp; Page</title><style>body{color:red}</style>
      <script>var secret = "do not show";</script></head>
      <body><nav><a href="/home">Home</a></nav>
      <h1>Welcome</h1><p>Hello <b>wor</b>ld &mdash; see <a href="/docs?a=1&amp;b=2">the docs</a>.</p>
      <ul><li>one</li><li>two</li></ul>
      <pre>  indented
    code</pre>
      <table><tr><td>a</td><td>b</td></tr><tr><td>c</td><td>d</td></tr></table>
      <!-- a comment --><footer>© footer</footer></body></html>`;
    const page = htmlToText(html, 'https://example.com/x/');
    expect(page.title).toBe('My & Page');
    expect(page.text).toContain('# Welcome');
    expect(page.text).toContain('Hello world — see [the docs](https://example.com/docs?a=1&b=2).');
    expect(page.text).toContain('- one\n- two');
    expect(page.text).toContain('  indented\n    code');
    expect(page.text).toContain('| a | b |');
    expect(page.text).toContain('| c | d |');
    for (const gone of ['secret', 'color:red', 'Home', 'footer', 'comment'])
      expect(page.text).not.toContain(gone);
  });

  it('prefers <article> when it holds the text, and never turns entities into tags', () => {
    const body = 'x'.repeat(250);
    const page = htmlToText(
      `<body><div>sidebar junk</div><article><p>${body}</p><p>&lt;script&gt;</p></article></body>`,
    );
    expect(page.text).toContain(body);
    expect(page.text).toContain('<script>');
    expect(page.text).not.toContain('sidebar');
  });

  it('drops javascript: links to their label', () => {
    expect(htmlToText('<a href="javascript:alert(1)">click</a>').text).toBe('click');
  });
});

describe('decodeEntities', () => {
  it('decodes named, decimal and hex references and leaves unknown ones', () => {
    expect(decodeEntities('&lt;&#65;&#x42;&nbsp;&unknown;&#0;')).toBe('<AB\u00a0&unknown;\uFFFD');
  });
});
