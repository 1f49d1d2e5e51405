/**
 * shared: the bottom layer. Ids, the clock port, coded errors, atomic file writes, small async helpers.
 * Imports nothing from the rest of src.
 */

export { AppendLog, AppendLogPool } from './append-log.js';
export type { AtomicWriteOptions } from './atomic-file.js';
export { appendFileDurable, backupFile, syncDir, writeFileAtomic } from './atomic-file.js';
export { BoundedMap } from './bounded-map.js';
export type { Clock } from './clock.js';
export { systemClock } from './clock.js';
export type { Deferred } from './deferred.js';
export { deferred, sleep } from './deferred.js';
export { nestedDeeperThan } from './depth.js';
export type { CarapaceErrorOptions } from './errors.js';
export { CarapaceError, errnoCode, errorMessage, isCarapaceError } from './errors.js';
export { TextFileCache } from './file-cache.js';
export { newId, newToken, shortId } from './ids.js';
export type { LockInfo, LockState } from './lock-file.js';
export { processAlive, readLockFile } from './lock-file.js';
export { isLoopbackAddress } from './loopback.js';
export { moduleExports } from './module-exports.js';
