import { describe, expect, it } from 'vitest';
import { createEnvelopeValidator, foldEnvelopes, type InboundEnvelope, MAX_FOLDED_TEXT } from './envelope.js';

function envelope(text: string, extra: Partial<InboundEnvelope> = {}): InboundEnvelope {
  return {
    source: 'channel',
    channel: 'telegram',
    accountId: 'default',
    peer: { kind: 'dm', id: '42' },
    sender: { id: '42', name: 'Ann' },
    text,
    receivedAt: 1_700_000_000_000,
    ...extra,
  };
}

describe('InboundEnvelopeSchema', () => {
  const validate = createEnvelopeValidator();

  it('accepts a full envelope from every source', () => {
    for (const source of ['channel', 'ws', 'cron', 'hook', 'agent', 'heartbeat'] as const) {
      const env = envelope('hi', {
        source,
        guildId: 'g',
        teamId: 't',
        threadId: 'th',
        mentions: ['bot'],
        media: [{ ref: 'media/1.jpg', mimeType: 'image/jpeg', size: 10 }],
        replyTo: { messageId: 'm0', text: 'earlier' },
        messageId: 'm1',
        idempotencyKey: 'k1',
      });
      expect(validate(env)).toBe(env);
    }
  });

  it('refuses unknown fields and bad kinds with the path of each problem', () => {
    const bad = { ...envelope('hi'), peer: { kind: 'room', id: '1' }, extra: true };
    expect(() => validate(bad)).toThrow(expect.objectContaining({ code: 'INVALID_ENVELOPE' }));
    expect(() => validate(bad)).toThrow(/at root: unexpected property 'extra'/);
    expect(() => validate({ ...envelope('x'), receivedAt: -1 })).toThrow(/at \/receivedAt/);
  });
});

describe('foldEnvelopes', () => {
  it('folds texts into one envelope addressed like the newest', () => {
    const folded = foldEnvelopes([
      envelope('one', { media: [{ ref: 'a' }] }),
      envelope('two\nlines', { messageId: 'm2', sender: { id: '7' } }),
    ]);
    expect(folded.text.split('\n').slice(1)).toEqual(['Ann: one', '7: two lines']);
    expect(folded.messageId).toBe('m2');
    expect(folded.media).toEqual([{ ref: 'a' }]);
  });

  it('stays bounded when folded again and again, dropping the oldest lines', () => {
    let acc = foldEnvelopes([envelope('start')]);
    for (let i = 0; i < 500; i++) acc = foldEnvelopes([acc, envelope(`message number ${i}`)]);
    expect(acc.text.length).toBeLessThanOrEqual(MAX_FOLDED_TEXT);
    expect(acc.text).toContain('Ann: message number 499');
    expect(acc.text).not.toContain('Ann: start');
    expect(acc.text.split('\n').filter((l) => l.startsWith('[queued')).length).toBe(1);
  });
});
