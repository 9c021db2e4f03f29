import type { ConversationBroker } from '../assistant/broker.js';
import { seqOfActivityId, type StoredActivity } from '../core/activity.js';

const PAGE_SIZE = 200;

export interface FollowOptions {
  broker: Pick<ConversationBroker, 'subscribe' | 'activitiesAfter'>;
  conversationId: string;
  /** The follower has everything up to this sequence number; it is handed what comes after. */
  after: number;
  /** New activities, contiguous, in order, each exactly once. */
  deliver(activities: StoredActivity[], lastSeq: number): void;
  /** A store read failed; the follower stops. */
  onError(error: unknown): void;
}

/**
 * Follows a conversation as it grows: first everything after `after` from the store, then each bus signal.
 * A signal that continues exactly where the follower is goes out as it is; any other (a gap, a reordered
 * signal, or one arriving while a read is under way) triggers a read from the store. One read at a time,
 * and the position only moves forward, so nothing is handed over twice or skipped. Returns `stop`.
 */
export function followConversation(options: FollowOptions): () => void {
  const { broker, conversationId, deliver } = options;
  let sent = options.after;
  let reading = false;
  let readAgain = false;
  let stopped = false;

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
        if (stopped || page.activities.length === 0) continue;
        deliver(page.activities, page.watermark);
        sent = page.watermark;
        if (page.activities.length === PAGE_SIZE) readAgain = true;
      } while (readAgain && !stopped);
    } catch (error) {
      if (!stopped) options.onError(error);
      stopped = true;
    } finally {
      reading = false;
    }
  };

  // Subscribe before the first read: a signal that lands during it triggers another read.
  const unsubscribe = broker.subscribe(conversationId, ({ activities, lastSeq }) => {
    if (lastSeq <= sent || stopped) return;
    if (!reading && seqOfActivityId(activities[0]!.id) === sent + 1) {
      deliver(activities, lastSeq);
      sent = lastSeq;
    } else void pump();
  });
  void pump();
  return () => {
    stopped = true;
    unsubscribe();
  };
}
