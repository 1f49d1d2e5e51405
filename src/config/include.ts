import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { errnoCode, isCarapaceError } from '../shared/index.js';
import { type ConfigIssue, configInvalid } from './issues.js';
import { deepMerge, isPlainObject } from './merge.js';
import { parseConfigText } from './parse.js';

/** How deep `$include` may nest (the main file is depth 0). */
export const MAX_INCLUDE_DEPTH = 10;

interface IncludeCtx {
  /** The main config file, named in every error. */
  root: string;
  home: string | undefined;
  /** Files read so far, in order, without duplicates (the main file excluded). */
  files: string[];
}

function fail(ctx: IncludeCtx, issue: ConfigIssue): never {
  throw configInvalid([issue], ctx.root);
}

function chainText(chain: readonly string[], next?: string): string {
  return [...chain, ...(next ? [next] : [])].join(' -> ');
}

function includeTargets(doc: Record<string, unknown>, file: string, ctx: IncludeCtx): string[] {
  const spec = doc.$include;
  const list = typeof spec === 'string' ? [spec] : Array.isArray(spec) ? spec : undefined;
  if (!list || list.some((p) => typeof p !== 'string' || p.trim() === '')) {
    fail(ctx, {
      path: '$include',
      message: `$include in ${file} must be a path or a list of paths`,
      hint: 'e.g. $include: "./agents.json5" or $include: ["./a.json5", "./b.json5"] (relative to the including file)',
    });
  }
  return (list as string[]).map((p) => {
    const expanded = ctx.home && (p === '~' || p.startsWith('~/')) ? join(ctx.home, p.slice(1)) : p;
    return isAbsolute(expanded) ? expanded : resolve(dirname(file), expanded);
  });
}

async function readIncluded(file: string, chain: readonly string[], ctx: IncludeCtx): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    const code = errnoCode(err);
    fail(ctx, {
      path: '$include',
      message: `cannot read included file ${file} (${code ?? String(err)}); include chain: ${chainText(chain, file)}`,
      hint:
        code === 'ENOENT'
          ? 'create the file or fix the path (relative paths are resolved from the including file)'
          : 'check the file permissions',
    });
  }
}

function parseIncluded(text: string, file: string, chain: readonly string[], ctx: IncludeCtx) {
  try {
    return parseConfigText(text, file);
  } catch (err) {
    const issues = isCarapaceError(err, 'CONFIG_INVALID') ? (err.details?.issues as ConfigIssue[]) : [];
    const via = `; include chain: ${chainText(chain, file)}`;
    throw configInvalid(
      issues.map((i) => ({ ...i, path: '$include', message: `${i.message}${via}` })),
      ctx.root,
      err,
    );
  }
}

/**
 * Expand `$include` in a parsed document: each listed file (relative to `file`) is loaded, its own
 * includes expanded, and the results deep-merged in order; the including document's own keys win.
 * Detects cycles and nesting deeper than MAX_INCLUDE_DEPTH, naming the chain of files.
 */
async function expand(
  doc: Record<string, unknown>,
  file: string,
  chain: readonly string[],
  ctx: IncludeCtx,
): Promise<Record<string, unknown>> {
  if (!Object.hasOwn(doc, '$include')) return doc;
  let merged: unknown = {};
  for (const target of includeTargets(doc, file, ctx)) {
    if (chain.includes(target)) {
      fail(ctx, {
        path: '$include',
        message: `include cycle: ${chainText(chain, target)}`,
        hint: `remove the $include of ${target} from ${file}`,
      });
    }
    if (chain.length > MAX_INCLUDE_DEPTH) {
      fail(ctx, {
        path: '$include',
        message: `includes nest deeper than ${MAX_INCLUDE_DEPTH} levels: ${chainText(chain, target)}`,
        hint: 'flatten the includes (include the files side by side instead of inside each other)',
      });
    }
    const text = await readIncluded(target, chain, ctx);
    if (!ctx.files.includes(target)) ctx.files.push(target);
    const child = await expand(parseIncluded(text, target, chain, ctx), target, [...chain, target], ctx);
    merged = deepMerge(merged, child);
  }
  const own = { ...doc };
  delete own.$include;
  const result = deepMerge(merged, own);
  return isPlainObject(result) ? result : {};
}

/**
 * Expand every `$include` of `doc`, the parsed content of `file`. Returns the merged document and the
 * included files that were read. Throws CONFIG_INVALID on a cycle, a too-deep chain, or a missing or
 * invalid included file.
 */
export async function resolveIncludes(
  doc: Record<string, unknown>,
  file: string,
  env: Record<string, string | undefined>,
): Promise<{ value: Record<string, unknown>; files: string[] }> {
  const ctx: IncludeCtx = { root: file, home: env.HOME, files: [] };
  const value = await expand(doc, file, [file], ctx);
  return { value, files: ctx.files };
}
