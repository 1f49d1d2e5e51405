import { isDeepStrictEqual } from 'node:util';
import { type ConfigEnv, loadConfig, type StatePaths, writeConfigFile } from '../config/index.js';
import { errorMessage } from '../shared/index.js';
import type { ApplyConfigEdits, FixResult } from './findings.js';

type Segments = readonly (string | number)[];

/** `['tools', 'web', 'fetch', 'allowPrivateNetwork']` → `tools.web.fetch.allowPrivateNetwork`. */
export function dottedPath(path: Segments): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

function getIn(doc: unknown, path: Segments): unknown {
  let node = doc;
  for (const seg of path) {
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, seg)) return undefined;
    node = (node as Record<string | number, unknown>)[seg];
  }
  return node;
}

function setIn(doc: Record<string, unknown>, path: Segments, value: unknown): void {
  let node: Record<string | number, unknown> = doc;
  for (const seg of path.slice(0, -1)) node = node[seg] as Record<string | number, unknown>;
  node[path[path.length - 1]!] = value;
}

/**
 * The config writer `--fix` uses: reads the main config file as written (no includes expanded), checks
 * that each edited value is still what the finding saw, sets the new values and writes the file once
 * through `writeConfigFile` (validation, compare-and-set, `carapace.json.bak`). A value that lives in an
 * included file or comes from the environment is not in the main file: that edit is reported, not made.
 */
export function createConfigEditor(paths: StatePaths, env: ConfigEnv): ApplyConfigEdits {
  return async (edits) => {
    const results: (FixResult | undefined)[] = edits.map(() => undefined);
    try {
      const loaded = await loadConfig({ paths, env });
      const doc = structuredClone(loaded.raw);
      const applied: number[] = [];
      edits.forEach(({ id, edit }, i) => {
        const where = dottedPath(edit.path);
        if (!isDeepStrictEqual(getIn(doc, edit.path), edit.from)) {
          results[i] = {
            id,
            ok: false,
            message: `${where} is not ${JSON.stringify(edit.from)} in ${paths.configPath} (set in an included file or the environment?): change it there by hand`,
          };
          return;
        }
        setIn(doc, edit.path, edit.to);
        applied.push(i);
      });
      if (applied.length > 0) {
        const written = await writeConfigFile(paths, doc, { baseHash: loaded.hash, env });
        const backup = written.backupPath ? ` (backup: ${written.backupPath})` : '';
        for (const i of applied) {
          const { id, edit } = edits[i]!;
          const text = `set ${dottedPath(edit.path)} to ${JSON.stringify(edit.to)} in ${paths.configPath}`;
          results[i] = { id, ok: true, message: `${text}${backup}` };
        }
      }
    } catch (err) {
      edits.forEach(({ id }, i) => {
        results[i] ??= { id, ok: false, message: errorMessage(err) };
      });
    }
    return results.map((r, i) => r ?? { id: edits[i]!.id, ok: false, message: 'not applied' });
  };
}
