import { createHmac } from 'node:crypto';
import { sameSecret } from '../../core/same-secret.js';
import { AppError } from '../../core/errors.js';

/** What a Direct Line token grants: one user in one conversation, until it expires. */
export interface TokenClaims {
  conversationId: string;
  userId: string;
  /** Expiry, seconds since the epoch. */
  exp: number;
}

const PREFIX = 'dl1';

/**
 * Conversation-scoped Direct Line tokens: `dl1.<claims>.<hmac>`, HMAC-SHA256 over the claims with the
 * gateway's token secret, so any instance sharing the secret verifies them without a lookup.
 */
export class DirectLineTokens {
  constructor(
    private readonly secret: string,
    private readonly ttlSeconds: number,
    private readonly now: () => number = Date.now,
  ) {}

  issue(conversationId: string, userId: string): { token: string; expiresIn: number } {
    const claims: TokenClaims = { conversationId, userId, exp: Math.floor(this.now() / 1000) + this.ttlSeconds };
    const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
    return { token: `${PREFIX}.${payload}.${this.sign(payload)}`, expiresIn: this.ttlSeconds };
  }

  /** Throws E_UNAUTHORIZED for a token that is not ours, E_TOKEN_EXPIRED (403) for an expired one. */
  verify(token: string): TokenClaims {
    const [prefix, payload, signature, extra] = token.split('.');
    if (
      prefix !== PREFIX ||
      !payload ||
      !signature ||
      extra !== undefined ||
      !this.signatureMatches(payload, signature)
    ) {
      throw new AppError('E_UNAUTHORIZED', 'The token is not valid.');
    }
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as TokenClaims;
    // Direct Line clients treat 403 as "token expired" and ask the page for a new one.
    if (claims.exp * 1000 <= this.now()) throw new AppError('E_TOKEN_EXPIRED', 'The token has expired.');
    return claims;
  }

  private sign(payload: string): string {
    return createHmac('sha256', this.secret).update(payload).digest('base64url');
  }

  private signatureMatches(payload: string, signature: string): boolean {
    return sameSecret(signature, this.sign(payload));
  }
}
