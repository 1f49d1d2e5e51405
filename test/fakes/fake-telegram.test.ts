import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeTelegram, parseTelegramHtml } from './fake-telegram.js';

async function call(fake: FakeTelegram, method: string, payload: unknown = {}, token = fake.token) {
  const res = await fetch(`${fake.apiRoot}/bot${token}/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(payload),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('FakeTelegram', () => {
  let fake: FakeTelegram;
  beforeEach(async () => {
    fake = await FakeTelegram.start();
  });
  afterEach(async () => {
    await fake.close();
  });

  it('answers getMe and refuses a wrong token with 401', async () => {
    expect((await call(fake, 'getMe')).body).toMatchObject({
      ok: true,
      result: { username: fake.bot.username, is_bot: true },
    });
    expect(await call(fake, 'getMe', {}, 'nope')).toEqual({
      status: 401,
      body: { ok: false, error_code: 401, description: 'Unauthorized' },
    });
  });

  it('long-polls getUpdates and drops updates confirmed by a later offset', async () => {
    const polling = call(fake, 'getUpdates', { offset: 0, timeout: 5 });
    const id = fake.userMessage({ from: { id: 9, first_name: 'Nine' }, text: 'hi' });
    const first = (await polling).body.result as {
      update_id: number;
      message: { message_id: number; text: string };
    }[];
    expect(first).toHaveLength(1);
    expect(first[0]?.message).toMatchObject({ message_id: id, text: 'hi' });
    const again = (await call(fake, 'getUpdates', { offset: (first[0]?.update_id ?? 0) + 1, timeout: 0 }))
      .body;
    expect(again.result).toEqual([]);
    expect(fake.pendingUpdates).toBe(0);
  });

  it('records visible messages, checks HTML and length, and scripts 429, errors and lost responses', async () => {
    expect(
      (await call(fake, 'sendMessage', { chat_id: 5, text: '<b>hi</b>', parse_mode: 'HTML' })).body.ok,
    ).toBe(true);
    expect((await call(fake, 'sendMessage', { chat_id: 5, text: '<b>hi', parse_mode: 'HTML' })).status).toBe(
      400,
    );
    expect((await call(fake, 'sendMessage', { chat_id: 5, text: 'x'.repeat(4097) })).status).toBe(400);
    fake.script('sendMessage', { status: 429, retryAfter: 3 }, { drop: true });
    expect(await call(fake, 'sendMessage', { chat_id: 5, text: 'a' })).toMatchObject({
      status: 429,
      body: { ok: false, error_code: 429, parameters: { retry_after: 3 } },
    });
    await expect(call(fake, 'sendMessage', { chat_id: 5, text: 'lost' })).rejects.toThrow();
    expect(fake.inChat(5).map((m) => m.text)).toEqual(['<b>hi</b>', 'lost']);
    await call(fake, 'sendChatAction', { chat_id: 5, action: 'typing' });
    await call(fake, 'setMessageReaction', {
      chat_id: 5,
      message_id: 1,
      reaction: [{ type: 'emoji', emoji: '👀' }],
    });
    expect(fake.chatActions).toEqual([{ chatId: '5', action: 'typing' }]);
    expect(fake.reactions).toEqual([{ chatId: '5', messageId: 1, emoji: '👀' }]);
  });

  it('parses Telegram HTML like the Bot API would', () => {
    expect(parseTelegramHtml('<b>a &amp; <i>b</i></b> &lt;3')).toBe('a & b <3');
    expect(parseTelegramHtml('<b>a <i>b</b></i>')).toBeUndefined();
    expect(parseTelegramHtml('<div>x</div>')).toBeUndefined();
    expect(parseTelegramHtml('a & b')).toBeUndefined();
  });
});
