#!/usr/bin/env node
// Bundle src/ into dist/ with esbuild. One bundle (with code splitting, so the CLI's per-command
// `import()`s stay lazy) starts much faster than ~1,000 separate ES modules: TypeBox alone is ~700.
// Type checking is `npm run check`'s job (tsc), not the build's.
//
// A rebuild never pulls files from under a running gateway or CLI: every output file is written beside
// its target and renamed over it (chunk names carry a content hash, so a new build adds chunks rather
// than changing them), the entry point goes last, and chunks of earlier builds are removed only once
// they are an hour old. web/dist is built in a temp folder and its files are moved in the same way.
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { build } from 'esbuild';

const root = new URL('..', import.meta.url).pathname;
const tag = `${process.pid}-${Date.now()}`;
const HOUR = 60 * 60 * 1000;

/** Write `files` ({path, contents}) into place, each via a temp file and a rename; `last` goes last. */
function install(files, last) {
  const ordered = [...files.filter((f) => f.path !== last), ...files.filter((f) => f.path === last)];
  for (const f of ordered) {
    mkdirSync(dirname(f.path), { recursive: true });
    const tmp = `${f.path}.${tag}.tmp`;
    writeFileSync(tmp, f.contents);
    renameSync(tmp, f.path);
  }
}

/** Remove files under `dir` that this build did not write and that are older than an hour. */
function prune(dir, keep) {
  if (!existsSync(dir)) return;
  const now = Date.now();
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    if (keep.has(path) || entry.name === '.build-stamp') continue;
    if (now - statSync(path).mtimeMs > HOUR) rmSync(path, { force: true });
  }
}

const dist = join(root, 'dist');
const result = await build({
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
  write: false,
});
const main = join(dist, 'cli', 'main.js');
install(result.outputFiles, main);
prune(dist, new Set(result.outputFiles.map((f) => f.path)));

// The WebChat / Control UI: web/ → web/dist with Vite (served by the gateway at `/`).
// NODE_ENV picks Lit's production build; a caller's `test` or `development` must not leak in.
process.env.NODE_ENV = 'production';
const { build: viteBuild } = await import('vite');
const webDist = join(root, 'web', 'dist');
const webTmp = join(root, 'web', `.dist-${tag}`);
try {
  await viteBuild({
    configFile: join(root, 'web', 'vite.config.ts'),
    mode: 'production',
    logLevel: 'warn',
    build: { outDir: webTmp, emptyOutDir: true },
  });
  const files = readdirSync(webTmp, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => {
      const from = join(e.parentPath, e.name);
      return { from, path: join(webDist, relative(webTmp, from)) };
    });
  // Hashed assets first, index.html (which names them) last.
  const index = join(webDist, 'index.html');
  for (const f of [...files.filter((f) => f.path !== index), ...files.filter((f) => f.path === index)]) {
    mkdirSync(dirname(f.path), { recursive: true });
    renameSync(f.from, f.path);
  }
  prune(webDist, new Set(files.map((f) => f.path)));
} finally {
  rmSync(webTmp, { recursive: true, force: true });
}
mkdirSync(dist, { recursive: true });
writeFileSync(join(dist, '.build-stamp'), new Date().toISOString());
