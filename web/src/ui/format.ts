/** Small formatting helpers for the UI (pure). */

const numberFormat = new Intl.NumberFormat();

export function formatCount(n: number | undefined): string {
  return n === undefined ? '–' : numberFormat.format(n);
}

/** `in 1,200 · out 34 tokens` */
export function formatUsage(u: { input: number; output: number } | undefined): string {
  if (!u) return '';
  return `in ${formatCount(u.input)} · out ${formatCount(u.output)} tokens`;
}

export function formatTime(ms: number | undefined): string {
  if (!ms) return '–';
  const d = new Date(ms);
  const today = new Date();
  return d.toDateString() === today.toDateString() ? d.toLocaleTimeString() : d.toLocaleString();
}

export function formatDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

/** A cron job's schedule in words: `every 5 min`, `cron 0 9 * * * (Europe/Paris)`, `at 12/1/2026, …`. */
export function describeSchedule(schedule: unknown): string {
  const s = schedule as
    | { kind?: string; at?: unknown; everyMs?: number; expr?: string; tz?: string }
    | undefined;
  if (!s) return '–';
  if (s.kind === 'every' && typeof s.everyMs === 'number') return `every ${formatDuration(s.everyMs)}`;
  if (s.kind === 'cron') return `cron ${s.expr ?? '?'}${s.tz ? ` (${s.tz})` : ''}`;
  if (s.kind === 'at') return `at ${typeof s.at === 'number' ? formatTime(s.at) : String(s.at)}`;
  return JSON.stringify(s);
}

const LEVELS: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};

/** One JSON log line (pino) as `time`, `level`, `msg` and the other fields; other text as is. */
export function parseLogLine(line: string): { time: string; level: string; msg: string; rest: string } {
  try {
    const o = JSON.parse(line) as Record<string, unknown>;
    const { time, level, msg, pid: _pid, hostname: _host, ...rest } = o;
    const restText = Object.entries(rest)
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(' ');
    return {
      time: typeof time === 'number' ? new Date(time).toLocaleTimeString() : String(time ?? ''),
      level: typeof level === 'number' ? (LEVELS[level] ?? String(level)) : String(level ?? ''),
      msg: typeof msg === 'string' ? msg : '',
      rest: restText,
    };
  } catch {
    return { time: '', level: '', msg: line, rest: '' };
  }
}

/** The string argument that says most about a tool call (`command`, `path`, `url`, …), for its summary. */
export function toolPreview(args: string): string {
  let o: unknown;
  try {
    o = JSON.parse(args);
  } catch {
    return '';
  }
  if (!o || typeof o !== 'object' || Array.isArray(o)) return '';
  const rec = o as Record<string, unknown>;
  const key = ['command', 'path', 'url', 'query', 'file', 'name'].find((k) => typeof rec[k] === 'string');
  const value = key ? (rec[key] as string) : '';
  const line = value.split('\n')[0] ?? '';
  return line.length > 60 ? `${line.slice(0, 59)}…` : line;
}

/**
 * Tool arguments or a result for people: a flat JSON object becomes `key: value` lines, with multi-line
 * strings (command output) shown as they are, indented; anything else is shown unchanged.
 */
export function readableToolText(text: string): string {
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch {
    return text;
  }
  if (!o || typeof o !== 'object' || Array.isArray(o)) return text;
  return Object.entries(o as Record<string, unknown>)
    .map(([k, v]) => {
      if (typeof v === 'string' && v.includes('\n')) {
        const body = v.replace(/\n+$/, '').replace(/^/gm, '  ');
        return `${k}:\n${body}`;
      }
      if (typeof v === 'string') return `${k}: ${v}`;
      const json = JSON.stringify(v, null, 2) ?? String(v);
      return `${k}: ${json}`;
    })
    .join('\n');
}
