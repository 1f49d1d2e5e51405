import { readdir, rename } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { CarapaceError, errorMessage, shortId, sleep } from '../../shared/index.js';
import type { ChannelLogger } from '../contract.js';
import { silentLogger } from '../ports.js';
import { type AuthHandle, clearAuthDir, ensurePrivateDir, linkedAccount, openAuthState } from './auth.js';
import { DISCONNECT, describeDisconnect, statusOf } from './errors.js';
import { idOfJid } from './jid.js';
import { baileysSocketFactory, type WhatsAppSocket, type WhatsAppSocketFactory } from './socket.js';

export interface LinkOptions {
  /** The account's auth folder (`whatsappAuthDir(credentialsDir, accountId)`). */
  authDir: string;
  accountId: string;
  /** Called with every QR code WhatsApp offers (a new one about every 20 s until one is scanned). */
  onQr(qr: string): void;
  socketFactory?: WhatsAppSocketFactory;
  logger?: ChannelLogger;
  /** Aborting ends the socket and removes the half-made link. */
  signal?: AbortSignal;
  /** Link a new device even when the folder already holds one (it is replaced once the new link works). */
  force?: boolean;
  /** Unexpected closes tolerated while linking (default 3), `retryDelayMs` apart (default 2 s). */
  maxRetries?: number;
  retryDelayMs?: number;
}

/** The linked phone. */
export interface LinkResult {
  /** True when the folder already held a linked device and nothing was done. */
  alreadyLinked: boolean;
  /** The phone number (digits) or linked id of the account. */
  id: string;
  name?: string;
}

type Outcome = { open: true } | { open: false; code: number | undefined; error: string };

function aborted(): CarapaceError {
  return new CarapaceError('WHATSAPP_LINK_ABORTED', 'linking was cancelled');
}

/** Wait for one socket to open or close, showing its QR codes and saving credentials as they change. */
function settle(
  sock: WhatsAppSocket,
  auth: AuthHandle,
  onQr: (qr: string) => void,
  logger: ChannelLogger,
  signal: AbortSignal | undefined,
): Promise<Outcome> {
  return new Promise<Outcome>((resolve, reject) => {
    let done = false;
    const finish = (fn: () => void) => {
      if (done) return;
      done = true;
      signal?.removeEventListener('abort', onAbort);
      fn();
    };
    const onAbort = () => {
      void Promise.resolve(sock.end(undefined)).catch(() => {});
      finish(() => reject(aborted()));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    sock.ev.on('creds.update', () => {
      auth
        .saveCreds()
        .catch((err) => logger.warn({ error: errorMessage(err) }, 'whatsapp: saving credentials failed'));
    });
    sock.ev.on('connection.update', (u) => {
      if (done) return;
      if (u.qr) onQr(u.qr);
      if (u.connection === 'open') finish(() => resolve({ open: true }));
      else if (u.connection === 'close') {
        const err = u.lastDisconnect?.error;
        finish(() => resolve({ open: false, code: statusOf(err), error: describeDisconnect(err) }));
      }
    });
    if (signal?.aborted) onAbort();
  });
}

/** Remove half-made links that an interrupted login left beside the folder. */
async function removeStale(authDir: string): Promise<void> {
  const prefix = `${basename(authDir)}.linking-`;
  const entries = await readdir(dirname(authDir)).catch(() => [] as string[]);
  for (const e of entries) if (e.startsWith(prefix)) await clearAuthDir(join(dirname(authDir), e));
}

/**
 * Link a WhatsApp account as a new device by QR code. The link is made in a temporary folder beside
 * `authDir` and moved into place only once the connection opened with it, so a running gateway (which
 * watches `authDir`) never connects with half-made credentials. WhatsApp closes the first connection
 * after the scan with "restart required"; that reconnect is part of the flow.
 */
export async function linkWhatsApp(options: LinkOptions): Promise<LinkResult> {
  const existing = await linkedAccount(options.authDir);
  if (existing && !options.force) {
    return {
      alreadyLinked: true,
      id: idOfJid(existing.id),
      ...(existing.name ? { name: existing.name } : {}),
    };
  }
  const factory = options.socketFactory ?? baileysSocketFactory;
  const logger = options.logger ?? silentLogger;
  await removeStale(options.authDir);
  const tmp = `${options.authDir}.linking-${shortId()}`;
  let published = false;
  try {
    const auth = await openAuthState(tmp);
    let user: WhatsAppSocket['user'];
    for (let retries = 0; ; ) {
      if (options.signal?.aborted) throw aborted();
      const sock = await factory({ auth: auth.state, logger, accountId: options.accountId });
      const outcome = await settle(sock, auth, options.onQr, logger, options.signal).finally(() =>
        auth.flush(),
      );
      if (outcome.open) {
        user = sock.user;
        await Promise.resolve(sock.end(undefined)).catch(() => {});
        await auth.saveCreds();
        await auth.flush();
        break;
      }
      if (outcome.code === DISCONNECT.restartRequired) continue;
      if (outcome.code === DISCONNECT.loggedOut) {
        throw new CarapaceError('WHATSAPP_LINK_FAILED', `the phone refused the link (${outcome.error})`);
      }
      if (outcome.code === DISCONNECT.connectionLost && !auth.state.creds.me) {
        throw new CarapaceError(
          'WHATSAPP_LINK_TIMEOUT',
          'no QR code was scanned in time; run the command again',
        );
      }
      if (++retries > (options.maxRetries ?? 3)) {
        throw new CarapaceError('WHATSAPP_LINK_FAILED', `the connection kept closing (${outcome.error})`, {
          retryable: true,
        });
      }
      await sleep(options.retryDelayMs ?? 2000, options.signal).catch(() => {});
    }
    const me = user ?? auth.state.creds.me;
    if (!me?.id) throw new CarapaceError('WHATSAPP_LINK_FAILED', 'the connection opened without an account');
    await clearAuthDir(options.authDir);
    await rename(tmp, options.authDir);
    published = true;
    await ensurePrivateDir(options.authDir);
    return { alreadyLinked: false, id: idOfJid(me.id), ...(me.name ? { name: me.name } : {}) };
  } finally {
    if (!published) await clearAuthDir(tmp);
  }
}
