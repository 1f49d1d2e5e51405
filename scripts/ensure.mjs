#!/usr/bin/env node
// Makes `npm start` and `npm test` work on a fresh clone: installs dependencies from the lockfile
// when node_modules is missing or older than the lockfile, and builds dist/ when a source file is newer.
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const run = (cmd, args) => {
  const res = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (res.status !== 0) process.exit(res.status ?? 1);
};
const mtime = (p) => (existsSync(p) ? statSync(p).mtimeMs : 0);
const newest = (dir) => {
  let max = 0;
  if (!existsSync(dir)) return max;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name.endsWith('.ts'))
      max = Math.max(max, mtime(join(entry.parentPath, entry.name)));
  }
  return max;
};

const lockMarker = join(root, 'node_modules', '.package-lock.json');
const linked =
  existsSync(join(root, 'node_modules')) && lstatSync(join(root, 'node_modules')).isSymbolicLink();
if (linked) {
  // A checkout borrowing another one's node_modules (a worktree, a scratch clone): `npm ci` here would
  // empty the other checkout's folder under everyone using it. Leave installing to that checkout.
} else if (!existsSync(lockMarker) || mtime(lockMarker) < mtime(join(root, 'package-lock.json'))) {
  console.error('carapace: installing dependencies (npm ci) …');
  run('npm', ['ci', '--no-audit', '--no-fund']);
}
const stamp = join(root, 'dist', '.build-stamp');
const sources = [
  newest(join(root, 'src')),
  newest(join(root, 'web', 'src')),
  mtime(join(root, 'web', 'index.html')),
  mtime(join(root, 'web', 'vite.config.ts')),
  mtime(join(root, 'scripts', 'build.mjs')),
];
if (mtime(stamp) < Math.max(...sources)) {
  console.error('carapace: building dist/ …');
  run('npm', ['run', '--silent', 'build']);
}
