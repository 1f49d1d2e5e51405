import { join } from 'node:path';
import { errnoCode } from '../shared/index.js';
import { estimateTextTokens } from './tokens.js';

/** The workspace files that go into the system prompt, in order. */
export const CONTEXT_FILES = [
  'AGENTS.md',
  'SOUL.md',
  'USER.md',
  'IDENTITY.md',
  'TOOLS.md',
  'MEMORY.md',
  'HEARTBEAT.md',
] as const;
export type ContextFileName = (typeof CONTEXT_FILES)[number];

export const DEFAULT_FILE_MAX_CHARS = 20_000;
export const DEFAULT_TOTAL_MAX_CHARS = 60_000;

export interface ContextInput {
  workspaceDir: string;
  /** Reads a file as UTF-8; rejects (ENOENT) when it is missing. */
  readFile: (path: string) => Promise<string>;
  /** MEMORY.md is private to the owner's main session; HEARTBEAT.md only matters on heartbeat runs. */
  session: { main: boolean; heartbeat: boolean };
  fileMaxChars?: number;
  totalMaxChars?: number;
  identity: { agentId: string; name?: string };
  tools: readonly { name: string; description: string }[];
  skills?: readonly { name: string; description: string; location?: string }[];
  /** Eligible skills left out of the list because its size budget was used up. */
  skillsOmitted?: number;
  /** Epoch ms and an IANA time zone (an unknown zone falls back to UTC). */
  now: number;
  timeZone: string;
  runtime: { model: string; channel?: string; thinking?: string; host?: string; os?: string; node?: string };
  extraSystemPrompt?: string;
}

/** What happened to one workspace file. `chars` is its full length, `includedChars` what went in. */
export interface ContextFileReport {
  name: ContextFileName;
  path: string;
  status: 'included' | 'truncated' | 'missing' | 'skipped' | 'unreadable';
  chars: number;
  includedChars: number;
  reason?: string;
}

/** The system prompt and the size of each part (for `carapace agent context`). */
export interface ContextReport {
  systemPrompt: string;
  chars: number;
  estimatedTokens: number;
  sections: { name: string; chars: number }[];
  files: ContextFileReport[];
}

const fmt = (n: number) => n.toLocaleString('en-US');

function skipReason(name: ContextFileName, session: ContextInput['session']): string | undefined {
  if (name === 'MEMORY.md' && !session.main) return 'only in the main session';
  if (name === 'HEARTBEAT.md' && !session.heartbeat) return 'only on heartbeat runs';
  return undefined;
}

async function loadFiles(input: ContextInput): Promise<{ files: ContextFileReport[]; text: string[] }> {
  const fileMax = input.fileMaxChars ?? DEFAULT_FILE_MAX_CHARS;
  let budget = input.totalMaxChars ?? DEFAULT_TOTAL_MAX_CHARS;
  const files: ContextFileReport[] = [];
  const text: string[] = [];
  // Read every file at once; the budget below still goes to them in their fixed order.
  const reads = new Map(
    CONTEXT_FILES.filter((name) => !skipReason(name, input.session)).map((name) => {
      const read = input.readFile(join(input.workspaceDir, name));
      read.catch(() => undefined); // handled when its turn comes
      return [name, read] as const;
    }),
  );
  for (const name of CONTEXT_FILES) {
    const path = join(input.workspaceDir, name);
    const base = { name, path, chars: 0, includedChars: 0 };
    const skip = skipReason(name, input.session);
    if (skip) {
      files.push({ ...base, status: 'skipped', reason: skip });
      continue;
    }
    let content: string;
    try {
      content = (await (reads.get(name) ?? input.readFile(path))).replace(/\r\n?/g, '\n').trimEnd();
    } catch (err) {
      const code = errnoCode(err);
      files.push({
        ...base,
        status: code === 'ENOENT' ? 'missing' : 'unreadable',
        ...(code ? { reason: code } : {}),
      });
      continue;
    }
    if (content.trim() === '') {
      files.push({ ...base, chars: 0, status: 'missing', reason: 'empty' });
      continue;
    }
    const cap = Math.min(fileMax, budget);
    if (cap <= 0) {
      files.push({
        ...base,
        chars: content.length,
        status: 'skipped',
        reason: 'total context budget used up',
      });
      text.push(
        `### ${name}\n…[omitted: the budget of ${fmt(input.totalMaxChars ?? DEFAULT_TOTAL_MAX_CHARS)} characters for workspace files is used up; read ${name} if you need it]`,
      );
      continue;
    }
    const kept = content.length > cap ? content.slice(0, cap) : content;
    budget -= kept.length;
    const truncated = kept.length < content.length;
    const marker = truncated
      ? `\n…[truncated: ${name} has ${fmt(content.length)} characters; only the first ${fmt(kept.length)} are shown. Read the file for the rest.]`
      : '';
    files.push({
      ...base,
      chars: content.length,
      includedChars: kept.length,
      status: truncated ? 'truncated' : 'included',
    });
    text.push(`### ${name}\n${kept}${marker}`);
  }
  return { files, text };
}

/** `Tuesday, 2025-03-04 15:06 (Europe/Berlin, GMT+01:00)` */
export function formatDateTime(now: number, timeZone: string): string {
  // The text changes once a minute: formatting it (~60 µs) once per turn was a measurable part of one.
  const minute = Math.floor(now / 60_000);
  const last = formatted.get(timeZone);
  if (last?.minute === minute) return last.text;
  const text = formatDateTimeNow(now, timeZone);
  if (formatted.size >= 32) formatted.clear();
  formatted.set(timeZone, { minute, text });
  return text;
}

function formatDateTimeNow(now: number, timeZone: string): string {
  let tz = timeZone;
  let parts: Intl.DateTimeFormatPart[];
  try {
    parts = dateParts(now, tz);
  } catch {
    tz = 'UTC';
    parts = dateParts(now, tz);
  }
  const get = (t: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === t)?.value ?? '';
  return `${get('weekday')}, ${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')} (${tz}, ${get('timeZoneName')})`;
}

/** Formatters by time zone: building one costs far more than using it (a pure memo, bounded). */
const formatters = new Map<string, Intl.DateTimeFormat>();
/** The last text per time zone and the minute (since the epoch) it is for: a pure memo, bounded. */
const formatted = new Map<string, { minute: number; text: string }>();

function dateParts(now: number, timeZone: string): Intl.DateTimeFormatPart[] {
  let format = formatters.get(timeZone);
  if (!format) {
    format = newFormatter(timeZone);
    if (formatters.size >= 32) formatters.clear();
    formatters.set(timeZone, format);
  }
  return format.formatToParts(now);
}

function newFormatter(timeZone: string): Intl.DateTimeFormat {
  return new Intl.DateTimeFormat('en-US', {
    timeZone,
    weekday: 'long',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZoneName: 'longOffset',
  });
}

function list(items: readonly { name: string; description: string; location?: string }[]): string {
  return items.map((i) => `- ${i.name}: ${i.description}${i.location ? ` (${i.location})` : ''}`).join('\n');
}

function skillsMore(omitted: number | undefined): string {
  if (!omitted) return '';
  return `…[${omitted} more skill${omitted === 1 ? '' : 's'} not listed: the skills list budget is used up]`;
}

/**
 * Build the system prompt from fixed sections — identity, tools, skills, workspace (with the workspace
 * files, each capped with a visible truncation marker, and all together capped), date and time, runtime,
 * extra instructions — and report every part's size.
 */
export async function assembleContext(input: ContextInput): Promise<ContextReport> {
  const { files, text } = await loadFiles(input);
  const name = input.identity.name ?? 'a personal assistant';
  const r = input.runtime;
  const runtime = [
    `agent=${input.identity.agentId}`,
    `model=${r.model}`,
    ...(r.channel ? [`channel=${r.channel}`] : []),
    `thinking=${r.thinking ?? 'off'}`,
    ...(r.host ? [`host=${r.host}`] : []),
    ...(r.os ? [`os=${r.os}`] : []),
    ...(r.node ? [`node=${r.node}`] : []),
  ].join(' | ');
  const skills = input.skills ?? [];
  const sections: { name: string; text: string }[] = [
    {
      name: 'identity',
      text: `You are ${name}, running as agent '${input.identity.agentId}' in Carapace, a local-first agent gateway. Your persona and rules come from the workspace files below.`,
    },
    {
      name: 'tools',
      text: input.tools.length
        ? `## Tools\nCall tools with arguments that match their schemas:\n${list(input.tools)}`
        : '## Tools\nNo tools are available in this session.',
    },
    {
      name: 'skills',
      text:
        skills.length || input.skillsOmitted
          ? [
              '## Skills\nBefore using a skill, read its SKILL.md:',
              list(skills),
              skillsMore(input.skillsOmitted),
            ]
              .filter(Boolean)
              .join('\n')
          : '## Skills\nNo skills are installed.',
    },
    {
      name: 'workspace',
      text: [`## Workspace\nYour working directory is ${input.workspaceDir}.`, ...text].join('\n\n'),
    },
    { name: 'datetime', text: `## Current date and time\n${formatDateTime(input.now, input.timeZone)}` },
    { name: 'runtime', text: `## Runtime\n${runtime}` },
    ...(input.extraSystemPrompt
      ? [{ name: 'extra', text: `## Additional instructions\n${input.extraSystemPrompt}` }]
      : []),
  ];
  const systemPrompt = sections.map((s) => s.text).join('\n\n');
  return {
    systemPrompt,
    chars: systemPrompt.length,
    estimatedTokens: estimateTextTokens(systemPrompt),
    sections: sections.map((s) => ({ name: s.name, chars: s.text.length })),
    files,
  };
}
