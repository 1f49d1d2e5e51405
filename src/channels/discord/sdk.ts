/**
 * Everything the Discord adapter uses of @discordjs/*, in one module the adapter loads with `import()`
 * when the first Discord account starts, so a gateway without Discord accounts never loads the SDK.
 */
export { AllowedMentionsTypes, API } from '@discordjs/core';
export { DiscordAPIError, REST } from '@discordjs/rest';
export { WebSocketShardEvents } from '@discordjs/ws';
export { describeError, isUnknownChannel, toSendError } from './errors.js';
export { createGateway } from './gateway.js';
