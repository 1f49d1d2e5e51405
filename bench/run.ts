// `npm run bench`: builds, then prints every benchmark's figures. Record them in bench/README.md.
import { cpus, totalmem } from 'node:os';
import { benchAgent } from './agent.bench.js';
import { benchGateway } from './gateway.bench.js';
import { benchSecurity } from './security.bench.js';
import { benchSessions } from './sessions.bench.js';
import { benchSoak } from './soak.bench.js';

const suites: Record<string, () => Promise<Record<string, string>>> = {
  gateway: benchGateway,
  sessions: benchSessions,
  agent: benchAgent,
  security: benchSecurity,
  soak: benchSoak,
};
/** Long suites (minutes to an hour) run only when named: `npm run bench -- soak`. */
const OPT_IN = new Set(['soak']);
const only = process.argv.slice(2);

console.log(`Carapace benchmarks — ${new Date().toISOString()}`);
console.log(
  `node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB\n`,
);
for (const [name, run] of Object.entries(suites)) {
  if (only.length > 0 ? !only.includes(name) : OPT_IN.has(name)) continue;
  console.log(`## ${name}`);
  const figures = await run();
  const width = Math.max(...Object.keys(figures).map((k) => k.length));
  for (const [k, v] of Object.entries(figures)) console.log(`  ${k.padEnd(width)}  ${v}`);
  console.log();
}
