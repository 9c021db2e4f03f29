import { Redis } from 'ioredis';
import type { StoredActivity } from './activity.js';
import {
  LocalActivityBus,
  signalOf,
  type ActivityBus,
  type ActivityListener,
  type ActivitySignal,
  type BusEvent,
  type EventListener,
} from './activity-bus.js';
import type { Logger } from './logger.js';

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
      const parsed = JSON.parse(message) as ActivitySignal | BusEvent;
      if ('topic' in parsed) this.local.deliverEvent(parsed);
      else this.local.deliver(parsed);
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

  async publish(conversationId: string, activities: StoredActivity[]): Promise<void> {
    if (activities.length)
      await this.publisher.publish(this.channel, JSON.stringify(signalOf(conversationId, activities)));
  }

  subscribe(conversationId: string, listener: ActivityListener): () => void {
    return this.local.subscribe(conversationId, listener);
  }

  async publishEvent(topic: string, payload: unknown): Promise<void> {
    await this.publisher.publish(this.channel, JSON.stringify({ topic, payload } satisfies BusEvent));
  }

  subscribeEvent(topic: string, listener: EventListener): () => void {
    return this.local.subscribeEvent(topic, listener);
  }

  async close(): Promise<void> {
    await this.local.close();
    this.subscriber.disconnect();
    this.publisher.disconnect();
  }
}
