const FENCE = /^\s*(```|~~~)/;
const BOLD = '\u0001';

/** `&`, `<` and `>` as Slack wants them in message text (so `<!channel>` can never be injected). */
export function escapeSlack(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function inline(text: string): string {
  let out = escapeSlack(text);
  out = out.replace(/\[([^\]\n]+)\]\((https?:\/\/[^)\s]+)\)/g, (_m, label: string, url: string) => {
    return `<${url}|${label.replace(/\|/g, '¦')}>`;
  });
  out = out
    .replace(/\*\*(?=\S)(.+?)\*\*/g, `${BOLD}$1${BOLD}`)
    .replace(/__(?=\S)(.+?)__/g, `${BOLD}$1${BOLD}`);
  out = out.replace(/(^|[^*\w])\*(?=\S)([^*\n]+?)\*(?![*\w])/g, '$1_$2_');
  out = out.replace(/~~(?=\S)(.+?)~~/g, '~$1~');
  return out.replace(new RegExp(BOLD, 'g'), '*');
}

function line(text: string): string {
  const heading = /^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(text);
  if (heading) return heading[1] ? `*${inline(heading[1])}*` : '';
  const quote = /^(\s*)>\s?(.*)$/.exec(text);
  if (quote) return `>${quote[2] ? ` ${withCode(quote[2])}` : ''}`;
  const bullet = /^(\s*)[-*+]\s+(.*)$/.exec(text);
  if (bullet) return `${bullet[1]}• ${withCode(bullet[2] ?? '')}`;
  return withCode(text);
}

/** Inline code spans stay literal (only escaped); the rest gets the inline rewrites. */
function withCode(text: string): string {
  return text
    .split(/(`[^`\n]+`)/)
    .map((part, i) => (i % 2 === 1 ? escapeSlack(part) : inline(part)))
    .join('');
}

/**
 * Markdown as Slack mrkdwn: `**bold**` → `*bold*`, `*italic*` → `_italic_`, `~~strike~~` → `~strike~`,
 * `[label](url)` → `<url|label>`, headings → bold lines, `-` bullets → `•`, `>` quotes kept. Code (fenced
 * blocks and inline spans) is kept literally, fences without their language tag. `&`, `<` and `>` are
 * always escaped, so the text can never carry Slack control sequences (`<!channel>`, `<@U…>`).
 */
export function markdownToSlackMrkdwn(markdown: string): string {
  const out: string[] = [];
  let inCode = false;
  for (const raw of markdown.split('\n')) {
    if (FENCE.test(raw)) {
      out.push('```');
      inCode = !inCode;
      continue;
    }
    out.push(inCode ? escapeSlack(raw) : line(raw));
  }
  return out.join('\n');
}

/** Slack message text as a person reads it: links as their label, entities decoded (for tests and quotes). */
export function slackTextToPlain(text: string): string {
  return text
    .replace(/<(https?:[^|>]+)\|([^>]+)>/g, '$2 ($1)')
    .replace(/<(https?:[^>]+)>/g, '$1')
    .replace(/<#[A-Z0-9]+\|([^>]+)>/g, '#$1')
    .replace(/<!(here|channel|everyone)(\|[^>]*)?>/g, '@$1')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}
