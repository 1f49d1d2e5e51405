import type { Reporter } from './report.js';
import { type Json, obj } from './source.js';

/** What the importer made of openclaw.json, before it meets the existing carapace.json. */
export interface ImportedConfig {
  agents: { defaults: Json; list: Json[] };
  bindings: Json[];
  providers: Record<string, Json>;
  channels: Json;
  /** `session`, `messages`, `heartbeat`, `cron`. */
  settings: Json;
}

const clone = <T>(v: T): T => structuredClone(v);

/** Set `from`'s keys that `into` lacks (recursing into plain objects); report each key already there. */
function fillMissing(into: Json, from: Json, path: string, report: Reporter): void {
  for (const [k, v] of Object.entries(from)) {
    const here = `${path}.${k}`;
    const cur = into[k];
    if (cur === undefined) into[k] = clone(v);
    else if (obj(cur) && obj(v)) fillMissing(cur as Json, v as Json, here, report);
    else if (JSON.stringify(cur) !== JSON.stringify(v))
      report.skipped('config', here, `carapace.json already sets it (${JSON.stringify(cur)}); kept`);
  }
}

const section = (doc: Json, key: string): Json => {
  const cur = obj(doc[key]);
  if (cur) return cur;
  const fresh: Json = {};
  doc[key] = fresh;
  return fresh;
};

/**
 * The next carapace.json: the existing document with what was imported added where it is missing.
 * Nothing already in carapace.json is changed: an agent, provider or channel account with the same id
 * is kept and the imported one reported skipped, so running the import twice changes nothing.
 */
export function mergeConfig(existing: Json, imported: ImportedConfig, report: Reporter): Json {
  const doc = clone(existing);
  const agents = section(doc, 'agents');
  fillMissing(section(agents, 'defaults'), imported.agents.defaults, 'agents.defaults', report);
  const list = Array.isArray(agents.list) ? (agents.list as Json[]) : [];
  const hadDefault = list.some((a) => a.default === true);
  const hadList = list.length > 0;
  for (const entry of imported.agents.list) {
    if (list.some((a) => a.id === entry.id)) {
      report.skipped('config', `agent '${String(entry.id)}'`, 'carapace.json already has this agent; kept');
      continue;
    }
    const add = clone(entry);
    if (add.default === true && hadDefault) {
      delete add.default;
      report.changed(
        'config',
        `agent '${String(entry.id)}'`,
        'not made the default: carapace.json has a default agent',
      );
    }
    list.push(add);
  }
  if (!hadList && list.length > 0 && !list.some((a) => a.id === 'main') && existing.agents !== undefined) {
    // carapace.json had only the implicit `main` agent; keep it reachable next to the imported ones.
    list.unshift({ id: 'main' });
  }
  if (list.length > 0) agents.list = list;

  const bindings = Array.isArray(doc.bindings) ? (doc.bindings as Json[]) : [];
  for (const b of imported.bindings)
    if (!bindings.some((x) => JSON.stringify(x) === JSON.stringify(b))) bindings.push(clone(b));
  if (bindings.length > 0) doc.bindings = bindings;

  const providers = section(section(doc, 'models'), 'providers');
  for (const [id, p] of Object.entries(imported.providers)) {
    if (providers[id] !== undefined) {
      report.skipped('config', `models.providers.${id}`, 'carapace.json already has this provider; kept');
      continue;
    }
    providers[id] = clone(p);
  }

  const channels = section(doc, 'channels');
  for (const [name, value] of Object.entries(imported.channels)) {
    const accounts = section(section(channels, name), 'accounts');
    for (const [id, account] of Object.entries(obj(obj(value)?.accounts) ?? {})) {
      if (accounts[id] !== undefined) {
        report.skipped(
          'config',
          `channels.${name}.accounts.${id}`,
          'carapace.json already has this account; kept',
        );
        continue;
      }
      accounts[id] = clone(account);
    }
  }
  for (const [key, value] of Object.entries(imported.settings))
    fillMissing(section(doc, key), value as Json, key, report);
  return prune(doc, existing);
}

/** Drop objects the merge created and left empty, so an import with nothing to add changes nothing. */
function prune(doc: Json, before: Json | undefined): Json {
  for (const [k, v] of Object.entries(doc)) {
    const o = obj(v);
    if (!o) continue;
    prune(o, obj(before?.[k]));
    if (Object.keys(o).length === 0 && before?.[k] === undefined) delete doc[k];
  }
  return doc;
}
