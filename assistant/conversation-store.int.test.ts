import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Activity, StoredActivity } from '../core/activity.js';
import { openTestDatabase, testEngines, type TestDatabaseHandle } from '../test/support/databases.js';
import { ConversationStore } from './conversation-store.js';

const engines = await testEngines();

const inbound = (conversationId: string, text: string): Activity => ({
  type: 'message',
  channelId: 'webchat',
  conversation: { id: conversationId },
  from: { id: 'dl_u', name: '', role: 'user' },
  text,
});
const bot = { id: 'minsheng-bot', name: 'bot' };

for (const { kind, skip } of engines) {
  describe.skipIf(skip)(`ConversationStore on ${kind}`, () => {
    let handle: TestDatabaseHandle;
    let store: ConversationStore;
    let n = 0;
    const newConversation = async (welcome = false) => {
      const id = `c-${kind}-${++n}`;
      await store.createConversation(
        { id, channelId: 'webchat', user: { id: 'dl_u' }, bot, locale: 'zh-CN' },
        welcome
          ? { type: 'message', channelId: 'webchat', from: { id: bot.id, name: bot.name, role: 'bot' }, text: '您好' }
          : undefined,
      );
      return id;
    };

    /** Commits a turn of one bot reply with state `{ turns: 1 }`. */
    const commitOne = (activity: StoredActivity, expectedStateVersion: number, text: string) =>
      store.commitTurn({
        inbound: activity,
        expectedStateVersion,
        state: { turns: 1 },
        replies: [{ type: 'message', channelId: 'webchat', from: { id: bot.id, name: bot.name, role: 'bot' }, text }],
      });

    beforeAll(async () => {
      handle = await openTestDatabase(kind);
      store = new ConversationStore(handle.db);
    });
    afterAll(async () => handle?.cleanup());

    it('creates a conversation with its participants, state and welcome message', async () => {
      const id = await newConversation(true);
      expect(await store.getConversation(id)).toMatchObject({ id, channelId: 'webchat', mode: 'bot', lastSeq: 1 });
      const participants = await handle.db
        .selectFrom('participants')
        .select(['id', 'role'])
        .where('conversation_id', '=', id)
        .orderBy('role', 'desc')
        .execute();
      expect(participants).toEqual([
        { id: 'dl_u', role: 'user' },
        { id: bot.id, role: 'bot' },
      ]);
      const page = await store.activitiesAfter(id, 0);
      expect(page.watermark).toBe(1);
      expect(page.activities[0]).toMatchObject({ id: `${id}|0000001`, text: '您好' });
    });

    it('stores a channel message once, however often it is delivered, even concurrently', async () => {
      const id = await newConversation();
      const results = await Promise.all(
        Array.from({ length: 5 }, () => store.appendInbound(inbound(id, '你好'), 'wx-msg-1')),
      );
      expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
      expect(new Set(results.map((r) => r.activity.id)).size).toBe(1);
      const count = await handle.db
        .selectFrom('activities')
        .where('conversation_id', '=', id)
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow();
      expect(Number(count.n)).toBe(1);
    });

    it('pages activities after a watermark in sequence order', async () => {
      const id = await newConversation();
      for (let i = 1; i <= 5; i++) await store.appendInbound(inbound(id, `m${i}`), null);
      const page = await store.activitiesAfter(id, 2, 2);
      expect(page.activities.map((a) => a.text)).toEqual(['m3', 'm4']);
      expect(page.watermark).toBe(4);
      expect((await store.activitiesAfter(id, 5)).activities).toEqual([]);
    });

    it('commits a turn once: replies, state and processed mark together; a repeat is rejected', async () => {
      const id = await newConversation();
      const { activity } = await store.appendInbound(inbound(id, '社保卡丢了'), null);
      const snapshot = (await store.loadTurnSnapshot(id))!;
      expect(snapshot.pending.map((a) => a.id)).toEqual([activity.id]);
      const first = await commitOne(activity, snapshot.stateVersion, '答复');
      expect(first).toMatchObject({ committed: true, lastSeq: 2 });
      expect(first.committed && first.replies[0]).toMatchObject({ id: `${id}|0000002`, replyToId: activity.id });
      const again = await commitOne(activity, snapshot.stateVersion, '答复');
      expect(again.committed).toBe(false);
      const after = (await store.loadTurnSnapshot(id))!;
      expect(after.pending).toEqual([]);
      expect(after.state).toEqual({ turns: 1 });
      expect(after.stateVersion).toBe(snapshot.stateVersion + 1);
      expect((await store.activitiesAfter(id, 0)).activities).toHaveLength(2);
    });

    it('rejects a turn computed on a stale state and writes nothing of it', async () => {
      const id = await newConversation();
      const a = (await store.appendInbound(inbound(id, 'a'), null)).activity;
      const b = (await store.appendInbound(inbound(id, 'b'), null)).activity;
      const snap = (await store.loadTurnSnapshot(id))!;
      expect((await commitOne(a, snap.stateVersion, 'r')).committed).toBe(true);
      // b's turn was computed from the same snapshot as a's: its state is stale.
      expect((await commitOne(b, snap.stateVersion, 'r')).committed).toBe(false);
      const after = (await store.loadTurnSnapshot(id))!;
      expect(after.pending.map((p) => p.id)).toEqual([b.id]);
      expect(after.conversation.lastSeq).toBe(3);
    });

    it('finds inbound activities that were never answered', async () => {
      const id = await newConversation();
      const { activity } = await store.appendInbound(inbound(id, '没人回我'), null);
      const found = await store.conversationsWithUnansweredInbound(-1000);
      expect(found).toContainEqual({ conversationId: id, activityId: activity.id });
    });
  });
}
