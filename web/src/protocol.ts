/**
 * The one place web/ imports the wire contract from: types and constants of src/protocol (browser-safe).
 * Only what the UI needs; no compiled validators (they would try `new Function`, which the CSP forbids).
 */
export type {
  ChatSendParams,
  ConnectParams,
  CronJob,
  ErrorShape,
  EventFrame,
  HelloOk,
  LogsTailResult,
  ResponseFrame,
  SessionRow,
} from '../../src/protocol/index.js';
export { MIN_PROTOCOL_VERSION, PROTOCOL_VERSION } from '../../src/protocol/index.js';
