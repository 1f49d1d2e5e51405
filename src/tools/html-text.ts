/** A page as readable text: title, and the main text with headings, list items and links kept. */
export interface PageText {
  title: string | undefined;
  text: string;
}

const NAMED: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: '\u00a0',
  copy: '©',
  reg: '®',
  trade: '™',
  hellip: '…',
  mdash: '—',
  ndash: '–',
  lsquo: '‘',
  rsquo: '’',
  ldquo: '“',
  rdquo: '”',
  sbquo: '‚',
  bdquo: '„',
  bull: '•',
  middot: '·',
  laquo: '«',
  raquo: '»',
  euro: '€',
  pound: '£',
  yen: '¥',
  cent: '¢',
  deg: '°',
  times: '×',
  divide: '÷',
  para: '¶',
  sect: '§',
  shy: '',
  zwj: '',
  zwnj: '',
  larr: '←',
  rarr: '→',
  uarr: '↑',
  darr: '↓',
  le: '≤',
  ge: '≥',
  ne: '≠',
  minus: '−',
  plusmn: '±',
};

/** Decode HTML character references (named ones in common use, decimal and hex). */
export function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]{1,6}|#[0-9]{1,7}|[a-z][a-z0-9]{1,31});?/gi, (all, ref: string) => {
    if (ref[0] === '#') {
      const code =
        ref[1] === 'x' || ref[1] === 'X'
          ? Number.parseInt(ref.slice(2), 16)
          : Number.parseInt(ref.slice(1), 10);
      if (code === 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return '\uFFFD';
      return String.fromCodePoint(code);
    }
    const named = NAMED[ref.toLowerCase()];
    return named ?? all;
  });
}

const DROP = [
  'script',
  'style',
  'noscript',
  'template',
  'svg',
  'math',
  'iframe',
  'object',
  'canvas',
  'select',
  'head',
];
const CHROME = ['nav', 'aside', 'footer'];

function dropElements(html: string, tags: readonly string[]): string {
  let out = html;
  for (const tag of tags) {
    out = out.replace(new RegExp(`<${tag}\\b[\\s\\S]*?</${tag}\\s*>`, 'gi'), ' ');
    out = out.replace(new RegExp(`<${tag}\\b[^>]*>`, 'gi'), ' ');
  }
  return out;
}

function inner(html: string, tag: string): string | undefined {
  const m = new RegExp(`<${tag}\\b[^>]*>([\\s\\S]*?)</${tag}\\s*>`, 'i').exec(html);
  return m?.[1];
}

function linkText(href: string, text: string, base: URL | undefined): string {
  const label = text
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  let url: URL | undefined;
  try {
    url = base ? new URL(decodeEntities(href), base) : new URL(decodeEntities(href));
  } catch {
    url = undefined;
  }
  if (!label) return ' ';
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) return label;
  return `[${label}](${url.href})`;
}

/**
 * Convert HTML to readable text without a DOM: drops scripts, styles and page chrome (nav, aside, footer),
 * prefers `<article>`/`<main>` when they hold the text, keeps headings (`#`), list items (`-`), table cells
 * (`|`), preformatted blocks and links (`[text](absolute url)`), and decodes entities after tags are gone.
 */
export function htmlToText(html: string, baseUrl?: string): PageText {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is reserved for placeholders below
  let src = html.replace(/\u0000/g, '').replace(/<!--[\s\S]*?-->/g, ' ');
  const rawTitle = inner(src, 'title');
  const title = rawTitle
    ? decodeEntities(rawTitle.replace(/<[^>]*>/g, ''))
        .replace(/\s+/g, ' ')
        .trim()
    : undefined;
  src = dropElements(src, DROP);
  const main = inner(src, 'article') ?? inner(src, 'main');
  const mainText = main?.replace(/<[^>]*>/g, '').trim() ?? '';
  src = mainText.length >= 200 ? main! : dropElements(inner(src, 'body') ?? src, CHROME);
  let base: URL | undefined;
  try {
    base = baseUrl ? new URL(baseUrl) : undefined;
  } catch {
    base = undefined;
  }
  const pres: string[] = [];
  src = src.replace(/<pre\b[^>]*>([\s\S]*?)<\/pre\s*>/gi, (_all, body: string) => {
    pres.push(decodeEntities(body.replace(/<[^>]*>/g, '')));
    return `\n\n\u0000${pres.length - 1}\u0000\n\n`;
  });
  src = src
    .replace(
      /<a\b[^>]*?\bhref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))[^>]*>([\s\S]*?)<\/a\s*>/gi,
      (_a, d, s, u, t) => linkText(d ?? s ?? u ?? '', t as string, base),
    )
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<hr\b[^>]*>/gi, '\n\n---\n\n')
    .replace(/<h([1-6])\b[^>]*>/gi, (_h, n: string) => `\n\n${'#'.repeat(Number(n))} `)
    .replace(/<li\b[^>]*>/gi, '\n- ')
    .replace(/<\/?(?:td|th)\b[^>]*>/gi, ' | ')
    .replace(
      /<\/?(?:p|div|section|article|main|header|ul|ol|dl|dt|dd|table|tr|blockquote|figure|figcaption|form|h[1-6])\b[^>]*>/gi,
      '\n\n',
    )
    .replace(/<[^>]*>/g, '');
  const text = decodeEntities(src)
    .split('\n')
    .map((line) => line.replace(/[ \t\f\v\u00a0]+/g, ' ').trim())
    .join('\n')
    .replace(/(?:[ \t]*\|[ \t]*){2,}/g, ' | ')
    .replace(/\n{3,}/g, '\n\n')
    // biome-ignore lint/suspicious/noControlCharactersInRegex: placeholders for <pre> blocks
    .replace(/\u0000(\d+)\u0000/g, (_p, i: string) => pres[Number(i)] ?? '')
    .trim();
  return { title: title || undefined, text };
}
