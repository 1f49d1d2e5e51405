/** What one line of the import report is about. */
export type ImportArea = 'config' | 'secret' | 'workspace' | 'cron' | 'session';

/**
 * What happened to one thing: `imported` as it was, `changed` (imported, but adapted to fit Carapace:
 * `why` says how), `skipped` (not imported: `why` says why and what to do instead).
 */
export type ImportAction = 'imported' | 'changed' | 'skipped';

export interface ImportItem {
  area: ImportArea;
  action: ImportAction;
  /** The thing, e.g. `models.providers.openai`, `job 'Morning brief'`, `agent:main:main`. */
  what: string;
  why?: string;
}

/** The outcome of `importOpenClaw`: every item, counts, and where things were written. */
export interface ImportReport {
  source: string;
  target: string;
  dryRun: boolean;
  items: ImportItem[];
  counts: Record<ImportAction, number>;
  /** The previous carapace.json, copied before it was replaced (absent when there was none or on a dry run). */
  configBackup?: string;
  /** True when carapace.json was (or, on a dry run, would be) written. */
  configWritten: boolean;
}

/** Collects report items in order. */
export class Reporter {
  readonly items: ImportItem[] = [];

  add(area: ImportArea, action: ImportAction, what: string, why?: string): void {
    this.items.push(why === undefined ? { area, action, what } : { area, action, what, why });
  }
  imported(area: ImportArea, what: string, why?: string): void {
    this.add(area, 'imported', what, why);
  }
  changed(area: ImportArea, what: string, why: string): void {
    this.add(area, 'changed', what, why);
  }
  skipped(area: ImportArea, what: string, why: string): void {
    this.add(area, 'skipped', what, why);
  }

  counts(): Record<ImportAction, number> {
    const out = { imported: 0, changed: 0, skipped: 0 };
    for (const i of this.items) out[i.action]++;
    return out;
  }
}
