import type { WAMessage } from 'baileys';
import { describe, expect, it } from 'vitest';
import { createEnvelopeValidator } from '../../routing/index.js';
import { idOfJid, jidKind, jidOfId, normalizeGroupId, normalizeSenderId } from './jid.js';
import { normalizeMessage } from './normalize.js';

const self = { ids: ['15550000000', '98765432100001@lid'] };
const validate = createEnvelopeValidator();

function msg(partial: Partial<WAMessage> & { key: WAMessage['key'] }): WAMessage {
  return partial as WAMessage;
}

describe('whatsapp ids', () => {
  it('maps JIDs to ids and back', () => {
    expect(idOfJid('15551234567:12@s.whatsapp.net')).toBe('15551234567');
    expect(idOfJid('120363012345678901@g.us')).toBe('120363012345678901');
    expect(idOfJid('98765432100001:3@lid')).toBe('98765432100001@lid');
    expect(jidOfId('15551234567')).toBe('15551234567@s.whatsapp.net');
    expect(jidOfId('+1 (555) 123-4567')).toBe('15551234567@s.whatsapp.net');
    expect(jidOfId('120363012345678901')).toBe('120363012345678901@g.us');
    expect(jidOfId('15551234567-1600000000')).toBe('15551234567-1600000000@g.us');
    expect(jidOfId('98765432100001@lid')).toBe('98765432100001@lid');
    expect(jidKind('status@broadcast')).toBe('other');
    expect(jidKind('123@newsletter')).toBe('other');
  });

  it('normalizes config entries to the ids messages carry', () => {
    expect(['+15551234567', '15551234567@s.whatsapp.net', '+1 555-123-4567'].map(normalizeSenderId)).toEqual([
      '15551234567',
      '15551234567',
      '15551234567',
    ]);
    expect(normalizeSenderId('*')).toBe('*');
    expect(normalizeGroupId('120363012345678901@g.us')).toBe('120363012345678901');
  });
});

describe('normalizeMessage', () => {
  it('maps a DM to a valid envelope with the phone number as peer and sender', () => {
    const env = normalizeMessage(
      msg({
        key: { remoteJid: '15551234567@s.whatsapp.net', id: 'ABC1', fromMe: false },
        pushName: 'Ann',
        message: { conversation: 'hello there' },
      }),
      'default',
      self,
      1000,
    );
    expect(validate(env)).toEqual({
      source: 'channel',
      channel: 'whatsapp',
      accountId: 'default',
      peer: { kind: 'dm', id: '15551234567' },
      sender: { id: '15551234567', name: 'Ann' },
      text: 'hello there',
      messageId: 'ABC1',
      receivedAt: 1000,
      idempotencyKey: 'whatsapp:default:15551234567@s.whatsapp.net:ABC1',
    });
  });

  it('prefers the phone number when a DM arrives from a linked id (@lid)', () => {
    const env = normalizeMessage(
      msg({
        key: {
          remoteJid: '22223333444455@lid',
          remoteJidAlt: '15551234567@s.whatsapp.net',
          id: 'ABC2',
          fromMe: false,
        },
        message: { extendedTextMessage: { text: 'via lid' } },
      }),
      'default',
      self,
      1,
    );
    expect(env?.peer).toEqual({ kind: 'dm', id: '15551234567' });
    expect(env?.sender.id).toBe('15551234567');
    const lidOnly = normalizeMessage(
      msg({
        key: { remoteJid: '22223333444455@lid', id: 'ABC3', fromMe: false },
        message: { conversation: 'x' },
      }),
      'default',
      self,
      1,
    );
    expect(lidOnly?.sender.id).toBe('22223333444455@lid');
  });

  it('maps a group message: group peer, participant sender, mentions (by phone or lid) and quotes', () => {
    const env = normalizeMessage(
      msg({
        key: {
          remoteJid: '120363012345678901@g.us',
          participant: '15557654321@s.whatsapp.net',
          id: 'G1',
          fromMe: false,
        },
        pushName: 'Bob',
        message: {
          extendedTextMessage: {
            text: '@98765432100001 what do you think?',
            contextInfo: {
              mentionedJid: ['98765432100001@lid', '15559999999@s.whatsapp.net'],
              stanzaId: 'Q1',
              participant: '15550000000@s.whatsapp.net',
              quotedMessage: { conversation: 'an earlier answer' },
            },
          },
        },
      }),
      'default',
      self,
      5,
    );
    expect(validate(env)).toMatchObject({
      peer: { kind: 'group', id: '120363012345678901' },
      sender: { id: '15557654321', name: 'Bob' },
      mentions: ['98765432100001@lid', '15559999999', '15550000000'],
      replyTo: { messageId: 'Q1', senderId: '15550000000', text: 'an earlier answer' },
    });
  });

  it('reads captions of media (inside a disappearing-message wrapper) and lists the media', () => {
    const env = normalizeMessage(
      msg({
        key: { remoteJid: '15551234567@s.whatsapp.net', id: 'M1', fromMe: false },
        message: {
          ephemeralMessage: {
            message: { imageMessage: { caption: 'look at this', mimetype: 'image/jpeg', fileLength: 2048 } },
          },
        },
      }),
      'default',
      self,
      1,
    );
    expect(env?.text).toBe('look at this');
    expect(env?.media).toEqual([{ ref: 'whatsapp:media:M1', mimeType: 'image/jpeg', size: 2048 }]);
  });

  it('ignores own messages, status posts, protocol messages, reactions and empty messages', () => {
    const base = { id: 'X', fromMe: false };
    const cases: WAMessage[] = [
      msg({
        key: { ...base, remoteJid: '1555@s.whatsapp.net', fromMe: true },
        message: { conversation: 'me' },
      }),
      msg({ key: { ...base, remoteJid: 'status@broadcast' }, message: { conversation: 'status' } }),
      msg({ key: { ...base, remoteJid: '1555@s.whatsapp.net' }, message: { protocolMessage: { type: 0 } } }),
      msg({
        key: { ...base, remoteJid: '1555@s.whatsapp.net' },
        message: { reactionMessage: { text: '👍', key: { id: 'Y' } } },
      }),
      msg({ key: { ...base, remoteJid: '1555@s.whatsapp.net' }, message: {} }),
      msg({ key: { ...base, remoteJid: '120363@g.us' }, message: { conversation: 'no participant' } }),
    ];
    for (const c of cases) expect(normalizeMessage(c, 'default', self, 1)).toBeUndefined();
  });
});
