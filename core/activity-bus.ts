import { EventEmitter } from 'node:events';
import { Redis } from 'ioredis';
import type { Logger } from './logger.js';

/**
 * Tells listeners that a conversation has new activities. It carries only the conversation id and the
 * newest sequence number: readers fetch from the store, so a lost or repeated signal never loses or
 * duplicates an activity, and several gateway instances share one Redis channel.
 */
export interface ActivityBus {
  publish(conversationId: string, seq: number): Promise<void>;
  subscribe(conversationId: string, listener: (seq: number) => void): () => void;
  close(): Promise<void>;
}

export class LocalActivityBus implements ActivityBus {
  private readonly emitter = new EventEmitter().setMaxListeners(0);

  async publish(conversationId: string, seq: number): Promise<void> {
    this.emitter.emit(conversationId, seq);
  }

  subscribe(conversationId: string, listener: (seq: number) => void): () => void {
    this.emitter.on(conversationId, listener);
    return () => this.emitter.off(conversationId, listener);
  }

  async close(): Promise<void> {
    this.emitter.removeAllListeners();
  }
}

/** Fan-out across gateway instances over Redis pub/sub, on one channel (few, cheap messages). */
export class RedisActivityBus implements ActivityBus {
  private readonly local = new LocalActivityBus();
  private readonly publisher: Redis;
  private readonly subscriber: Redis;

  private constructor(
    redisUrl: string,
    private readonly channel: string,
    logger: Logger,
  ) {
    this.publisher = new Redis(redisUrl, { lazyConnect: true });
    this.subscriber = new Redis(redisUrl, { lazyConnect: true });
    this.subscriber.on('message', (_channel: string, message: string) => {
      const split = message.lastIndexOf(' ');
      void this.local.publish(message.slice(0, split), Number(message.slice(split + 1)));
    });
    for (const client of [this.publisher, this.subscriber]) {
      client.on('error', (error: Error) => logger.warn({ err: error }, 'activity bus redis error'));
    }
  }

  static async connect(redisUrl: string, logger: Logger, channel = 'minsheng:activities'): Promise<RedisActivityBus> {
    const bus = new RedisActivityBus(redisUrl, channel, logger);
    await Promise.all([bus.publisher.connect(), bus.subscriber.connect()]);
    await bus.subscriber.subscribe(channel);
    return bus;
  }

  async publish(conversationId: string, seq: number): Promise<void> {
    await this.publisher.publish(this.channel, `${conversationId} ${seq}`);
  }

  subscribe(conversationId: string, listener: (seq: number) => void): () => void {
    return this.local.subscribe(conversationId, listener);
  }

  async close(): Promise<void> {
    await this.local.close();
    this.subscriber.disconnect();
    this.publisher.disconnect();
  }
}
