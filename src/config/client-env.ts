/** How a client (the CLI, scripts) finds the gateway, from the environment. */
export interface ClientEnv {
  url: string | undefined;
  token: string | undefined;
  password: string | undefined;
}

/**
 * `CARAPACE_GATEWAY_URL` / `CARAPACE_GATEWAY_TOKEN` / `CARAPACE_GATEWAY_PASSWORD`, falling back to the
 * `OPENCLAW_*` names so scripts written for OpenClaw keep working. Empty values count as unset.
 */
export function readClientEnv(env: NodeJS.ProcessEnv = process.env): ClientEnv {
  const pick = (...names: string[]) => {
    for (const name of names) {
      const value = env[name];
      if (value !== undefined && value !== '') return value;
    }
    return undefined;
  };
  return {
    url: pick('CARAPACE_GATEWAY_URL', 'OPENCLAW_GATEWAY_URL'),
    token: pick('CARAPACE_GATEWAY_TOKEN', 'OPENCLAW_GATEWAY_TOKEN'),
    password: pick('CARAPACE_GATEWAY_PASSWORD', 'OPENCLAW_GATEWAY_PASSWORD'),
  };
}

/** The process environment. Only src/config reads `process.env`; others get it through this. */
export function processEnvironment(): NodeJS.ProcessEnv {
  return process.env;
}
