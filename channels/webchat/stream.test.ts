import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { ConversationBroker } from '../../assistant/broker.js';
import { activityId, type StoredActivity } from '../../core/activity.js';
import { LocalActivityBus } from '../../core/activity-bus.js';
import { createLogger } from '../../core/logger.js';
import { streamActivities } from './stream.js';

const activity = (seq: number): StoredActivity => ({
  type: 'message',
  id: activityId('c', seq),
  timestamp: new Date(seq).toISOString(),
  channelId: 'webchat',
  conversation: { id: 'c' },
  from: { id: 'u', name: '' },
  text: `m${seq}`,
});

/** The store as a list, the bus in process, and a socket that records what it was sent. */
function harness(stored: number[]) {
  const log: StoredActivity[] = stored.map(activity);
  const bus = new LocalActivityBus();
  let reads = 0;
  const broker = {
    activitiesAfter: async (_id: string, watermark: number) => {
      reads++;
      await new Promise((r) => setTimeout(r, 5));
      const activities = log.filter((a) => Number(a.id.split('|')[1]) > watermark);
      return { activities, watermark: activities.length ? Number(activities.at(-1)!.id.split('|')[1]) : watermark };
    },
    subscribe: (id: string, listener: Parameters<LocalActivityBus['subscribe']>[1]) => bus.subscribe(id, listener),
    subscribeTyping: (id: string, listener: (from: unknown) => void) => bus.subscribeEvent(`typing:${id}`, listener),
  } as unknown as ConversationBroker;
  const frames: { activities: StoredActivity[]; watermark: string }[] = [];
  const socket = Object.assign(new EventEmitter(), {
    send: (data: string) => frames.push(JSON.parse(data)),
    ping: () => {},
    close: () => {},
  });
  const store = async (...seqs: number[]) => {
    const added = seqs.map(activity);
    log.push(...added);
    await bus.publish('c', added);
  };
  const sentSeqs = () => frames.flatMap((f) => f.activities.map((a) => a.text));
  const start = (watermark: number) =>
    streamActivities({
      socket: socket as never,
      broker,
      conversationId: 'c',
      watermark,
      logger: createLogger({ level: 'silent' }),
    });
  const typing = (from: { id: string; name: string; role: string }) => bus.publishEvent('typing:c', from);
  return { start, socket, store, frames, sentSeqs, typing, reads: () => reads };
}

const settle = () => new Promise((r) => setTimeout(r, 40));

describe('streamActivities', () => {
  it('replays after the watermark, then sends contiguous signals without reading the store', async () => {
    const h = harness([1, 2, 3]);
    h.start(1);
    await settle();
    expect(h.sentSeqs()).toEqual(['m2', 'm3']);
    const readsAfterReplay = h.reads();
    await h.store(4);
    await h.store(5, 6);
    expect(h.sentSeqs()).toEqual(['m2', 'm3', 'm4', 'm5', 'm6']);
    expect(h.frames.at(-1)!.watermark).toBe('6');
    expect(h.reads()).toBe(readsAfterReplay);
    h.socket.emit('close');
  });

  it('reads the store when a signal does not continue the stream (a gap or a lost signal)', async () => {
    const h = harness([1]);
    h.start(1);
    await settle();
    h.frames.length = 0;
    await h.store(3); // seq 2 was never announced (e.g. a duplicate left a gap, or its signal was lost)
    await settle();
    expect(h.sentSeqs()).toEqual(['m3']);
    h.socket.emit('close');
  });

  it('sends nothing twice when signals arrive during the replay or out of order', async () => {
    const h = harness([1, 2]);
    h.start(0);
    await h.store(3); // arrives while the replay read is under way
    await h.store(4);
    await settle();
    expect(h.sentSeqs().map((t) => Number(t!.slice(1)))).toEqual([1, 2, 3, 4]);
    h.socket.emit('close');
  });

  it('stops after the socket closes', async () => {
    const h = harness([]);
    h.start(0);
    await settle();
    h.socket.emit('close');
    await h.store(1);
    await settle();
    expect(h.frames).toEqual([]);
  });

  it("shows an agent's typing as a typing activity, not the citizen's own, and stores nothing", async () => {
    const h = harness([1]);
    h.start(1);
    await settle();
    await h.typing({ id: 'u', name: '', role: 'user' });
    await h.typing({ id: 'agent:wang', name: '王坐席', role: 'agent' });
    await settle();
    expect(h.frames).toHaveLength(1);
    expect(h.frames[0]!.activities[0]).toMatchObject({ type: 'typing', from: { role: 'agent', name: '王坐席' } });
    expect(h.frames[0]!.watermark).toBeUndefined();
  });
});
