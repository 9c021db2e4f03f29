import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConversationStore } from '../assistant/conversation-store.js';
import type { StoredActivity } from '../core/activity.js';
import { createLogger } from '../core/logger.js';
import { DatabaseDeadLetters } from '../core/queue/dead-letters.js';
import { PgBossQueue } from '../core/queue/pgboss-queue.js';
import { openTestDatabase, testEngines, type TestDatabaseHandle } from '../test/support/databases.js';
import { DELIVERY_QUEUE, OutboundDelivery, type ChannelSender } from './delivery.js';

/**
 * Push-channel delivery under the faults bench/faults.ts found: a reply claimed for a channel response that
 * came too late, and a send whose record failed while the database restarted.
 */
const engines = await testEngines();
const logger = createLogger({ level: 'silent' });
const bot = { id: 'minsheng-bot', name: '12345', role: 'bot' as const };

for (const { kind, skip } of engines) {
  describe.skipIf(skip)(`reply delivery on ${kind}`, () => {
    let handle: TestDatabaseHandle;
    let store: ConversationStore;
    let queue: PgBossQueue;
    let n = 0;

    beforeAll(async () => {
      handle = await openTestDatabase(kind);
      store = new ConversationStore(handle.db, { pushChannels: ['wechat'] });
      // Never started: these tests call the delivery's handler and claim directly.
      queue = new PgBossQueue({
        pool: handle.pool,
        defaults: { attempts: 3, backoffMs: 0 },
        deadLetters: new DatabaseDeadLetters(handle.db),
        logger,
      });
    });
    afterAll(async () => {
      await queue?.stop();
      await handle?.cleanup();
    });

    /** A citizen's WeChat message, stored now, and the bot's reply to it, committed and pending. */
    async function pendingReply(): Promise<StoredActivity> {
      const id = `c-delivery-${kind}-${++n}`;
      const citizen = { id: `wechat:o-citizen-${n}`, name: '' };
      await store.createConversation({ id, channelId: 'wechat', user: citizen, bot });
      const { activity } = await store.appendInbound(
        {
          type: 'message',
          channelId: 'wechat',
          conversation: { id },
          from: { ...citizen, role: 'user' },
          text: '社保卡丢了怎么补办',
        },
        `msg-${kind}-${n}`,
      );
      const commit = await store.commitTurn({
        inbound: activity,
        expectedStateVersion: 0,
        state: {},
        replies: [
          {
            type: 'message',
            channelId: 'wechat',
            from: bot,
            recipient: { ...citizen, role: 'user' },
            text: '请携带身份证补办。',
          },
        ],
      });
      if (!commit.committed) throw new Error('the turn did not commit');
      return commit.replies[0]!;
    }

    it('does not claim a reply for a response the channel no longer waits for', async () => {
      const delivery = new OutboundDelivery({ store, queue, senders: [], logger, attempts: 3, backoffMs: 0 });
      // WeChat has given up on this request: claiming would mark the reply sent and it would never arrive.
      const waited = await pendingReply();
      expect(await delivery.claim([waited.id], Date.now() - 1)).toEqual([]);
      expect((await store.deliveryOf(waited.id))?.status).toBe('pending');

      const fresh = await pendingReply();
      expect(await delivery.claim([fresh.id], Date.now() + 4000)).toEqual([fresh.id]);
      expect((await store.deliveryOf(fresh.id))?.status).toBe('sent');
    });

    it('sends a reply once when recording the send fails for a while', async () => {
      const reply = await pendingReply();
      const sent: string[] = [];
      const sender: ChannelSender = {
        channelId: 'wechat',
        send: async (activity) => {
          sent.push(activity.id);
          return { providerMessageId: `wechat:${activity.id}` };
        },
      };
      // The database is restarting: the first two attempts to record the send fail.
      let failures = 2;
      const restarting = Object.create(store) as ConversationStore;
      restarting.markDelivery = async (...args) => {
        if (args[1] === 'sent' && failures-- > 0) throw new Error('Connection terminated unexpectedly');
        return store.markDelivery(...args);
      };
      const delivery = new OutboundDelivery({
        store: restarting,
        queue,
        senders: [sender],
        logger,
        attempts: 3,
        backoffMs: 0,
      });
      // As the queue would: a failed attempt runs again, up to the attempts allowed.
      for (let attempt = 1; attempt <= 3; attempt++) {
        const job = { id: 'job-1', queue: DELIVERY_QUEUE, data: { activityId: reply.id }, attempt, maxAttempts: 3 };
        const failed = await delivery.deliver(job).then(
          () => false,
          () => true,
        );
        if (!failed) break;
      }
      expect(sent).toEqual([reply.id]);
      const row = await store.deliveryOf(reply.id);
      expect(row?.status).toBe('sent');
    });
  });
}
