/**
 * Markdown → Telegram HTML (`parse_mode: 'HTML'`). HTML mode was chosen over MarkdownV2 because only
 * three characters need escaping (`& < >`), so model output that is not quite Markdown can never make a
 * message unparseable through a stray `.` or `!`. Supported: fenced code blocks, inline code, **bold**,
 * *italic* / _italic_, ~~strike~~, [links](https://…). Everything else is sent as escaped text.
 */

/** Escape text for Telegram HTML. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function escapeAttr(text: string): string {
  return escapeHtml(text).replace(/"/g, '&quot;');
}

/** Inline Markdown of one stretch of text without code. Input is raw; output is HTML. */
function inline(raw: string): string {
  let html = escapeHtml(raw);
  html = html.replace(/\[([^\]\n]+)\]\((https?:\/\/[^\s)]+)\)/g, (_m, label: string, url: string) => {
    return `<a href="${escapeAttr(url.replace(/&amp;/g, '&'))}">${label}</a>`;
  });
  html = html.replace(/\*\*([^*\n]+?)\*\*/g, '<b>$1</b>');
  html = html.replace(/__([^_\n]+?)__/g, '<b>$1</b>');
  html = html.replace(/~~([^~\n]+?)~~/g, '<s>$1</s>');
  html = html.replace(/(^|[\s(])\*([^*\s][^*\n]*?)\*(?=$|[\s.,;:!?)])/gm, '$1<i>$2</i>');
  html = html.replace(/(^|[\s(])_([^_\s][^_\n]*?)_(?=$|[\s.,;:!?)])/gm, '$1<i>$2</i>');
  return html;
}

/** Text outside fenced blocks: inline code spans are kept verbatim, the rest gets inline Markdown. */
function prose(raw: string): string {
  const parts = raw.split(/(`[^`\n]+`)/g);
  return parts
    .map((part) =>
      part.length > 2 && part.startsWith('`') && part.endsWith('`')
        ? `<code>${escapeHtml(part.slice(1, -1))}</code>`
        : inline(part),
    )
    .join('');
}

/** Render one chunk of Markdown as Telegram HTML. */
export function markdownToTelegramHtml(markdown: string): string {
  const out: string[] = [];
  const fence = /^[ \t]*(```|~~~)[ \t]*([\w+#.-]*)[^\n]*\n([\s\S]*?)\n?[ \t]*\1[ \t]*$/gm;
  let last = 0;
  for (const m of markdown.matchAll(fence)) {
    const at = m.index ?? 0;
    out.push(prose(markdown.slice(last, at)));
    const lang = m[2] ? ` class="language-${escapeAttr(m[2])}"` : '';
    out.push(`<pre><code${lang}>${escapeHtml(m[3] ?? '')}</code></pre>`);
    last = at + m[0].length;
  }
  out.push(prose(markdown.slice(last)));
  return out.join('');
}
