import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { StatePaths } from '../config/index.js';
import { type Clock, errnoCode, systemClock } from '../shared/index.js';
import { accountFileName, accountPaths } from './account.js';
import type { PairingApproveResult, PairingListEntry } from './manager-types.js';
import { PairingStore } from './pairing.js';
import { approveResult, pairingCodeNotFound, pendingEntries } from './pairing-views.js';

/**
 * Pairing without a gateway: read and approve codes straight in the state dir's pairing files
 * (`credentials/<channel>/<account>-pairing.json`). Only safe while no gateway runs on that state dir:
 * a running gateway keeps these files in memory and would write over the change. The approved sender
 * is not told (a gateway sends that message); their next DM is simply answered.
 */

const SUFFIX = '-pairing.json';

async function entries(dir: string): Promise<{ name: string; isDirectory(): boolean }[]> {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') return [];
    throw err;
  }
}

/** Account ids with a pairing file for `channel`, sorted. */
async function pairingAccounts(paths: StatePaths, channel: string): Promise<string[]> {
  const dir = join(paths.credentialsDir, accountFileName(channel));
  const out: string[] = [];
  for (const e of await entries(dir)) {
    if (e.isDirectory() || !e.name.endsWith(SUFFIX)) continue;
    try {
      out.push(decodeURIComponent(e.name.slice(0, -SUFFIX.length)));
    } catch {
      // Not a name this module wrote.
    }
  }
  return out.sort();
}

/** Channels with a pairing folder in the state dir, sorted. */
async function pairingChannels(paths: StatePaths): Promise<string[]> {
  const out: string[] = [];
  for (const e of await entries(paths.credentialsDir)) {
    if (!e.isDirectory()) continue;
    try {
      const channel = decodeURIComponent(e.name);
      if ((await pairingAccounts(paths, channel)).length > 0) out.push(channel);
    } catch {
      // Not a channel folder.
    }
  }
  return out.sort();
}

/** Live pending pairing codes from the state dir (all channels, or one), oldest first per account. */
export async function listPairingInState(
  paths: StatePaths,
  channel?: string,
  clock: Clock = systemClock,
): Promise<PairingListEntry[]> {
  const out: PairingListEntry[] = [];
  for (const ch of channel ? [channel] : await pairingChannels(paths)) {
    for (const accountId of await pairingAccounts(paths, ch)) {
      const store = await PairingStore.open(accountPaths(paths, ch, accountId).pairing, clock);
      out.push(...pendingEntries(ch, accountId, store));
    }
  }
  return out;
}

/**
 * Approve a pending code in the state dir's pairing file of `channel` (one account, or whichever holds
 * the code). Throws PAIRING_CODE_NOT_FOUND, like `pairing.approve`, when no live code matches.
 */
export async function approvePairingInState(
  paths: StatePaths,
  req: { channel: string; code: string; accountId?: string | undefined },
  clock: Clock = systemClock,
): Promise<PairingApproveResult> {
  const known = await pairingAccounts(paths, req.channel);
  const accounts = req.accountId === undefined ? known : known.filter((a) => a === req.accountId);
  for (const accountId of accounts) {
    const file = accountPaths(paths, req.channel, accountId).pairing;
    const store = await PairingStore.open(file, clock);
    const found = await store.approve(req.code);
    if (!found) continue;
    return approveResult(req.channel, accountId, found.approved);
  }
  throw pairingCodeNotFound(req.channel, req.code);
}
