import { compileValidator, formatIssues } from '../protocol/index.js';
import { CarapaceError } from '../shared/index.js';
import { type MessageFields, MessageFieldsSchema } from './schema.js';

const checkMessage = compileValidator<MessageFields>(MessageFieldsSchema);

/** The store takes keys as given (routing normalizes them) but never lets a key it could not reload in. */
export function checkKey(sessionKey: string): void {
  if (typeof sessionKey !== 'string' || sessionKey.length === 0 || sessionKey.length > 1024) {
    throw new CarapaceError(
      'INVALID_SESSION_KEY',
      `invalid session key ${JSON.stringify(sessionKey)}: empty or too long`,
      {
        details: { sessionKey },
      },
    );
  }
}

/** Throws INVALID_MESSAGE (with the schema issues) unless `message` is valid transcript message fields. */
export function assertMessage(message: MessageFields): void {
  if (!checkMessage.check(message)) {
    const issues = checkMessage.issues(message);
    throw new CarapaceError('INVALID_MESSAGE', `invalid transcript message: ${formatIssues(issues)}`, {
      details: { issues },
    });
  }
}

/** SESSION_NOT_FOUND for `sessionKey` of `agentId`. */
export function notFound(agentId: string, sessionKey: string): CarapaceError {
  return new CarapaceError('SESSION_NOT_FOUND', `agent '${agentId}' has no session '${sessionKey}'`, {
    details: { agentId, sessionKey },
  });
}
