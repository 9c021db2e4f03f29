import type { FastifyPluginAsync, FastifyRequest, preValidationAsyncHookHandler } from 'fastify';
import type { WebSocket } from 'ws';
import type { ConversationBroker } from '../assistant/broker.js';
import { followConversation } from '../channels/follow-conversation.js';
import type { StaffSession } from '../core/accounts.js';
import { DESK_SEEN_RENEW_MS, summaryOf } from './handoff-store.js';
import { DESK_TOPIC, type DeskEvent, type HandoffService } from './handoff-service.js';

/** Proxies and load balancers drop idle sockets; a ping every 30 s keeps the stream open. */
const KEEPALIVE_MS = 30_000;
/** Most conversations one desk follows at once. */
const MAX_WATCHES = 50;

export interface DeskStreamOptions {
  handoffs: HandoffService;
  broker: ConversationBroker;
  guard: preValidationAsyncHookHandler;
}

interface DeskSocket {
  session: StaffSession;
  socket: WebSocket;
  watches: Map<string, () => void>;
}

/**
 * The desk's live channel at /api/desk/stream: queue changes, offers, private notes, and the activities
 * and typing of the conversations the desk watches (only those its agent may see). Desk events arrive on
 * the bus, so an agent connected to any instance hears of a handoff raised on another.
 */
export const deskStream: FastifyPluginAsync<DeskStreamOptions> = async (app, { handoffs, broker, guard }) => {
  const sockets = new Set<DeskSocket>();
  const send = (desk: DeskSocket, message: unknown) => {
    if (desk.socket.readyState === desk.socket.OPEN) desk.socket.send(JSON.stringify(message));
  };

  const onEvent = async (event: DeskEvent) => {
    if (event.kind === 'changed') {
      for (const desk of sockets) send(desk, { type: 'handoffs' });
      return;
    }
    const to = event.kind === 'note' ? event.to : [event.agentId];
    const targets = [...sockets].filter((d) => to.includes(d.session.account.id));
    if (targets.length === 0) return;
    if (event.kind === 'note') {
      for (const desk of targets) send(desk, { type: 'note', handoffId: event.handoffId, note: event.note });
      return;
    }
    const record = await handoffs.store.get(event.handoffId);
    if (!record) return;
    for (const desk of targets) send(desk, { type: event.kind, handoff: summaryOf(record) });
  };
  const unsubscribe = handoffs.busEvents(DESK_TOPIC, (payload) => {
    onEvent(payload as DeskEvent).catch((error) => app.log.warn({ err: error }, 'desk event failed'));
  });
  // Renews the connected agents' desks, so routing offers to them (handoff-store.ts DESK_SEEN_TTL_MS).
  const renew = setInterval(() => {
    const ids = [...new Set([...sockets].map((d) => d.session.account.id))];
    handoffs.store.deskSeen(ids).catch((error) => app.log.warn({ err: error }, 'could not renew the desks'));
  }, DESK_SEEN_RENEW_MS).unref();
  app.addHook('onClose', async () => {
    clearInterval(renew);
    unsubscribe();
    for (const desk of sockets) desk.socket.close(1001, 'shutting down');
  });

  const watch = async (desk: DeskSocket, conversationId: string, after: number) => {
    if (desk.watches.has(conversationId) || desk.watches.size >= MAX_WATCHES) return;
    const [latest] = await handoffs.store.list({ conversationId, limit: 1 });
    if (!latest) return send(desk, { type: 'error', code: 'E_NOT_FOUND', conversationId });
    try {
      await handoffs.visible(desk.session, latest.id);
    } catch {
      return send(desk, { type: 'error', code: 'E_FORBIDDEN', conversationId });
    }
    const me = `agent:${desk.session.account.username}`;
    const stopFollowing = followConversation({
      broker,
      conversationId,
      after,
      deliver: (activities) => send(desk, { type: 'activities', conversationId, activities }),
      onError: (error) => app.log.warn({ err: error, conversationId }, 'desk stream read failed'),
    });
    const stopTyping = broker.subscribeTyping(conversationId, (from) => {
      if (from.id !== me) send(desk, { type: 'typing', conversationId, from });
    });
    desk.watches.set(conversationId, () => {
      stopFollowing();
      stopTyping();
    });
  };

  app.get(
    '/stream',
    { websocket: true, schema: { hide: true }, preValidation: guard },
    (socket: WebSocket, request: FastifyRequest) => {
      // The cookie is SameSite=Strict already; a socket from another origin is refused all the same.
      const origin = request.headers.origin;
      if (origin && new URL(origin).host !== request.headers.host) return socket.close(1008, 'cross-origin');
      const desk: DeskSocket = { session: request.staff!, socket, watches: new Map() };
      sockets.add(desk);
      const keepAlive = setInterval(() => socket.ping(), KEEPALIVE_MS);
      socket.on('close', () => {
        clearInterval(keepAlive);
        sockets.delete(desk);
        for (const stop of desk.watches.values()) stop();
      });
      socket.on('message', (data) => {
        let message: { type?: unknown; conversationId?: unknown; after?: unknown };
        try {
          message = JSON.parse(String(data)) as typeof message;
        } catch {
          return send(desk, { type: 'error', code: 'E_MALFORMED_JSON' });
        }
        if (typeof message.conversationId !== 'string') return;
        if (message.type === 'watch') {
          const after = typeof message.after === 'number' && message.after >= 0 ? message.after : 0;
          watch(desk, message.conversationId, after).catch((error) =>
            app.log.warn({ err: error }, 'desk watch failed'),
          );
        } else if (message.type === 'unwatch') {
          desk.watches.get(message.conversationId)?.();
          desk.watches.delete(message.conversationId);
        }
      });
      // A desk now open: the agent may be offered what waits.
      void (async () => {
        const me = await handoffs.profile(desk.session);
        send(desk, {
          type: 'hello',
          me: { username: me.username, displayName: me.displayName, presence: me.presence },
        });
        await handoffs.store.deskSeen([me.accountId]);
        await handoffs.route();
      })().catch((error) => app.log.warn({ err: error }, 'desk start failed'));
    },
  );
};
