import { spawnSync } from 'node:child_process';

/**
 * Tests that start the real CLI or gateway as a child process run the built bundle (dist/), so make
 * sure it is fresh: scripts/ensure.mjs installs and builds only when something changed.
 */
export default function setup(): void {
  const res = spawnSync(process.execPath, ['scripts/ensure.mjs'], { stdio: 'inherit' });
  if (res.status !== 0) throw new Error('building dist/ for the tests failed (node scripts/ensure.mjs)');
}
