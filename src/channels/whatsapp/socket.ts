import type {
  AuthenticationCreds,
  AuthenticationState,
  ConnectionState,
  UserFacingSocketConfig,
  WAMessage,
  WAMessageKey,
} from 'baileys';
import { errorMessage } from '../../shared/index.js';
import type { ChannelLogger } from '../contract.js';

/** The Baileys events the adapter listens to. */
export interface WhatsAppEvents {
  'messages.upsert': { messages: WAMessage[]; type: string; requestId?: string };
  'connection.update': Partial<ConnectionState>;
  'creds.update': Partial<AuthenticationCreds>;
}

/** What the adapter sends: text, or a reaction to a message. */
export type WhatsAppContent = { text: string } | { react: { text: string; key: WAMessageKey } };

/**
 * The part of a Baileys socket the adapter uses (`makeWASocket` returns a superset). Tests pass an
 * object with the same event interface.
 */
export interface WhatsAppSocket {
  ev: { on<E extends keyof WhatsAppEvents>(event: E, listener: (arg: WhatsAppEvents[E]) => void): void };
  /** The linked account (`id` is `<phone>:<device>@s.whatsapp.net`); set once the link is made. */
  readonly user?: { id: string; lid?: string | undefined; name?: string | undefined } | undefined;
  sendMessage(
    jid: string,
    content: WhatsAppContent,
    options?: { quoted?: WAMessage },
  ): Promise<WAMessage | undefined>;
  sendPresenceUpdate(type: 'composing' | 'paused' | 'available' | 'unavailable', jid?: string): Promise<void>;
  /** Unlink this device from the phone. */
  logout(msg?: string): Promise<void>;
  /** Close the connection (emits `connection.update` with `connection: 'close'`). */
  end(error: Error | undefined): void | Promise<void>;
}

/** Makes one socket for an auth state. */
export type WhatsAppSocketFactory = (options: {
  auth: AuthenticationState;
  logger: ChannelLogger;
  accountId: string;
}) => Promise<WhatsAppSocket>;

type BaileysLogger = NonNullable<UserFacingSocketConfig['logger']>;

/**
 * Baileys' logger interface over a channel logger. Baileys is chatty: trace/debug/info are dropped,
 * its warnings become debug lines and its errors warnings, with only the error message (never payloads,
 * which can hold keys).
 */
export function baileysLogger(logger: ChannelLogger, bindings: Record<string, unknown>): BaileysLogger {
  const summary = (obj: unknown, msg?: string) => {
    const o = (typeof obj === 'object' && obj !== null ? obj : {}) as Record<string, unknown>;
    const err = o.err ?? o.error;
    const text = typeof obj === 'string' ? obj : msg;
    return { fields: { ...bindings, ...(err ? { error: errorMessage(err) } : {}) }, text };
  };
  return {
    level: 'warn',
    child: (more) => baileysLogger(logger, { ...bindings, ...pick(more) }),
    trace: () => {},
    debug: () => {},
    info: () => {},
    warn: (obj, msg) => {
      const s = summary(obj, msg);
      logger.debug(s.fields, `baileys: ${s.text ?? 'warning'}`);
    },
    error: (obj, msg) => {
      const s = summary(obj, msg);
      logger.warn(s.fields, `baileys: ${s.text ?? 'error'}`);
    },
  };
}

/** Child bindings Baileys passes that are safe to log (short strings and numbers). */
function pick(obj: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (typeof v === 'number' || (typeof v === 'string' && v.length <= 64)) out[`baileys_${k}`] = v;
  }
  return out;
}

/**
 * The production socket factory: Baileys' `makeWASocket` (loaded on first use, so a gateway without
 * WhatsApp accounts never loads it), with a cached key store, no full history sync (Baileys' default
 * recent sync stays on: it carries the phone-number ↔ LID mappings) and without marking the account
 * online (the phone keeps its notifications). History arrives as `append` upserts, which are ignored.
 */
export const baileysSocketFactory: WhatsAppSocketFactory = async ({ auth, logger, accountId }) => {
  const baileys = await import('baileys');
  const log = baileysLogger(logger, { channel: 'whatsapp', accountId });
  const sock = baileys.makeWASocket({
    auth: { creds: auth.creds, keys: baileys.makeCacheableSignalKeyStore(auth.keys, log) },
    logger: log,
    browser: baileys.Browsers.appropriate('Carapace'),
    markOnlineOnConnect: false,
    syncFullHistory: false,
    generateHighQualityLinkPreview: false,
  });
  const port: WhatsAppSocket = sock;
  return port;
};
