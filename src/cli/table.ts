import pc from 'picocolors';

/** A column of `formatTable`: its header and whether values line up on the right (numbers). */
export interface Column {
  header: string;
  align?: 'left' | 'right';
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching ANSI color codes is the point
const ANSI = /\u001b\[[0-9;]*m/g;

/** Visible width of a cell (color codes take no room). */
function width(text: string): number {
  return text.replace(ANSI, '').length;
}

function pad(text: string, size: number, align: 'left' | 'right'): string {
  const fill = ' '.repeat(Math.max(0, size - width(text)));
  return align === 'right' ? fill + text : text + fill;
}

/**
 * A plain-text table: a dim header row, then one line per row, columns two spaces apart, numbers
 * right-aligned. The last left-aligned column is not padded, so lines carry no trailing spaces.
 */
export function formatTable(columns: readonly Column[], rows: readonly (readonly string[])[]): string {
  const sizes = columns.map((c, i) => Math.max(width(c.header), ...rows.map((r) => width(r[i] ?? ''))));
  const line = (cells: readonly string[], style: (s: string) => string = (s) => s) =>
    columns
      .map((c, i) => {
        const cell = cells[i] ?? '';
        const last = i === columns.length - 1 && c.align !== 'right';
        return style(last ? cell : pad(cell, sizes[i] ?? 0, c.align ?? 'left'));
      })
      .join('  ')
      .trimEnd();
  const header = line(
    columns.map((c) => c.header),
    pc.dim,
  );
  return `${[header, ...rows.map((r) => line(r))].join('\n')}\n`;
}

/** `1,234,567` */
export function formatCount(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '?';
}

/** How long ago `ts` was, in its largest unit: `just now`, `42s ago`, `5m ago`, `3h ago`, `12d ago`. */
export function formatAge(ts: number, now: number): string {
  const s = Math.floor((now - ts) / 1000);
  if (!Number.isFinite(s)) return '?';
  if (s < 1) return 'just now';
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86_400)}d ago`;
}

/** Local date and time `2026-11-26 14:03:09` (the reader's clock, not UTC). */
export function formatLocalTime(ts: number): string {
  const d = new Date(ts);
  if (Number.isNaN(d.getTime())) return '?';
  const two = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}
