import { html, nothing } from 'lit';
import type { CronJob, EventFrame } from '../../protocol.js';
import { describeSchedule, formatTime } from '../format.js';
import { sharedStyles } from '../shared-styles.js';
import { PanelBase, unavailable } from './panel-base.js';

/** Cron jobs: schedule, next and last run; enable/disable (`cron.update`) and run now (`cron.run`). */
export class CpCronPanel extends PanelBase {
  static override properties = {
    jobs: { state: true },
    notice: { state: true },
  };
  static override styles = [sharedStyles];

  declare jobs: CronJob[];
  declare notice: string;

  constructor() {
    super();
    this.jobs = [];
    this.notice = '';
  }

  protected override async refresh(): Promise<void> {
    if (!this.supports('cron.list')) return;
    const res = await this.call<{ jobs: CronJob[] }>('cron.list', { includeDisabled: true });
    if (res) this.jobs = res.jobs;
  }

  protected override onGatewayEvent(frame: EventFrame): void {
    if (frame.event === 'cron') void this.reload();
  }

  async #toggle(job: CronJob): Promise<void> {
    await this.call('cron.update', { id: job.id, patch: { enabled: !job.enabled } });
    await this.reload();
  }

  async #run(job: CronJob): Promise<void> {
    const res = await this.call('cron.run', { id: job.id });
    if (res !== undefined) this.notice = `Started ${job.name ?? job.id}.`;
    await this.reload();
  }

  override render() {
    if (!this.supports('cron.list')) {
      return html`<section class="card"><h2>Cron jobs</h2>${unavailable('Cron', 'cron.list')}</section>`;
    }
    const canUpdate = this.supports('cron.update');
    const canRun = this.supports('cron.run');
    return html`<section class="card" aria-labelledby="cron-h">
      <div class="row spread">
        <h2 id="cron-h">Cron jobs</h2>
        <button class="small" @click=${() => void this.reload()}>Refresh</button>
      </div>
      ${this.renderError()} ${this.notice ? html`<p role="status">${this.notice}</p>` : nothing}
      ${
        this.jobs.length === 0
          ? html`<p class="muted">No cron jobs.</p>`
          : html`<div class="scroll-x">
            <table class="stack">
              <thead>
                <tr>
                  <th>Job</th>
                  <th>Schedule</th>
                  <th>Next / last run</th>
                  <th><span class="sr-only">Actions</span></th>
                </tr>
              </thead>
              <tbody>
                ${this.jobs.map(
                  (j) => html`<tr>
                    <td>${j.name ?? j.id} ${j.enabled ? nothing : html`<span class="muted">(disabled)</span>`}</td>
                    <td data-label="Schedule">${describeSchedule(j.schedule)}</td>
                    <td data-label="Next / last run">
                      ${formatTime(j.state?.nextRunAtMs)} / ${formatTime(j.state?.lastRunAtMs)}
                      ${j.state?.lastRunStatus ? html`<span class="muted">(${j.state.lastRunStatus})</span>` : nothing}
                      ${j.state?.lastError ? html`<div class="error">${j.state.lastError}</div>` : nothing}
                    </td>
                    <td class="row">
                      ${
                        canUpdate
                          ? html`<button class="small" @click=${() => void this.#toggle(j)}
                            aria-label=${`${j.enabled ? 'Disable' : 'Enable'} ${j.name ?? j.id}`}>
                            ${j.enabled ? 'Disable' : 'Enable'}
                          </button>`
                          : nothing
                      }
                      ${
                        canRun
                          ? html`<button class="small" @click=${() => void this.#run(j)}
                            aria-label=${`Run ${j.name ?? j.id} now`}>Run now</button>`
                          : nothing
                      }
                    </td>
                  </tr>`,
                )}
              </tbody>
            </table>
          </div>`
      }
    </section>`;
  }
}
