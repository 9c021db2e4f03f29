import { describe, expect, it } from 'vitest';
import { DirectLineTokens } from './tokens.js';

const SECRET = 'x'.repeat(48);

describe('DirectLineTokens', () => {
  it('issues a token that verifies to its conversation and user', () => {
    const tokens = new DirectLineTokens(SECRET, 3600);
    const { token, expiresIn } = tokens.issue('conv-1', 'dl_user');
    expect(expiresIn).toBe(3600);
    expect(tokens.verify(token)).toMatchObject({ conversationId: 'conv-1', userId: 'dl_user' });
  });

  it('rejects a token signed with another secret as unauthorized (401)', () => {
    const { token } = new DirectLineTokens('y'.repeat(48), 3600).issue('conv-1', 'u');
    expect(() => new DirectLineTokens(SECRET, 3600).verify(token)).toThrow(
      expect.objectContaining({ code: 'E_UNAUTHORIZED', statusCode: 401 }),
    );
  });

  it('rejects a token whose claims were edited', () => {
    const tokens = new DirectLineTokens(SECRET, 3600);
    const [prefix, , signature] = tokens.issue('conv-1', 'u').token.split('.');
    const forged = Buffer.from(JSON.stringify({ conversationId: 'conv-2', userId: 'u', exp: 9e9 })).toString(
      'base64url',
    );
    expect(() => tokens.verify(`${prefix}.${forged}.${signature}`)).toThrow(
      expect.objectContaining({ code: 'E_UNAUTHORIZED' }),
    );
  });

  it.each(['', 'garbage', 'dl1..', 'dl1.a.b.c'])('rejects malformed token %j', (token) => {
    expect(() => new DirectLineTokens(SECRET, 3600).verify(token)).toThrow(
      expect.objectContaining({ code: 'E_UNAUTHORIZED' }),
    );
  });

  it('rejects an expired token with 403, as Direct Line clients expect', () => {
    let now = Date.parse('2026-11-23T00:00:00Z');
    const tokens = new DirectLineTokens(SECRET, 60, () => now);
    const { token } = tokens.issue('conv-1', 'u');
    now += 61_000;
    expect(() => tokens.verify(token)).toThrow(expect.objectContaining({ code: 'E_TOKEN_EXPIRED', statusCode: 403 }));
  });
});
