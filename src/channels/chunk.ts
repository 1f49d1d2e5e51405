const FENCE = /^\s*(```|~~~)(.*)$/;

/** The opening fence line still open at the end of `text`, if any. */
function openFence(text: string, initial: string | undefined): string | undefined {
  let open = initial;
  for (const line of text.split('\n')) {
    const m = FENCE.exec(line);
    if (!m) continue;
    open = open === undefined ? line.trim() : undefined;
  }
  return open;
}

/** Where to cut `text` so the first part is at most `max` characters: paragraph > line > word > hard. */
function breakPoint(text: string, max: number): { cut: number; skip: number } {
  const window = text.slice(0, max + 1);
  const floor = Math.floor(max * 0.3);
  const para = window.lastIndexOf('\n\n');
  if (para > floor) return { cut: para, skip: 2 };
  const line = window.lastIndexOf('\n');
  if (line > floor) return { cut: line, skip: 1 };
  const space = Math.max(window.lastIndexOf(' '), window.lastIndexOf('\t'));
  if (space > floor) return { cut: space, skip: 1 };
  let cut = max;
  // Never split a surrogate pair.
  const code = text.charCodeAt(cut - 1);
  if (code >= 0xd800 && code <= 0xdbff) cut -= 1;
  return { cut, skip: 0 };
}

/**
 * Split `text` into chunks of at most `limit` characters, cutting at paragraph, then line, then word
 * boundaries (a hard cut only for a single overlong word). Markdown-safe for code fences: a chunk that
 * ends inside a ``` block closes it, and the next chunk reopens it with the same opening line.
 * Joining the chunks (without the added fences) gives back the text, less the whitespace at each cut.
 */
export function chunkText(text: string, limit: number): string[] {
  if (limit < 16) throw new RangeError(`chunk limit ${limit} is too small (at least 16)`);
  const out: string[] = [];
  let rest = text;
  let reopen: string | undefined;
  while (rest.length > 0) {
    const prefix = reopen ? `${reopen}\n` : '';
    if (prefix.length + rest.length <= limit) {
      out.push(prefix + rest);
      break;
    }
    // Leave room for a closing fence and for the prefix.
    const room = limit - prefix.length - 4;
    const { cut, skip } = breakPoint(rest, Math.max(8, room));
    const body = rest.slice(0, cut);
    const open = openFence(body, reopen);
    out.push(open ? `${prefix}${body}\n${open.startsWith('~~~') ? '~~~' : '```'}` : prefix + body);
    reopen = open;
    rest = rest.slice(cut + skip);
  }
  return out.filter((c) => c.trim().length > 0);
}
