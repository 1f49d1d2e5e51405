import {
  type Config,
  type ConfigEnv,
  resolveSecret,
  type SecretRef,
  type StatePaths,
} from '../config/index.js';
import type { Clock } from '../shared/index.js';
import type { ChannelAdapter } from './contract.js';
import { DiscordAdapter } from './discord/adapter.js';
import type { SleepFn } from './ports.js';
import { SlackAdapter } from './slack/adapter.js';
import { TelegramAdapter } from './telegram/adapter.js';
import { WhatsAppAdapter } from './whatsapp/adapter.js';

/** What the built-in adapters are made from (a subset of the manager's options). */
export interface BuiltinAdapterOptions {
  config(): Config;
  paths: StatePaths;
  clock: Clock;
  sleep: SleepFn;
  /** A fetch for the Telegram Bot API (default: grammY's). */
  fetch?: typeof fetch | undefined;
  /** Environment for `{ source: 'env' }` secret refs (bot tokens). */
  env?: ConfigEnv | undefined;
  /** Telegram long-polling timeout in seconds (default 30). */
  telegramPollTimeoutSeconds?: number | undefined;
}

/**
 * The manager's adapters by channel name: `extra` first (in order), then Telegram, Discord, Slack and
 * WhatsApp, each reading its `channels.<name>` section, unless `extra` already holds that channel.
 * Adapters start in this order.
 */
export function createAdapters(
  options: BuiltinAdapterOptions,
  extra: readonly ChannelAdapter[] = [],
): Map<string, ChannelAdapter> {
  const adapters = new Map<string, ChannelAdapter>();
  for (const a of extra) adapters.set(a.channel, a);
  const channels = () => options.config().channels;
  const deps = {
    clock: options.clock,
    sleep: options.sleep,
    resolveToken: (ref: SecretRef) => resolveSecret(ref, options.env ?? {}),
  };
  if (!adapters.has('telegram')) {
    const telegram = new TelegramAdapter({
      ...deps,
      config: () => channels().telegram,
      ...(options.fetch ? { fetch: options.fetch } : {}),
      ...(options.telegramPollTimeoutSeconds
        ? { pollTimeoutSeconds: options.telegramPollTimeoutSeconds }
        : {}),
    });
    adapters.set(telegram.channel, telegram);
  }
  if (!adapters.has('discord'))
    adapters.set('discord', new DiscordAdapter({ ...deps, config: () => channels().discord }));
  if (!adapters.has('slack'))
    adapters.set('slack', new SlackAdapter({ ...deps, config: () => channels().slack }));
  if (!adapters.has('whatsapp')) {
    const whatsapp = new WhatsAppAdapter({
      config: () => channels().whatsapp,
      credentialsDir: options.paths.credentialsDir,
      clock: options.clock,
      sleep: options.sleep,
    });
    adapters.set(whatsapp.channel, whatsapp);
  }
  return adapters;
}
