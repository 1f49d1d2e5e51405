import { createRequire } from 'node:module';

interface QrTerminal {
  generate(input: string, options: { small?: boolean }, done: (qr: string) => void): void;
}

/**
 * A QR code as terminal text (qrcode-terminal's compact form: two modules per character with `█ ▀ ▄`),
 * for WhatsApp's "Link a device" scanner. Light modules are block characters, so it reads on a dark
 * terminal.
 */
export function renderQr(data: string): string {
  const qrcode = createRequire(import.meta.url)('qrcode-terminal') as QrTerminal;
  let out = '';
  qrcode.generate(data, { small: true }, (qr) => {
    out = qr;
  });
  return out.endsWith('\n') ? out : `${out}\n`;
}
