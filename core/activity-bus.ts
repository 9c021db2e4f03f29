import { EventEmitter } from 'node:events';
import { seqOfActivityId, type StoredActivity } from './activity.js';

/** Activities just stored in a conversation, contiguous and in order. */
export interface ActivitySignal {
  conversationId: string;
  activities: StoredActivity[];
  /** Sequence number of the last of them. */
  lastSeq: number;
}

export type ActivityListener = (signal: ActivitySignal) => void;

/** A message on a named topic that is not stored (typing indicators, desk notices): best effort, no replay. */
export interface BusEvent {
  topic: string;
  payload: unknown;
}

export type EventListener = (payload: unknown) => void;

/**
 * Tells listeners that a conversation has new activities, and carries them. The store stays the truth:
 * a listener that finds a signal not continuing where it left off (a gap, a lost or reordered signal)
 * reads the store instead, so nothing is lost or sent twice. Several gateway instances share one Redis
 * channel.
 */
export interface ActivityBus {
  publish(conversationId: string, activities: StoredActivity[]): Promise<void>;
  subscribe(conversationId: string, listener: ActivityListener): () => void;
  /** Tells every instance's listeners on `topic`; nothing is stored, a listener not there misses it. */
  publishEvent(topic: string, payload: unknown): Promise<void>;
  subscribeEvent(topic: string, listener: EventListener): () => void;
  close(): Promise<void>;
}

export const signalOf = (conversationId: string, activities: StoredActivity[]): ActivitySignal => ({
  conversationId,
  activities,
  lastSeq: seqOfActivityId(activities.at(-1)!.id),
});

export class LocalActivityBus implements ActivityBus {
  private readonly emitter = new EventEmitter().setMaxListeners(0);

  async publish(conversationId: string, activities: StoredActivity[]): Promise<void> {
    if (activities.length) this.deliver(signalOf(conversationId, activities));
  }

  /** Hands a signal to this process's listeners (also used by the Redis bus for what it receives). */
  deliver(signal: ActivitySignal): void {
    this.emitter.emit(signal.conversationId, signal);
  }

  subscribe(conversationId: string, listener: ActivityListener): () => void {
    this.emitter.on(conversationId, listener);
    return () => this.emitter.off(conversationId, listener);
  }

  async publishEvent(topic: string, payload: unknown): Promise<void> {
    this.deliverEvent({ topic, payload });
  }

  /** Hands an event to this process's listeners (also used by the Redis bus for what it receives). */
  deliverEvent(event: BusEvent): void {
    this.emitter.emit(`event:${event.topic}`, event.payload);
  }

  subscribeEvent(topic: string, listener: EventListener): () => void {
    this.emitter.on(`event:${topic}`, listener);
    return () => this.emitter.off(`event:${topic}`, listener);
  }

  async close(): Promise<void> {
    this.emitter.removeAllListeners();
  }
}
