import { readdir, readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import JSON5 from 'json5';
import { errnoCode, errorMessage } from '../shared/index.js';

/**
 * Read-only access to an OpenClaw state dir (`~/.openclaw`). Nothing here writes: the importer never
 * changes its source.
 */

export type Json = Record<string, unknown>;

/** A plain object, or undefined. */
export function obj(v: unknown): Json | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : undefined;
}
/** A non-empty string, or undefined. */
export function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() !== '' ? v : undefined;
}

/** `~` and `~/…` against `home`; relative paths against `base`. */
export function expandPath(p: string, home: string, base: string): string {
  const expanded = p === '~' ? home : p.startsWith('~/') ? join(home, p.slice(2)) : p;
  return isAbsolute(expanded) ? expanded : resolve(base, expanded);
}

/** The default source: `~/.openclaw`. */
export function defaultOpenClawDir(home = homedir()): string {
  return join(home, '.openclaw');
}

export async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw err;
  }
}

export async function isDirectory(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() ?? false;
}

/** Entries of a directory (empty when it does not exist), sorted by name. */
export async function listDir(path: string): Promise<{ name: string; dir: boolean; file: boolean }[]> {
  try {
    const entries = await readdir(path, { withFileTypes: true });
    return entries
      .map((e) => ({ name: e.name, dir: e.isDirectory(), file: e.isFile() }))
      .sort((a, b) => a.name.localeCompare(b.name));
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
    throw err;
  }
}

/** `openclaw.json` (JSON5), parsed; `error` says why it could not be read. */
export async function readOpenClawConfig(dir: string): Promise<{ path: string; doc?: Json; error?: string }> {
  const path = join(dir, 'openclaw.json');
  const text = await readText(path);
  if (text === undefined) return { path };
  try {
    const doc = obj(JSON5.parse(text));
    return doc ? { path, doc } : { path, error: 'the top level is not an object' };
  } catch (err) {
    return { path, error: `not valid JSON5: ${errorMessage(err)}` };
  }
}

/** A JSON file, parsed; undefined when missing; `error` when it does not parse. */
export async function readJson(path: string): Promise<{ value?: unknown; error?: string } | undefined> {
  const text = await readText(path);
  if (text === undefined) return undefined;
  try {
    return { value: JSON.parse(text) as unknown };
  } catch (err) {
    return { error: `not valid JSON: ${errorMessage(err)}` };
  }
}

/** The lines of a JSONL file that parse as objects, and how many did not. */
export async function readJsonl(path: string): Promise<{ records: Json[]; bad: number } | undefined> {
  const text = await readText(path);
  if (text === undefined) return undefined;
  const records: Json[] = [];
  let bad = 0;
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const o = obj(JSON.parse(line));
      if (o) records.push(o);
      else bad++;
    } catch {
      bad++;
    }
  }
  return { records, bad };
}
