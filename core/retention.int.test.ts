/**
 * The retention job on both engines: what is past its time goes, what is not (or is still open) stays, the
 * figures keep their counts, and the run is audited.
 */
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, testEngines, type TestDatabaseHandle } from '../test/support/databases.js';
import { audit, SYSTEM_ACTOR } from './audit.js';
import type { Database, TicketStatus } from './db/schema.js';
import { createLogger } from './logger.js';
import { RetentionJob } from './retention.js';

const NOW = new Date('2026-12-05T12:00:00Z');
const daysAgo = (days: number) => new Date(NOW.getTime() - days * 86_400_000);
const POLICY = { conversationDays: 365, mediaDays: 180, ticketDays: 1095, auditDays: 1095 };

async function conversation(db: Kysely<Database>, id: string, lastDaysAgo: number, text: string) {
  const at = daysAgo(lastDaysAgo);
  await db
    .insertInto('conversations')
    .values({ id, channel_id: 'webchat', locale: 'zh-CN', created_at: at, updated_at: at })
    .execute();
  await db
    .insertInto('participants')
    .values({ conversation_id: id, id: `${id}-citizen`, role: 'user', name: null, joined_at: at })
    .execute();
  for (const [seq, direction] of (['inbound', 'outbound'] as const).entries())
    await db
      .insertInto('activities')
      .values({
        id: `${id}-${seq}`,
        conversation_id: id,
        seq: seq + 1,
        direction,
        channel_id: 'webchat',
        channel_message_id: null,
        type: 'message',
        from_id: direction === 'inbound' ? `${id}-citizen` : 'minsheng-bot',
        from_role: direction === 'inbound' ? 'user' : 'bot',
        text: direction === 'inbound' ? text : '好的',
        reply_to_id: direction === 'inbound' ? null : `${id}-0`,
        body: '{}',
        created_at: at,
        processed_at: direction === 'inbound' ? at : null,
      })
      .execute();
  await db
    .insertInto('conversation_state')
    .values({ conversation_id: id, state: JSON.stringify({ slots: { phone: '13812345678' } }), updated_at: at })
    .execute();
  await db
    .insertInto('media')
    .values({
      id: `${id}-m`,
      conversation_id: id,
      content_type: 'image/png',
      size: 3,
      bytes: Buffer.from('png'),
      source: `src-${id}`,
      created_at: at,
    })
    .execute();
  await db
    .insertInto('conversation_facts')
    .values({
      conversation_id: id,
      channel_id: 'webchat',
      started_at: at,
      day: at.toISOString().slice(0, 10),
      last_at: at,
      citizen_messages: 1,
      answered: 1,
      suggested: 0,
      missed: 0,
      helpful: 0,
      unhelpful: 0,
      tickets: 0,
      self_served: true,
      first_text: text,
    })
    .execute();
}

async function ticket(db: Kysely<Database>, number: string, conversationId: string, status: TicketStatus, age: number) {
  const at = daysAgo(age);
  const { id } = await db
    .insertInto('tickets')
    .values({
      number,
      demand_type: 'complaint',
      status,
      description: '楼下烧烤油烟扰民，联系电话13812345678，身份证110101199003071234',
      reporter_name: '张三',
      phone: '13812345678',
      id_number: '110101199003071234',
      address: '幸福路1号',
      channel_id: 'webchat',
      conversation_id: conversationId,
      registered_at: at,
      deadline_at: at,
      updated_at: at,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await db
    .insertInto('ticket_events')
    .values({ ticket_id: id, at, actor: 'agent1', to_status: status, note: '已电话联系13812345678' })
    .execute();
}

describe.each(await testEngines())('retention job on $kind', ({ kind, skip }) => {
  let handle: TestDatabaseHandle;
  let db: Kysely<Database>;

  beforeAll(async () => {
    if (skip) return;
    handle = await openTestDatabase(kind);
    db = handle.db;
    await conversation(db, 'old', 400, '我的电话13812345678');
    await conversation(db, 'recent', 30, '社保卡怎么补办');
    await conversation(db, 'old-open-ticket', 400, '投诉噪音');
    await conversation(db, 'old-open-handoff', 400, '转人工');
    await conversation(db, 'old-closed-ticket', 1200, '投诉油烟');
    await ticket(db, 'T-OPEN', 'old-open-ticket', 'in_progress', 400);
    await ticket(db, 'T-CLOSED', 'old-closed-ticket', 'closed', 1200);
    await ticket(db, 'T-RECENT', 'recent', 'closed', 30);
    await db
      .insertInto('handoffs')
      .values({
        id: 'h-open',
        conversation_id: 'old-open-handoff',
        queue: 'general',
        priority: 'normal',
        reason: 'asked',
        skills: '[]',
        status: 'waiting',
        queued_at: daysAgo(400),
        context: '{}',
        notes: '[]',
        declined_by: '[]',
      })
      .execute();
    // Media of a recent conversation past the media age.
    await db
      .updateTable('media')
      .set({ created_at: daysAgo(200) })
      .where('id', '=', 'recent-m')
      .execute();
    await audit(db, SYSTEM_ACTOR, { action: 'old.thing', targetType: 't', targetId: '1' });
    await audit(db, SYSTEM_ACTOR, { action: 'new.thing', targetType: 't', targetId: '2' });
    // Backdating an entry: the trigger refuses every update, so the test turns it off for this one.
    await sql`alter table audit_log disable trigger audit_log_append_only`.execute(db);
    await db
      .updateTable('audit_log')
      .set({ at: daysAgo(1100) })
      .where('action', '=', 'old.thing')
      .execute();
    await sql`alter table audit_log enable trigger audit_log_append_only`.execute(db);
  });
  afterAll(async () => handle?.cleanup());

  it.skipIf(skip)('purges what is past its time and keeps the rest', async () => {
    const job = new RetentionJob(db, POLICY, createLogger({ level: 'silent' }));
    const counts = await job.purge(NOW);
    expect(counts).toEqual({
      conversations: 2,
      activities: 4,
      media: 3,
      tickets: 1,
      auditEntries: 1,
      deadLetters: 0,
    });

    const remaining = await db.selectFrom('activities').select('conversation_id').distinct().execute();
    expect(remaining.map((r) => r.conversation_id).sort()).toEqual(['old-open-handoff', 'old-open-ticket', 'recent']);
    const purged = await db
      .selectFrom('conversations')
      .select('id')
      .where('purged_at', 'is not', null)
      .orderBy('id')
      .execute();
    expect(purged.map((r) => r.id)).toEqual(['old', 'old-closed-ticket']);
    expect(
      await db.selectFrom('conversation_state').select('conversation_id').orderBy('conversation_id').execute(),
    ).toEqual([
      { conversation_id: 'old-open-handoff' },
      { conversation_id: 'old-open-ticket' },
      { conversation_id: 'recent' },
    ]);
    expect((await db.selectFrom('media').select('id').orderBy('id').execute()).map((r) => r.id)).toEqual([
      'old-open-handoff-m',
      'old-open-ticket-m',
    ]);

    // The figures keep their counts, not the citizen's words.
    const fact = await db
      .selectFrom('conversation_facts')
      .selectAll()
      .where('conversation_id', '=', 'old')
      .executeTakeFirstOrThrow();
    expect(fact).toMatchObject({ citizen_messages: 1, answered: 1, first_text: null });

    const closed = await db
      .selectFrom('tickets')
      .selectAll()
      .where('number', '=', 'T-CLOSED')
      .executeTakeFirstOrThrow();
    expect(closed).toMatchObject({ reporter_name: null, phone: null, id_number: null, address: null });
    expect(closed.description).toBe('楼下烧烤油烟扰民，联系电话138****5678，身份证1101**********1234');
    expect(closed.anonymised_at).not.toBeNull();
    const note = await db
      .selectFrom('ticket_events')
      .select('note')
      .where('ticket_id', '=', closed.id)
      .executeTakeFirstOrThrow();
    expect(note.note).toBe('已电话联系138****5678');
    for (const number of ['T-OPEN', 'T-RECENT']) {
      const kept = await db.selectFrom('tickets').selectAll().where('number', '=', number).executeTakeFirstOrThrow();
      expect(kept).toMatchObject({ phone: '13812345678', id_number: '110101199003071234', anonymised_at: null });
    }

    const actions = await db.selectFrom('audit_log').select(['action', 'detail']).orderBy('id').execute();
    expect(actions.map((a) => a.action)).toEqual(['new.thing', 'retention.purge']);
    expect(actions[1]!.detail).toMatchObject({ conversations: 2, tickets: 1, policy: POLICY });

    // A second run finds nothing more and leaves no audit entry.
    expect(Object.values(await job.purge(NOW)).every((n) => n === 0)).toBe(true);
    expect(await db.selectFrom('audit_log').select('id').execute()).toHaveLength(2);
  });
});
