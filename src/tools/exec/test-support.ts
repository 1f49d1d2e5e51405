/**
 * Fixtures shared by this folder's tests (not used by production code): a temp box with a workspace, a
 * fake state dir and a bin dir of recording shims, and an execve recorder built on strace.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ToolContext, ToolOutput } from '../../agent/index.js';
import type { ExecToolsConfig } from './exec-tool.js';

export interface ShimBox {
  root: string;
  ws: string;
  stateDir: string;
  /** A directory outside the workspace (writes there must never happen). */
  outside: string;
  binDir: string;
  logPath: string;
  /** Write a recording shim `name` into `dir` (default binDir); `extra` shell lines run after logging. */
  writeShim(name: string, dir?: string, extra?: string): string;
  /** Every shim run so far: argv with the shim's name first. */
  readLog(): string[][];
  clearLog(): void;
  cleanup(): void;
}

/** A temp box whose bin dir holds one recording shim per name. */
export function makeShimBox(names: readonly string[]): ShimBox {
  const root = mkdtempSync(join(tmpdir(), 'carapace-exec-'));
  const ws = join(root, 'state', 'workspace');
  const stateDir = join(root, 'state');
  const outside = join(root, 'outside');
  const binDir = join(root, 'bin');
  const logPath = join(root, 'exec.log');
  for (const d of [ws, outside, binDir, join(stateDir, 'credentials')]) mkdirSync(d, { recursive: true });
  writeFileSync(logPath, '');
  const box: ShimBox = {
    root,
    ws,
    stateDir,
    outside,
    binDir,
    logPath,
    writeShim(name, dir = binDir, extra = '') {
      const path = join(dir, name);
      // Each argument is followed by a unit separator so arguments with spaces survive.
      const script = `#!/bin/sh\nprintf '%s\\037' '${name}' "$@" >> '${logPath}'\nprintf '\\n' >> '${logPath}'\n${extra}\n`;
      writeFileSync(path, script);
      chmodSync(path, 0o755);
      return path;
    },
    readLog() {
      return readFileSync(logPath, 'utf8')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => l.split('\x1f').slice(0, -1));
    },
    clearLog() {
      writeFileSync(logPath, '');
    },
    cleanup() {
      rmSync(root, { recursive: true, force: true });
    },
  };
  for (const name of names) box.writeShim(name);
  return box;
}

/** A config with test-friendly defaults; sections are shallow-merged. */
export function testConfig(
  exec: Partial<ExecToolsConfig['exec']> = {},
  sandbox: Partial<ExecToolsConfig['sandbox']> = {},
): ExecToolsConfig {
  return {
    exec: {
      security: 'allowlist',
      ask: 'on-miss',
      allowlist: [],
      timeoutSec: 60,
      yieldMs: 10_000,
      approvalTimeoutSec: 5,
      maxOutputBytes: 200_000,
      ...exec,
    },
    sandbox: { mode: 'off', workspaceAccess: 'rw', network: false, memoryMb: 512, ...sandbox },
  };
}

export function ctxFor(sessionKey = 'agent:main:dm:peer', agentId = 'main'): ToolContext {
  return { sessionKey, agentId, runId: 'run-1', toolCallId: 'call-1' };
}

/** The structured content of a tool result. */
export function body(out: ToolOutput): Record<string, unknown> {
  return out.content as Record<string, unknown>;
}

export interface ExecveCall {
  pid: number;
  file: string;
  argv: string[];
}

/** Parse `strace -f -e trace=execve` output (C-escaped strings, unfinished/resumed lines). */
export function parseStrace(text: string): ExecveCall[] {
  const calls: ExecveCall[] = [];
  for (const line of text.split('\n')) {
    const m = /^(\d+)\s+execve\(/.exec(line);
    if (!m) continue;
    let i = m[0].length;
    const readString = (): string | undefined => {
      if (line[i] !== '"') return undefined;
      i++;
      let s = '';
      while (i < line.length && line[i] !== '"') {
        if (line[i] === '\\') {
          const c = line[i + 1]!;
          const map: Record<string, string> = { n: '\n', t: '\t', r: '\r', '"': '"', '\\': '\\' };
          if (c === 'x') {
            s += String.fromCharCode(Number.parseInt(line.slice(i + 2, i + 4), 16));
            i += 4;
          } else if (/[0-7]/.test(c)) {
            const oct = /^[0-7]{1,3}/.exec(line.slice(i + 1))![0];
            s += String.fromCharCode(Number.parseInt(oct, 8));
            i += 1 + oct.length;
          } else {
            s += map[c] ?? c;
            i += 2;
          }
        } else s += line[i++];
      }
      i++;
      return s;
    };
    const file = readString() ?? '';
    const argv: string[] = [];
    if (line.startsWith(', [', i)) {
      i += 3;
      for (;;) {
        const s = readString();
        if (s === undefined) break;
        argv.push(s);
        if (line.startsWith(', ', i)) i += 2;
        else break;
      }
    }
    calls.push({ pid: Number(m[1]), file, argv });
  }
  return calls;
}

/** Records every execve of this process and its descendants while started (needs strace and ptrace). */
export class ExecveRecorder {
  private child: ReturnType<typeof spawn> | undefined;

  constructor(private readonly logFile: string) {}

  static available(): boolean {
    return spawnSync('strace', ['-V']).status === 0;
  }

  async start(): Promise<void> {
    const child = spawn(
      'strace',
      [
        '-f',
        '-e',
        'trace=execve',
        '-e',
        'signal=none',
        '-s',
        '8192',
        '-o',
        this.logFile,
        '-p',
        String(process.pid),
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    this.child = child;
    let err = '';
    await new Promise<void>((resolve, reject) => {
      child.stderr?.on('data', (d: Buffer) => {
        err += d.toString();
        if (err.includes('attached')) resolve();
      });
      child.on('close', (code) => reject(new Error(`strace exited ${code}: ${err}`)));
    });
  }

  async stop(): Promise<ExecveCall[]> {
    const child = this.child;
    if (!child) return [];
    const closed = new Promise((resolve) => child.on('close', resolve));
    child.kill('SIGINT');
    await closed;
    return parseStrace(readFileSync(this.logFile, 'utf8'));
  }
}
