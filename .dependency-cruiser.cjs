// Import rules of ARCHITECTURE.md, enforced by `npm run check:imports`.
// Layers (lower may not import higher): shared < protocol, config < subsystems < gateway < ops < cli.
const SUBSYSTEMS = 'routing|sessions|agent|models|tools|skills|memory|scheduler|channels';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
    {
      name: 'shared-imports-nothing',
      comment: 'src/shared is the bottom layer: it imports no other folder of src.',
      severity: 'error',
      from: { path: '^src/shared/' },
      to: { path: '^src/', pathNot: '^src/shared/' },
    },
    {
      name: 'protocol-is-browser-safe',
      comment: 'src/protocol is shared with web/: only typebox, no node builtins.',
      severity: 'error',
      from: { path: '^src/protocol/' },
      to: { pathNot: ['^src/protocol/', 'node_modules/typebox/'] },
    },
    {
      name: 'config-layer',
      severity: 'error',
      from: { path: '^src/config/' },
      to: { path: '^src/', pathNot: '^src/(shared|protocol|config)/' },
    },
    {
      name: 'metrics-imports-only-shared',
      comment: 'src/metrics sits just above shared: any layer may use it, it uses nothing but shared.',
      severity: 'error',
      from: { path: '^src/metrics/' },
      to: { path: '^src/', pathNot: '^src/(shared|metrics)/' },
    },
    {
      name: 'import-sits-below-cli',
      comment: 'src/import (OpenClaw migration) uses config and the subsystems; only the CLI uses it.',
      severity: 'error',
      from: { path: '^src/import/' },
      to: { path: '^src/(gateway|cli|channels)/' },
    },
    {
      name: 'only-cli-imports-import',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(cli|import)/' },
      to: { path: '^src/import/' },
    },
    {
      name: 'subsystems-do-not-import-upward',
      severity: 'error',
      from: { path: `^src/(${SUBSYSTEMS})/` },
      to: { path: '^src/(gateway|cli)/' },
    },
    {
      name: 'only-cli-imports-ops',
      comment: 'src/ops (doctor, audit, service, logs) sits above the subsystems and the gateway, below cli.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(ops|cli)/' },
      to: { path: '^src/ops/' },
    },
    {
      name: 'gateway-does-not-import-cli',
      severity: 'error',
      from: { path: '^src/gateway/' },
      to: { path: '^src/cli/' },
    },
    {
      name: 'only-through-index',
      comment: 'Other folders import a subsystem only through its index.ts.',
      severity: 'error',
      from: { path: '^src/([^/]+)/' },
      to: { path: '^src/([^/]+)/.+', pathNot: ['^src/$1/', '^src/[^/]+/index\\.ts$'] },
    },
    {
      name: 'web-imports-protocol-only',
      severity: 'error',
      from: { path: '^web/' },
      to: { path: '^src/', pathNot: '^src/(protocol|shared)/' },
    },
    {
      name: 'tests-do-not-reach-inside-folders',
      comment: 'Cross-folder tests in test/ use the public index.ts of each folder.',
      severity: 'error',
      from: { path: '^test/' },
      to: { path: '^src/[^/]+/.+', pathNot: '^src/[^/]+/index\\.ts$' },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^dist/|^web/dist/|node_modules)' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.mjs', '.cjs'],
    },
  },
};
