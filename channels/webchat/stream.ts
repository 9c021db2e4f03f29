import type { FastifyBaseLogger } from 'fastify';
import type { WebSocket } from 'ws';
import type { ConversationBroker } from '../../assistant/broker.js';
import { followConversation } from '../follow-conversation.js';

/** Proxies and load balancers drop idle sockets; a ping every 30 s keeps the stream open. */
const KEEPALIVE_MS = 30_000;

export interface StreamOptions {
  socket: WebSocket;
  broker: ConversationBroker;
  conversationId: string;
  /** The client has everything up to here; send what comes after. */
  watermark: number;
  logger: FastifyBaseLogger;
}

/**
 * Sends a conversation's activities over a Direct Line stream. On connect it replays everything after
 * the watermark (a client may post before its socket opens), then follows the conversation
 * (channels/follow-conversation.ts: nothing sent twice or skipped).
 */
export function streamActivities({ socket, broker, conversationId, watermark, logger }: StreamOptions): void {
  const stop = followConversation({
    broker,
    conversationId,
    after: watermark,
    deliver: (activities, lastSeq) => socket.send(JSON.stringify({ activities, watermark: String(lastSeq) })),
    onError: (error) => {
      logger.error({ err: error, conversationId }, 'stream read failed; closing the socket so the client reconnects');
      socket.close(1011, 'read failed');
    },
  });
  // An agent typing: a typing activity, which Web Chat shows as an indicator. Not stored, so no watermark.
  const stopTyping = broker.subscribeTyping(conversationId, (from) => {
    if (from.role === 'user') return;
    const typing = {
      type: 'typing',
      id: `${conversationId}|typing-${Date.now()}`,
      channelId: 'webchat',
      conversation: { id: conversationId },
      from,
      timestamp: new Date().toISOString(),
    };
    socket.send(JSON.stringify({ activities: [typing] }));
  });
  const keepAlive = setInterval(() => socket.ping(), KEEPALIVE_MS);
  socket.on('close', () => {
    clearInterval(keepAlive);
    stop();
    stopTyping();
  });
  // Clients ping with empty text frames; nothing a client sends on the stream carries meaning.
  socket.on('message', () => {});
}
