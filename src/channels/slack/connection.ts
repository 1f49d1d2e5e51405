import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, HTTPReceiver, type Logger, SocketModeReceiver, webApi } from '@slack/bolt';
import type { SlackAccount } from '../../config/index.js';
import type { SlackMessageEvent, SlackSelf } from './normalize.js';

/** The Web API base when an account sets none. */
export const DEFAULT_SLACK_API = 'https://slack.com/api/';

/** What one running Slack account holds. */
export interface SlackConnection {
  app: App;
  /** The socket-mode client's lifecycle events, or undefined in http mode. */
  socket?: SocketModeReceiver['client'];
  /** In http mode: where the Events API endpoint listens (`http://host:port/path`). */
  endpoint?: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface OpenOptions {
  cfg: SlackAccount;
  self: SlackSelf;
  botToken: string;
  /** Socket mode: the app-level token. */
  appToken?: string | undefined;
  /** HTTP mode: the signing secret. */
  signingSecret?: string | undefined;
  logger: Logger;
  onMessage(event: SlackMessageEvent, teamId: string | undefined): void;
  onError(error: unknown): void;
  /** A socket-mode reconnect gave up (e.g. the app token was revoked); the account stays disconnected. */
  onReconnectFailed(error: unknown): void;
}

/**
 * A Web API client for sends and auth.test. It never retries or waits on a rate limit itself: the
 * durable outbound queue owns retries, so a send is tried exactly once per attempt.
 */
export function createWebClient(token: string, cfg: SlackAccount, logger: Logger): webApi.WebClient {
  return new webApi.WebClient(token, {
    slackApiUrl: cfg.apiUrl ?? DEFAULT_SLACK_API,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    logger,
  });
}

/**
 * A Bolt App for one workspace. Socket mode (default): a SocketModeReceiver whose client learns its WSS
 * URL from apps.connections.open on the same Web API base and acks every envelope. HTTP mode: Bolt's
 * HTTPReceiver on `cfg.http`, which refuses requests whose signature does not verify or whose
 * timestamp is more than five minutes off. The bot's ids come from our own auth.test, so Bolt makes none.
 */
export function openSlackApp(o: OpenOptions): SlackConnection {
  const slackApiUrl = o.cfg.apiUrl ?? DEFAULT_SLACK_API;
  let socket: SocketModeReceiver | undefined;
  let http: HTTPReceiver | undefined;
  if (o.cfg.mode === 'socket') {
    socket = new SocketModeReceiver({
      appToken: o.appToken ?? '',
      logger: o.logger,
      // A fresh object: the socket-mode client writes its retry policy into it.
      installerOptions: { clientOptions: { slackApiUrl } },
    });
  } else {
    http = new HTTPReceiver({
      signingSecret: o.signingSecret ?? '',
      endpoints: o.cfg.http.path,
      logger: o.logger,
    });
  }
  const app = new App({
    token: o.botToken,
    botId: o.self.botId ?? o.self.userId,
    botUserId: o.self.userId,
    receiver: (socket ?? http) as HTTPReceiver,
    logger: o.logger,
    tokenVerificationEnabled: false,
    clientOptions: {
      slackApiUrl,
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
      logger: o.logger,
    },
  });
  app.event('message', async ({ event, body }) => {
    o.onMessage(event as unknown as SlackMessageEvent, (body as { team_id?: string }).team_id);
  });
  app.error(async (err) => o.onError(err));
  let server: Server | undefined;
  // The socket-mode client reconnects by calling its own `start` and drops the promise: a reconnect that
  // fails for good (a revoked app token) would be an unhandled rejection, which ends the process. The
  // instance's `start` catches it; the first start (ours) still sees every failure.
  const firstStart = socket?.client.start.bind(socket.client);
  if (socket) {
    const client = socket.client;
    client.start = () =>
      (firstStart as typeof client.start)().catch((err: unknown) => {
        o.onReconnectFailed(err);
        return { ok: false } as Awaited<ReturnType<typeof client.start>>;
      });
  }
  const conn: SlackConnection = {
    app,
    async start() {
      if (firstStart) {
        await firstStart();
        return;
      }
      server = (await (http as HTTPReceiver).start({
        port: o.cfg.http.port,
        host: o.cfg.http.host,
      })) as Server;
      const address = server.address() as AddressInfo;
      conn.endpoint = `http://${o.cfg.http.host}:${address.port}${o.cfg.http.path}`;
    },
    async stop() {
      if (socket) {
        await socket.stop();
        return;
      }
      if (!server) return;
      server.closeIdleConnections();
      await (http as HTTPReceiver).stop().catch(() => {});
      server = undefined;
    },
  };
  if (socket) conn.socket = socket.client;
  return conn;
}
