import type { AgentTool } from '../agent/index.js';
import type { ConfigEnv, ReadTextFile } from '../config/index.js';
import { type ToolsConfigSource, toolsConfig } from './config.js';
import type { HttpTransport } from './http-transport.js';
import type { Resolver } from './ssrf.js';
import { createWebFetchTool } from './web-fetch-tool.js';
import type { FetchLike, SearchProvider } from './web-search.js';
import { createWebSearchTool } from './web-search-tool.js';

/** What the web tools need; every port has a default. */
export interface WebToolsDeps {
  config?: ToolsConfigSource;
  /** HTTP for the search providers (default globalThis.fetch); their endpoints are operator-configured. */
  fetch?: FetchLike;
  /** DNS for the SSRF guard (default: the system resolver). */
  resolver?: Resolver;
  /** Pinned HTTP for web_fetch (default node:http/https); must connect only to the address it is given. */
  transport?: HttpTransport;
  /** A search backend replacing the configured one. */
  search?: SearchProvider;
  /** Environment for `{ source: 'env' }` secret references. */
  env?: ConfigEnv;
  readSecretFile?: ReadTextFile;
}

/** `web_fetch` (unless tools.web.fetch.enabled is false) and `web_search`. */
export function createWebTools(deps: WebToolsDeps = {}): AgentTool[] {
  const web = toolsConfig(deps.config).web;
  const tools: AgentTool[] = [];
  if (web.fetch.enabled) {
    tools.push(
      createWebFetchTool({ settings: web.fetch, resolver: deps.resolver, transport: deps.transport }),
    );
  }
  tools.push(
    createWebSearchTool({
      settings: web.search,
      timeoutMs: web.fetch.timeoutMs,
      provider: deps.search,
      fetch: deps.fetch,
      env: deps.env,
      readSecretFile: deps.readSecretFile,
    }),
  );
  return tools;
}
