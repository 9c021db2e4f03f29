import type { FastifyBaseLogger } from 'fastify';
import type { WebSocket } from 'ws';
import type { ConversationBroker } from '../../assistant/broker.js';
import { seqOfActivityId } from '../../core/activity.js';

const PAGE_SIZE = 200;
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
 * the watermark (a client may post before its socket opens). Afterwards a bus signal that continues
 * exactly where the stream is goes out as it is; any other (a gap, a reordered signal, or one arriving
 * while a read is under way) triggers a read from the store. One read at a time, and `sent` only moves
 * forward, so nothing is sent twice or skipped.
 */
export function streamActivities({ socket, broker, conversationId, watermark, logger }: StreamOptions): void {
  let sent = watermark;
  let reading = false;
  let readAgain = false;
  let closed = false;

  const pump = async () => {
    if (reading) {
      readAgain = true;
      return;
    }
    reading = true;
    try {
      do {
        readAgain = false;
        const page = await broker.activitiesAfter(conversationId, sent, PAGE_SIZE);
        if (closed || page.activities.length === 0) continue;
        socket.send(JSON.stringify({ activities: page.activities, watermark: String(page.watermark) }));
        sent = page.watermark;
        if (page.activities.length === PAGE_SIZE) readAgain = true;
      } while (readAgain && !closed);
    } catch (error) {
      logger.error({ err: error, conversationId }, 'stream read failed; closing the socket so the client reconnects');
      socket.close(1011, 'read failed');
    } finally {
      reading = false;
    }
  };

  // Subscribe before the first read: a signal that lands during the replay triggers another read.
  const unsubscribe = broker.subscribe(conversationId, ({ activities, lastSeq }) => {
    if (lastSeq <= sent || closed) return;
    if (!reading && seqOfActivityId(activities[0]!.id) === sent + 1) {
      socket.send(JSON.stringify({ activities, watermark: String(lastSeq) }));
      sent = lastSeq;
    } else void pump();
  });
  const keepAlive = setInterval(() => socket.ping(), KEEPALIVE_MS);
  socket.on('close', () => {
    closed = true;
    clearInterval(keepAlive);
    unsubscribe();
  });
  // Clients ping with empty text frames; nothing a client sends on the stream carries meaning.
  socket.on('message', () => {});
  void pump();
}
