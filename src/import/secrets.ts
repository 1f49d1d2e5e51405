import { isAbsolute, join, relative } from 'node:path';
import type { SecretRef } from '../config/index.js';
import type { Reporter } from './report.js';
import { expandPath, obj, str } from './source.js';

/** A secret the import writes to its own file (0600) so carapace.json only references it. */
export interface SecretFile {
  path: string;
  /** The secret itself, or (for a token file inside the OpenClaw dir) the file to copy it from. */
  value?: string;
  copyFrom?: string;
}

/** Where secrets go and what the secret conversion collected. */
export interface SecretContext {
  /** `<carapace state dir>/credentials/imported`. */
  dir: string;
  home: string;
  /** The OpenClaw state dir (relative file paths resolve against it). */
  sourceDir: string;
  report: Reporter;
  files: SecretFile[];
}

const ENV_ONLY = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/;

/** A file name for the secret at config path `where` (e.g. `channels.telegram.accounts.default.botToken`). */
function fileName(where: string): string {
  return where.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '');
}

/**
 * An OpenClaw secret as a Carapace `SecretRef`, kept a reference wherever possible: `"${VAR}"` and
 * `{source: 'env', id}` become env refs; a literal moves to `credentials/imported/<where>` (0600) and is
 * referenced by path, so carapace.json never holds it. Undefined (reported skipped) when it cannot be
 * carried over.
 */
export function convertSecret(value: unknown, where: string, ctx: SecretContext): SecretRef | undefined {
  const text = str(value);
  if (text !== undefined) {
    const env = ENV_ONLY.exec(text.trim());
    if (env) {
      ctx.report.imported('secret', where, `environment variable ${env[1]}`);
      return { source: 'env', id: env[1]! };
    }
    const path = join(ctx.dir, fileName(where));
    ctx.files.push({ path, value: text });
    ctx.report.changed(
      'secret',
      where,
      `inline secret moved to ${path} (0600); carapace.json references the file`,
    );
    return { source: 'file', path };
  }
  const ref = obj(value);
  if (ref?.source === 'env' && typeof ref.id === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(ref.id)) {
    ctx.report.imported('secret', where, `environment variable ${ref.id}`);
    return { source: 'env', id: ref.id };
  }
  if (ref) {
    ctx.report.skipped(
      'secret',
      where,
      `secret reference of source '${String(ref.source)}' cannot be carried over: set it by hand ({source:'env', id} or {source:'file', path})`,
    );
  }
  return undefined;
}

/**
 * A `tokenFile`-style path as a file ref. A file outside the OpenClaw dir stays where it is (only
 * referenced); one inside it is copied to `credentials/imported/` so Carapace does not depend on that dir.
 */
export function fileSecret(path: string, where: string, ctx: SecretContext): SecretRef {
  const abs = expandPath(path, ctx.home, ctx.sourceDir);
  const rel = relative(ctx.sourceDir, abs);
  if (rel.startsWith('..') || isAbsolute(rel)) {
    ctx.report.imported('secret', where, `referenced in place: ${abs}`);
    return { source: 'file', path: abs };
  }
  const copy = join(ctx.dir, fileName(where));
  ctx.files.push({ path: copy, copyFrom: abs });
  ctx.report.changed('secret', where, `token file copied from ${abs} to ${copy} (0600)`);
  return { source: 'file', path: copy };
}
