/** The parts of `window.location` this module reads. */
export interface LocationLike {
  protocol: string;
  host: string;
  pathname: string;
  search: string;
  hash: string;
}

/** The part of `window.history` used to scrub the address bar. */
export interface HistoryLike {
  readonly state: unknown;
  replaceState(data: unknown, unused: string, url?: string | null): void;
}

/** The part of `localStorage` used (tests pass a Map-backed one). */
export interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

const TOKEN_KEY = 'carapace.gateway.token';
const URL_KEY = 'carapace.gateway.url';

/**
 * Take a gateway token from the URL fragment (`#token=…`) and remove the fragment from the address bar
 * at once, so it is neither bookmarked, shared nor left in history. Fragments never reach the server.
 * Query parameters are ignored on purpose: a token or gateway URL must never come from `?…`.
 */
export function takeFragmentToken(location: LocationLike, history: HistoryLike): string | undefined {
  if (!location.hash || location.hash === '#') return undefined;
  const params = new URLSearchParams(location.hash.slice(1));
  const token = params.get('token') ?? undefined;
  if (!params.has('token')) return undefined;
  history.replaceState(history.state, '', `${location.pathname}${location.search}`);
  return token?.trim() || undefined;
}

/** The page's own gateway: the WebSocket endpoint at `/` of the origin that served the page. */
export function ownGatewayUrl(location: Pick<LocationLike, 'protocol' | 'host'>): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/`;
}

/**
 * Check a gateway URL a person typed in settings: `ws:` or `wss:`, no credentials, no query or fragment
 * (a secret must not travel in a URL). Returns the normalized URL or an explanation.
 */
export function checkGatewayUrl(input: string): { ok: true; url: string } | { ok: false; message: string } {
  let url: URL;
  try {
    url = new URL(input.trim());
  } catch {
    return { ok: false, message: 'not a URL; use ws://host:port/' };
  }
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    return { ok: false, message: 'the gateway URL must start with ws:// or wss://' };
  }
  if (url.username || url.password || url.search || url.hash) {
    return {
      ok: false,
      message: 'no user, query or fragment in the gateway URL; the token goes in its own field',
    };
  }
  return { ok: true, url: url.toString() };
}

/**
 * Where tokens and a user-chosen gateway URL are kept between visits. Tokens are kept per gateway: the
 * page's own gateway's token is never offered to a URL typed in settings.
 */
export class Credentials {
  constructor(private readonly storage: StorageLike) {}

  /** The token of the page's own gateway. */
  get token(): string | undefined {
    return this.#get(TOKEN_KEY);
  }
  set token(value: string | undefined) {
    this.#set(TOKEN_KEY, value);
  }
  /** A gateway URL typed in settings; undefined means the page's own origin. */
  get gatewayUrl(): string | undefined {
    return this.#get(URL_KEY);
  }
  set gatewayUrl(value: string | undefined) {
    this.#set(URL_KEY, value);
  }

  /** The token for the gateway in use: the own one, or the one stored for the typed URL. */
  tokenFor(gatewayUrl: string | undefined): string | undefined {
    return gatewayUrl ? this.#get(`${TOKEN_KEY}@${gatewayUrl}`) : this.token;
  }
  setTokenFor(gatewayUrl: string | undefined, value: string | undefined): void {
    if (gatewayUrl) this.#set(`${TOKEN_KEY}@${gatewayUrl}`, value);
    else this.token = value;
  }

  #get(key: string): string | undefined {
    try {
      return this.storage.getItem(key) ?? undefined;
    } catch {
      return undefined; // storage disabled (private mode): the user pastes the token each visit
    }
  }
  #set(key: string, value: string | undefined): void {
    try {
      if (value) this.storage.setItem(key, value);
      else this.storage.removeItem(key);
    } catch {
      // storage disabled: keep working for this page view
    }
  }
}
