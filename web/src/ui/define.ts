import { CpApp } from './app.js';
import { CpChat } from './chat-view.js';
import { CpComposer } from './composer.js';
import { CpControl } from './control-view.js';
import { CpApprovals } from './panels/approvals-panel.js';
import { CpChannelsPanel } from './panels/channels-panel.js';
import { CpCronPanel } from './panels/cron-panel.js';
import { CpLogsPanel } from './panels/logs-panel.js';
import { CpSessionsPanel } from './panels/sessions-panel.js';
import { CpUsagePanel } from './panels/usage-panel.js';
import { CpSettings } from './settings.js';
import { CpSignIn } from './sign-in.js';

const ELEMENTS: [string, CustomElementConstructor][] = [
  ['cp-app', CpApp],
  ['cp-chat', CpChat],
  ['cp-composer', CpComposer],
  ['cp-control', CpControl],
  ['cp-approvals', CpApprovals],
  ['cp-channels-panel', CpChannelsPanel],
  ['cp-cron-panel', CpCronPanel],
  ['cp-logs-panel', CpLogsPanel],
  ['cp-sessions-panel', CpSessionsPanel],
  ['cp-usage-panel', CpUsagePanel],
  ['cp-settings', CpSettings],
  ['cp-sign-in', CpSignIn],
];

/** Register the custom elements (once; called by main.ts, not at import). */
export function defineElements(registry: CustomElementRegistry = customElements): void {
  for (const [name, ctor] of ELEMENTS) if (!registry.get(name)) registry.define(name, ctor);
}
