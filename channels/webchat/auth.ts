import { sameSecret } from '../../core/same-secret.js';
import type { FastifyRequest } from 'fastify';
import { AppError } from '../../core/errors.js';
import type { DirectLineTokens, TokenClaims } from './tokens.js';

/** A Direct Line caller: the bot owner with the secret (any conversation) or a client with a token (one). */
export type Caller = { kind: 'secret' } | { kind: 'token'; claims: TokenClaims };

export class DirectLineAuth {
  private readonly secret?: Buffer;

  constructor(
    readonly tokens: DirectLineTokens,
    secret?: string,
  ) {
    this.secret = secret ? Buffer.from(secret) : undefined;
  }

  /** From `Authorization: Bearer …`, or `?t=` on a stream URL (browsers cannot set WebSocket headers). */
  authenticate(request: FastifyRequest, allowQueryToken = false): Caller {
    const header = request.headers.authorization;
    const bearer = header?.match(/^Bearer\s+(\S+)$/i)?.[1];
    const fromQuery = allowQueryToken ? (request.query as { t?: string }).t : undefined;
    const credential = bearer ?? fromQuery;
    if (!credential) throw new AppError('E_UNAUTHORIZED', 'Missing credentials: send "Authorization: Bearer <token>".');
    if (this.isSecret(credential)) return { kind: 'secret' };
    return { kind: 'token', claims: this.tokens.verify(credential) };
  }

  /** A token reaches only its own conversation: 403 before any lookup, so ids of others are not revealed. */
  authorizeConversation(caller: Caller, conversationId: string): void {
    if (caller.kind === 'token' && caller.claims.conversationId !== conversationId) {
      throw new AppError('E_FORBIDDEN', 'The token does not grant access to this conversation.');
    }
  }

  requireSecret(caller: Caller): void {
    if (caller.kind !== 'secret') throw new AppError('E_FORBIDDEN', 'This operation needs the Direct Line secret.');
  }

  private isSecret(credential: string): boolean {
    return this.secret !== undefined && sameSecret(credential, this.secret);
  }
}
