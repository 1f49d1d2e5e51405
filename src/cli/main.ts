#!/usr/bin/env node
// The `carapace` command (package.json "bin"). Everything lives in program.ts; this file only wires
// the process: version, stdout/stderr, exit status.
import { readFileSync } from 'node:fs';
import { createContext } from './context.js';
import { runCli } from './program.js';

/** package.json sits two levels up from both src/cli/main.ts and dist/cli/main.js. */
function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version?: unknown;
    };
    return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}

process.exitCode = await runCli(createContext(packageVersion()), process.argv);
