#!/usr/bin/env node
// Bundle src/ into dist/ with esbuild. One bundle (with code splitting, so the CLI's per-command
// `import()`s stay lazy) starts much faster than ~1,000 separate ES modules: TypeBox alone is ~700.
// Type checking is `npm run check`'s job (tsc), not the build's.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

const root = new URL('..', import.meta.url).pathname;
rmSync(join(root, 'dist'), { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: { 'cli/main': 'src/cli/main.ts' },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  chunkNames: 'cli/chunks/[name]-[hash]',
  sourcemap: 'linked',
  // Optional native helpers of ws: absent is fine, and they must not be bundled.
  external: ['bufferutil', 'utf-8-validate'],
  // CommonJS dependencies (pino, ws …) call require(); give the ES bundle one.
  banner: {
    js: "import { createRequire as __carapaceCreateRequire } from 'node:module'; const require = __carapaceCreateRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
// The WebChat / Control UI: web/ → web/dist with Vite (served by the gateway at `/`).
// NODE_ENV picks Lit's production build; a caller's `test` or `development` must not leak in.
process.env.NODE_ENV = 'production';
const { build: viteBuild } = await import('vite');
await viteBuild({ configFile: join(root, 'web', 'vite.config.ts'), mode: 'production', logLevel: 'warn' });
mkdirSync(join(root, 'dist'), { recursive: true });
writeFileSync(join(root, 'dist', '.build-stamp'), new Date().toISOString());
