import { randomBytes } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { ConversationBroker } from '../../assistant/broker.js';
import type { Activity } from '../../core/activity.js';
import { AppError } from '../../core/errors.js';
import { limitPerClientAddress, storableJson } from '../inbound-guards.js';
import { DirectLineAuth, type Caller } from './auth.js';
import type { DirectLineTokens } from './tokens.js';
import {
  ActivitySet,
  Conversation,
  ConversationParams,
  ErrorBody,
  InboundActivity,
  ResourceResponse,
  StartConversationBody,
  TokenResponse,
  WatermarkQuery,
} from './schemas.js';
import { streamActivities } from './stream.js';

/** Direct Line's channel id for Web Chat clients. */
export const WEBCHAT_CHANNEL = 'webchat';

export interface DirectLineOptions {
  broker: ConversationBroker;
  auth: DirectLineAuth;
  /** Public base URL (behind a proxy); otherwise stream URLs are built from the request's host. */
  publicUrl?: string;
  /** Activities one conversation may post per minute (429 beyond). */
  messagesPerMinute: number;
  /** Requests one client address may make per minute to these routes, streams included (429 beyond). */
  ipPerMinute: number;
}

/**
 * Body limits. Starting a conversation or a token takes a user id, name and locale: 4 KB. An activity
 * takes at most 8,000 characters of text (48 KB when a client writes Chinese as \u escapes) with
 * attachments' metadata, entities and channelData beside it (files go to /upload, never inline): 64 KB.
 */
export const SMALL_BODY_LIMIT = 4 * 1024;
export const ACTIVITY_BODY_LIMIT = 64 * 1024;

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 413: ErrorBody };
const tags = ['Direct Line 3.0'];

/** Clients start conversations with no body at all; validate that as `{}`. */
export const emptyBodyIsEmptyObject = async (request: FastifyRequest) => {
  request.body ??= {};
};

export const newUserId = () => `dl_${randomBytes(12).toString('base64url')}`;

export interface OpenedConversation {
  conversationId: string;
  userId: string;
  token: string;
  expiresIn: number;
}

/** A new web chat conversation and a token for its user (a new anonymous id unless one is given). */
export async function openWebChatConversation(
  broker: ConversationBroker,
  tokens: DirectLineTokens,
  input: { user?: { id?: string; name?: string }; locale?: string } = {},
): Promise<OpenedConversation> {
  const { user, locale } = storableJson(input) as typeof input;
  const userId = user?.id ?? newUserId();
  const conversation = await broker.startConversation({
    channelId: WEBCHAT_CHANNEL,
    user: { id: userId, name: user?.name },
    locale,
  });
  return { conversationId: conversation.id, userId, ...tokens.issue(conversation.id, userId) };
}

/**
 * A Direct Line 3.0 server (the REST and WebSocket protocol of Azure Bot Service), so the official
 * botframework-webchat and botframework-directlinejs clients talk to the gateway unchanged.
 * https://learn.microsoft.com/azure/bot-service/rest-api/bot-framework-rest-direct-line-3-0-api-reference
 */
export const directLineRoutes: FastifyPluginAsyncTypebox<DirectLineOptions> = async (app, options) => {
  const { broker, auth } = options;
  limitPerClientAddress(app, 'directline', options.ipPerMinute);

  const streamUrl = (request: FastifyRequest, conversationId: string, token: string, watermark?: string) => {
    const base = options.publicUrl ?? `${request.protocol}://${request.host}`;
    const url = new URL(`/v3/directline/conversations/${encodeURIComponent(conversationId)}/stream`, base);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    url.searchParams.set('t', token);
    if (watermark) url.searchParams.set('watermark', watermark);
    return url.toString();
  };

  /** A conversation with its token and a stream URL that resumes after `watermark`. */
  const conversationResponse = (
    request: FastifyRequest,
    conversationId: string,
    token: string,
    expiresIn: number,
    watermark?: string,
  ) => ({
    conversationId,
    token,
    expires_in: expiresIn,
    streamUrl: streamUrl(request, conversationId, token, watermark),
  });

  /** The caller's conversation, after the token check (403) and the existence check (404). */
  const conversationFor = async (caller: Caller, conversationId: string) => {
    auth.authorizeConversation(caller, conversationId);
    const conversation = await broker.getConversation(conversationId);
    if (!conversation) throw new AppError('E_NOT_FOUND', `Conversation ${conversationId} does not exist.`);
    return conversation;
  };

  /** A fresh token for the caller's user; a secret holder reconnecting gets one for a new anonymous user. */
  const tokenFor = (caller: Caller, conversationId: string) =>
    auth.tokens.issue(conversationId, caller.kind === 'token' ? caller.claims.userId : newUserId());

  app.post(
    '/tokens/generate',
    {
      schema: {
        tags,
        summary: 'Generate a token for a new conversation (needs the Direct Line secret)',
        body: StartConversationBody,
        response: { 200: TokenResponse, ...errors },
      },
      preValidation: emptyBodyIsEmptyObject,
      bodyLimit: SMALL_BODY_LIMIT,
    },
    async (request) => {
      auth.requireSecret(auth.authenticate(request));
      const { conversationId, token, expiresIn } = await openWebChatConversation(broker, auth.tokens, request.body);
      return { conversationId, token, expires_in: expiresIn };
    },
  );

  app.post(
    '/tokens/refresh',
    {
      schema: { tags, summary: 'Refresh a token before it expires', response: { 200: TokenResponse, ...errors } },
      bodyLimit: SMALL_BODY_LIMIT,
    },
    async (request) => {
      const caller = auth.authenticate(request);
      if (caller.kind !== 'token') throw new AppError('E_BAD_REQUEST', 'Only a token can be refreshed.');
      await conversationFor(caller, caller.claims.conversationId);
      const { token, expiresIn } = tokenFor(caller, caller.claims.conversationId);
      return { conversationId: caller.claims.conversationId, token, expires_in: expiresIn };
    },
  );

  app.post(
    '/conversations',
    {
      schema: {
        tags,
        summary: "Start a conversation (secret), or open the token's conversation (token)",
        body: StartConversationBody,
        response: { 200: Conversation, 201: Conversation, ...errors },
      },
      preValidation: emptyBodyIsEmptyObject,
      bodyLimit: SMALL_BODY_LIMIT,
    },
    async (request, reply) => {
      const caller = auth.authenticate(request);
      if (caller.kind === 'token') {
        const conversation = await conversationFor(caller, caller.claims.conversationId);
        const { token, expiresIn } = tokenFor(caller, conversation.id);
        return conversationResponse(request, conversation.id, token, expiresIn);
      }
      const opened = await openWebChatConversation(broker, auth.tokens, request.body);
      reply.code(201);
      return conversationResponse(request, opened.conversationId, opened.token, opened.expiresIn);
    },
  );

  app.get(
    '/conversations/:conversationId',
    {
      schema: {
        tags,
        summary: 'Reconnect: a fresh token and stream URL that resumes after the watermark',
        params: ConversationParams,
        querystring: WatermarkQuery,
        response: { 200: Conversation, ...errors },
      },
    },
    async (request) => {
      const caller = auth.authenticate(request);
      const conversation = await conversationFor(caller, request.params.conversationId);
      const { token, expiresIn } = tokenFor(caller, conversation.id);
      return conversationResponse(request, conversation.id, token, expiresIn, request.query.watermark);
    },
  );

  app.get(
    '/conversations/:conversationId/activities',
    {
      schema: {
        tags,
        summary: 'Activities after the watermark (polling)',
        params: ConversationParams,
        querystring: WatermarkQuery,
        response: { 200: ActivitySet, ...errors },
      },
    },
    async (request) => {
      const caller = auth.authenticate(request);
      const conversation = await conversationFor(caller, request.params.conversationId);
      const page = await broker.activitiesAfter(conversation.id, Number(request.query.watermark || 0));
      return { activities: page.activities, watermark: String(page.watermark) };
    },
  );

  app.post(
    '/conversations/:conversationId/activities',
    {
      schema: {
        tags,
        summary: 'Send an activity to the bot',
        params: ConversationParams,
        body: InboundActivity,
        response: { 200: ResourceResponse, ...errors, 429: ErrorBody },
      },
      bodyLimit: ACTIVITY_BODY_LIMIT,
      // Per conversation, before the body is read: a flood costs neither parsing nor storage.
      config: {
        rateLimit: {
          max: options.messagesPerMinute,
          timeWindow: 60_000,
          hook: 'onRequest',
          keyGenerator: (request) => `messages:${(request.params as { conversationId: string }).conversationId}`,
        },
      },
    },
    async (request) => {
      const caller = auth.authenticate(request);
      // No lookup first: storing the activity answers 404 itself for an unknown conversation.
      auth.authorizeConversation(caller, request.params.conversationId);
      const conversation = { id: request.params.conversationId };
      // What the database cannot store (NUL, lone surrogates) is replaced; absurd nesting is refused.
      const body = storableJson(request.body) as InboundActivity;
      // The sender is whoever the token names; a secret holder must say who is speaking.
      const fromId = caller.kind === 'token' ? caller.claims.userId : body.from?.id;
      if (!fromId) throw new AppError('E_VALIDATION', 'from.id is required when posting with the secret.');
      if (body.type === 'typing') {
        // Not stored: the agent who has the conversation sees it as an indicator.
        await broker.typing(conversation.id, { id: fromId, name: body.from?.name ?? '', role: 'user' });
        return { id: `${conversation.id}|typing` };
      }
      const clientActivityId = body.channelData?.clientActivityID;
      const activity: Activity = {
        type: body.type,
        channelId: WEBCHAT_CHANNEL,
        conversation: { id: conversation.id },
        from: { id: fromId, name: body.from?.name ?? '', role: 'user' },
        text: body.text,
        textFormat: body.textFormat,
        locale: body.locale,
        name: body.name,
        value: body.value,
        channelData: body.channelData,
        attachments: body.attachments as Activity['attachments'],
        entities: body.entities as Activity['entities'],
      };
      const { activity: stored } = await broker.receive(activity, {
        // Web Chat re-posts with the same clientActivityID after a network error: that is a retry.
        channelMessageId: typeof clientActivityId === 'string' ? `${conversation.id}:${clientActivityId}` : null,
      });
      return { id: stored.id };
    },
  );

  app.post(
    '/conversations/:conversationId/upload',
    {
      schema: {
        tags,
        summary: 'Upload attachments (not supported yet)',
        params: ConversationParams,
        response: { ...errors, 501: ErrorBody },
      },
    },
    async (request) => {
      await conversationFor(auth.authenticate(request), request.params.conversationId);
      throw new AppError('E_NOT_IMPLEMENTED', 'File upload is not supported yet; please describe the matter in text.');
    },
  );

  app.get(
    '/conversations/:conversationId/stream',
    {
      websocket: true,
      schema: {
        tags,
        summary: 'WebSocket stream of activity sets; replays everything after the watermark on connect',
        params: ConversationParams,
        querystring: WatermarkQuery,
      },
      // Runs before the upgrade, so a bad token is an HTTP 401/403 rather than an opened-then-closed socket.
      preValidation: async (request) => {
        const { conversationId } = request.params as { conversationId: string };
        await conversationFor(auth.authenticate(request, true), conversationId);
      },
    },
    (socket, request) => {
      const { conversationId } = request.params as { conversationId: string };
      const watermark = Number((request.query as { watermark?: string }).watermark || 0);
      streamActivities({ socket, broker, conversationId, watermark, logger: request.log });
    },
  );
};
