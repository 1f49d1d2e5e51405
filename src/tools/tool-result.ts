import type { ToolOutput } from '../agent/index.js';
import { errnoCode, errorMessage, isCarapaceError } from '../shared/index.js';

const ERRNO_TEXT: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOSPC: 'no space left on the device',
  EROFS: 'the file system is read-only',
  ENAMETOOLONG: 'a file name is too long',
  EISDIR: 'is a directory',
  ENOTDIR: 'a parent is not a directory',
  ENOENT: 'no such file or directory',
  EEXIST: 'already exists',
  ELOOP: 'too many levels of symbolic links',
  EMFILE: 'too many open files; try again',
};

/** A failed tool call as the model sees it: one readable line, no stack. */
export function errorOutput(err: unknown, prefix?: string): ToolOutput {
  let text: string;
  if (isCarapaceError(err)) text = err.message;
  else {
    const code = errnoCode(err);
    text = code && ERRNO_TEXT[code] ? `${ERRNO_TEXT[code]} (${code})` : errorMessage(err);
  }
  return { content: prefix ? `${prefix}: ${text}` : text, isError: true };
}

/** Run a tool body, turning expected failures (coded errors, errno errors) into error results. */
export async function runTool(body: () => Promise<ToolOutput>, prefix?: string): Promise<ToolOutput> {
  try {
    return await body();
  } catch (err) {
    return errorOutput(err, prefix);
  }
}
