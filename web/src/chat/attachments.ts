/** A text file attached to a chat message, as `chat.send` takes it. */
export interface TextAttachment {
  fileName: string;
  mimeType: string;
  content: string;
}

/** The part of a browser `File` used here. */
export interface FileLike {
  name: string;
  type: string;
  size: number;
  text(): Promise<string>;
}

export const MAX_ATTACHMENT_BYTES = 1024 * 1024;
export const MAX_ATTACHMENTS = 16;

const TEXT_EXTENSIONS =
  /\.(txt|md|markdown|json|jsonl|json5|csv|tsv|log|ya?ml|toml|ini|xml|html?|css|js|mjs|cjs|ts|tsx|jsx|py|rb|go|rs|java|kt|c|h|cpp|hpp|cs|sh|bash|zsh|sql|diff|patch|env\.example)$/i;

/** The MIME type to send for a file the browser may not know (`.ts` files often arrive as video/mp2t). */
export function textMimeType(file: Pick<FileLike, 'name' | 'type'>): string | undefined {
  if (file.type.startsWith('text/') || file.type === 'application/json') return file.type;
  if (TEXT_EXTENSIONS.test(file.name))
    return file.name.toLowerCase().endsWith('.json') ? 'application/json' : 'text/plain';
  return undefined;
}

/**
 * Read files as text attachments. Only text is accepted (the gateway refuses other types); each file is
 * at most 1 MiB. Returns what could be read and a reason for each file left out.
 */
export async function readTextAttachments(
  files: readonly FileLike[],
  already = 0,
): Promise<{ attachments: TextAttachment[]; refused: string[] }> {
  const attachments: TextAttachment[] = [];
  const refused: string[] = [];
  for (const file of files) {
    const mimeType = textMimeType(file);
    if (!mimeType) refused.push(`${file.name}: only text files can be attached`);
    else if (file.size > MAX_ATTACHMENT_BYTES) refused.push(`${file.name}: larger than 1 MiB`);
    else if (already + attachments.length >= MAX_ATTACHMENTS)
      refused.push(`${file.name}: at most ${MAX_ATTACHMENTS} files`);
    else attachments.push({ fileName: file.name, mimeType, content: await file.text() });
  }
  return { attachments, refused };
}

/** A random UUID v4 (also on plain-http LAN pages, where `crypto.randomUUID` is unavailable). */
export function randomUuid(crypto: Pick<Crypto, 'getRandomValues'> = globalThis.crypto): string {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x40;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
