import { Credentials, ownGatewayUrl, takeFragmentToken } from './client/credentials.js';
import type { SocketLike } from './client/gateway-client.js';
import type { CpApp } from './ui/app.js';
import { defineElements } from './ui/define.js';

/**
 * Entry point. First of all, take a `#token=…` from the address bar (and scrub it), then start the app
 * against this page's own gateway (or the URL the user typed in settings). Query parameters are never read.
 */
function boot(): void {
  const credentials = new Credentials(window.localStorage);
  const token = takeFragmentToken(window.location, window.history);
  if (token) credentials.token = token;
  defineElements();
  const app = document.createElement('cp-app') as CpApp;
  const dark = window.matchMedia('(prefers-color-scheme: dark)');
  app.env = {
    credentials,
    ownUrl: ownGatewayUrl(window.location),
    storage: window.localStorage,
    // The browser's WebSocket has the SocketLike shape; its handler types are only narrower.
    createSocket: (url) => new WebSocket(url) as unknown as SocketLike,
    prefersDark: () => dark.matches,
    root: document.documentElement,
  };
  dark.addEventListener('change', () => app.requestUpdate());
  // A `#token=` link opened in this tab later (same page, only the fragment changes).
  window.addEventListener('hashchange', () => {
    const later = takeFragmentToken(window.location, window.history);
    if (later) app.useToken(later);
  });
  document.body.append(app);
}

boot();
