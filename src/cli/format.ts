import pc from 'picocolors';
import type { HealthResult, StatusResult } from '../protocol/index.js';

/** JSON for stdout: pretty by default, one line with `compact`; always ends with a newline. */
export function formatJson(value: unknown, compact: boolean): string {
  return `${compact ? JSON.stringify(value ?? null) : JSON.stringify(value ?? null, null, 2)}\n`;
}

/** `3d 4h`, `12m 5s`, `850 ms` */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = Math.floor(ms / 1000);
  const units: [number, string][] = [
    [86_400, 'd'],
    [3600, 'h'],
    [60, 'm'],
    [1, 's'],
  ];
  const parts: string[] = [];
  let rest = s;
  for (const [size, unit] of units) {
    if (rest >= size || (unit === 's' && parts.length === 0)) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
    if (parts.length === 2) break;
  }
  return parts.join(' ');
}

/** `81.2 MB` */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n)) return '?';
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

function rows(pairs: [string, string][]): string {
  const width = Math.max(...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `  ${pc.dim(k.padEnd(width))}  ${v}`).join('\n');
}

const okWord = (ok: boolean | undefined) => (ok ? pc.green('ok') : pc.red('not ok'));

/** A few lines about a `health` payload, for people. Tolerates missing fields. */
export function formatHealth(url: string, h: Partial<HealthResult>): string {
  const loop = h.eventLoop;
  const agents = h.agents ?? [];
  const channels = Object.keys(h.channels ?? {});
  const lines: [string, string][] = [];
  if (loop) {
    const reasons = loop.reasons?.length ? pc.yellow(` (${loop.reasons.join(', ')})`) : '';
    lines.push([
      'event loop',
      `p99 ${loop.delayP99Ms?.toFixed(1)} ms, max ${loop.delayMaxMs?.toFixed(1)} ms, utilization ${Math.round((loop.utilization ?? 0) * 100)}%${loop.degraded ? pc.yellow(' degraded') : ''}${reasons}`,
    ]);
  }
  lines.push([
    'agents',
    agents.length
      ? agents
          .map((a) => `${a.agentId}${a.isDefault ? ' (default)' : ''}: ${a.sessions?.count ?? 0} sessions`)
          .join(', ')
      : 'none',
  ]);
  lines.push(['sessions', String(h.sessions?.count ?? 0)]);
  lines.push(['channels', channels.length ? channels.join(', ') : 'none configured']);
  if (h.heartbeatSeconds) lines.push(['heartbeat', `every ${formatDuration(h.heartbeatSeconds * 1000)}`]);
  const took = typeof h.durationMs === 'number' ? pc.dim(` (${Math.round(h.durationMs)} ms)`) : '';
  return `Gateway ${url}: ${okWord(h.ok)}${took}\n${rows(lines)}\n`;
}

/** A few lines about a `status` payload, for people. Tolerates missing fields. */
export function formatStatus(url: string, s: Partial<StatusResult>): string {
  const listen = s.listen ? `${s.listen.host}:${s.listen.port}` : '?';
  const web = s.listen ? `http://${webHost(s.listen.host)}:${s.listen.port}/` : undefined;
  const lines: [string, string][] = [
    ['url', url],
    ['listening', listen],
    ...(web ? ([['webchat', web]] as [string, string][]) : []),
    ['pid', `${s.pid ?? '?'}, up ${formatDuration(s.uptimeMs ?? Number.NaN)}`],
    ['state dir', s.stateDir ?? '?'],
    ['config', s.configPath ?? '?'],
    ['connections', String(s.connections ?? '?')],
    [
      'memory',
      s.memory ? `rss ${formatBytes(s.memory.rssBytes)}, heap ${formatBytes(s.memory.heapUsedBytes)}` : '?',
    ],
    ['node', s.node ?? '?'],
  ];
  const head = `Carapace gateway ${s.version ?? '?'} (protocol ${s.protocol ?? '?'}): ${okWord(s.ok)}`;
  return `${head}\n${rows(lines)}\n`;
}

/** Browsers reach a gateway bound to every interface through loopback. */
export function webHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}
