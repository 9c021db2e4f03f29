import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import type { ConversationBroker } from '../assistant/broker.js';
import { followConversation } from '../channels/follow-conversation.js';
import { limitPerClientAddress, storableText } from '../channels/inbound-guards.js';
import { DESK_TOPIC, type DeskEvent, type HandoffService } from './handoff-service.js';
import { Invitations } from './invitations.js';

export interface JoinRoutesOptions {
  handoffs: HandoffService;
  broker: ConversationBroker;
  messagesPerMinute?: number;
  /** Requests one client address may make per minute to the join links (429 beyond). */
  ipPerMinute: number;
}

/** A message is at most 4,000 characters (24 KB written as \u escapes) and a name: 32 KB. */
const MESSAGE_BODY_LIMIT = 32 * 1024;

const tags = ['desk'];
const Token = Type.Object({ token: Type.String({ minLength: 16, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' }) });
const Message = Type.Object({
  text: Type.String({ minLength: 1, maxLength: 4000 }),
  name: Type.Optional(Type.String({ maxLength: 32 })),
});

/**
 * Three-party for text channels: department staff open the invitation link an agent made (no account;
 * the unguessable, time-limited token is the credential), read the conversation and write to the citizen.
 * The link stops working when it expires, or when the agent hands back or closes.
 */
export const joinRoutes: FastifyPluginAsyncTypebox<JoinRoutesOptions> = async (
  app,
  { handoffs, broker, messagesPerMinute, ipPerMinute },
) => {
  limitPerClientAddress(app, 'join', ipPerMinute);
  const invitations = new Invitations(handoffs);
  app.get(
    '/:token',
    { schema: { tags, summary: 'An invitation: the department and the conversation so far', params: Token } },
    async (request) => {
      const invite = await invitations.invitation(request.params.token);
      const [page, citizen] = await Promise.all([
        broker.activitiesAfter(invite.conversationId, 0, 1000),
        broker.citizenOf(invite.conversationId),
      ]);
      return {
        department: invite.department,
        expiresAt: invite.expiresAt,
        citizenName: citizen?.name ?? '',
        transcript: page.activities.filter((a) => a.type === 'message'),
        // Consulted privately: the department writes notes to the agents, and sees theirs.
        private: invite.private,
        notes: invite.private ? ((await handoffs.store.get(invite.handoffId))?.notes ?? []) : [],
      };
    },
  );

  app.post(
    '/:token/messages',
    {
      schema: {
        tags,
        summary: 'Department staff write to the citizen (or, consulted privately, a note to the agents)',
        params: Token,
        body: Message,
      },
      bodyLimit: MESSAGE_BODY_LIMIT,
      config: {
        rateLimit: {
          max: messagesPerMinute ?? 30,
          timeWindow: 60_000,
          keyGenerator: (request) => `join:${(request.params as { token: string }).token}`,
        },
      },
    },
    async (request) => {
      const { text, name } = request.body;
      const sent = await invitations.departmentMessage(
        request.params.token,
        storableText(text),
        name === undefined ? undefined : storableText(name),
      );
      return 'note' in sent ? { note: sent.note } : { id: sent.id };
    },
  );

  app.get(
    '/:token/stream',
    { websocket: true, schema: { hide: true, params: Token } },
    async (socket: WebSocket, request: FastifyRequest) => {
      let invite;
      try {
        invite = await invitations.invitation((request.params as { token: string }).token);
      } catch {
        return socket.close(1008, 'invitation not valid');
      }
      const stop = followConversation({
        broker,
        conversationId: invite.conversationId,
        after: 0,
        deliver: (activities) => socket.send(JSON.stringify({ type: 'activities', activities })),
        onError: () => socket.close(1011, 'read failed'),
      });
      const handoffId = invite.handoffId;
      const stopNotes = invite.private
        ? handoffs.busEvents(DESK_TOPIC, (payload) => {
            const event = payload as DeskEvent;
            if (event.kind === 'note' && event.handoffId === handoffId)
              socket.send(JSON.stringify({ type: 'note', note: event.note }));
          })
        : () => {};
      socket.on('close', () => {
        stop();
        stopNotes();
      });
      socket.on('message', () => {});
    },
  );
};
