import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { ConversationBroker } from '../../assistant/broker.js';
import type { DirectLineTokens } from './tokens.js';
import { limitPerClientAddress } from '../inbound-guards.js';
import { emptyBodyIsEmptyObject, openWebChatConversation, SMALL_BODY_LIMIT } from './direct-line.js';
import { ErrorBody } from './schemas.js';

export interface GuestTokenOptions {
  broker: ConversationBroker;
  tokens: DirectLineTokens;
  /** Sessions one client address may open per minute (429 beyond). */
  perMinute: number;
  /** Requests one client address may make per minute to this route, whatever they ask (429 beyond). */
  ipPerMinute: number;
}

const GuestSession = Type.Object({
  conversationId: Type.String(),
  token: Type.String(),
  expires_in: Type.Integer(),
  userId: Type.String(),
});

/**
 * The web chat page's own token endpoint. Citizens are anonymous guests: each call opens a new
 * conversation and returns a token for it alone, so the page never holds the Direct Line secret.
 */
export const guestTokenRoute: FastifyPluginAsyncTypebox<GuestTokenOptions> = async (
  app,
  { broker, tokens, perMinute, ipPerMinute },
) => {
  limitPerClientAddress(app, 'webchat-token', ipPerMinute);
  app.post(
    '/webchat/token',
    {
      schema: {
        tags: ['Web chat'],
        summary: 'Open a conversation for an anonymous citizen and return its Direct Line token',
        body: Type.Optional(Type.Object({ locale: Type.Optional(Type.String({ maxLength: 35 })) })),
        response: { 200: GuestSession, 400: ErrorBody, 413: ErrorBody, 429: ErrorBody },
      },
      // Each call creates a conversation: limit per client address.
      config: { rateLimit: { max: perMinute, timeWindow: 60_000, hook: 'onRequest' } },
      preValidation: emptyBodyIsEmptyObject,
      // A locale at most: 4 KB.
      bodyLimit: SMALL_BODY_LIMIT,
    },
    async (request) => {
      // Never a caller-chosen user id: a guest is always a new anonymous user.
      const opened = await openWebChatConversation(broker, tokens, { locale: request.body?.locale });
      return {
        conversationId: opened.conversationId,
        token: opened.token,
        expires_in: opened.expiresIn,
        userId: opened.userId,
      };
    },
  );
};
