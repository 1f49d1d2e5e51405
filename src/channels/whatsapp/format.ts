/**
 * Markdown as WhatsApp shows it. WhatsApp's own markup is `*bold*`, `_italic_`, `~strike~` and
 * ```` ``` ```` blocks / `` ` `` inline code; anything it does not know is shown as typed, so a conversion
 * can never make a message unsendable. Code (fenced or inline) is left exactly as written.
 */

const FENCE = /^(\s*)(```|~~~)/;
// Private-use characters mark converted bold while italics are rewritten.
const BOLD_OPEN = '\uE000';
const BOLD_CLOSE = '\uE001';

function convertInline(line: string): string {
  return line
    .split(/(`[^`\n]+`)/)
    .map((part, i) => (i % 2 === 1 ? part : convertPlain(part)))
    .join('');
}

function convertPlain(s: string): string {
  return s
    .replace(/\*\*(?=\S)(.+?)(?<=\S)\*\*/g, `${BOLD_OPEN}$1${BOLD_CLOSE}`)
    .replace(/__(?=\S)(.+?)(?<=\S)__/g, `${BOLD_OPEN}$1${BOLD_CLOSE}`)
    .replace(/(^|[^\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])/g, '$1_$2_')
    .replace(/~~(?=\S)(.+?)(?<=\S)~~/g, '~$1~')
    .replace(/\[([^\]\n]+)\]\((https?:\/\/[^)\s]+)\)/g, (_m, label: string, url: string) =>
      label === url ? url : `${label} (${url})`,
    )
    .replaceAll(BOLD_OPEN, '*')
    .replaceAll(BOLD_CLOSE, '*');
}

/** Convert Markdown to WhatsApp's markup (headings become bold lines, `*`/`+` bullets `-`,
 * links `text (url)`). */
export function markdownToWhatsApp(markdown: string): string {
  const out: string[] = [];
  let fence: string | undefined;
  for (const line of markdown.split('\n')) {
    const marker = FENCE.exec(line)?.[2];
    if (fence) {
      if (marker === fence) {
        out.push(line.replace('~~~', '```'));
        fence = undefined;
      } else out.push(line);
      continue;
    }
    if (marker) {
      fence = marker;
      out.push(line.replace('~~~', '```'));
      continue;
    }
    const heading = /^#{1,6}\s+(.+?)\s*#*\s*$/.exec(line);
    if (heading?.[1]) {
      out.push(`*${convertInline(heading[1]).replace(/\*/g, '')}*`);
      continue;
    }
    out.push(convertInline(line.replace(/^(\s*)[+*]\s+(?=\S)/, '$1- ')));
  }
  return out.join('\n');
}
