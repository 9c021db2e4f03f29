import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../core/db/schema.js';
import { loadTaxonomy } from '../tickets/taxonomy.js';
import { openTestDatabase, testEngines, type TestDatabaseHandle } from '../test/support/databases.js';
import { AnalyticsService } from './analytics-service.js';
import type { AnalyticsFilters } from './types.js';

/*
 * A small fixed data set, every figure below worked out by hand from it. Times are the city's (+08:00).
 *
 * Conversations (November 2026 unless said):
 *   c1 webchat 11-02 10:00  question answered, "解决了"                      -> self-served
 *   c2 webchat 11-02 23:30  two misses "公积金怎么提取", handoff (requested),  -> waited 120 s, satisfaction 1
 *   c3 sms     11-03 09:00  a complaint registered as ticket t1
 *   c4 wechat  11-09 00:30  (Sunday 16:30 UTC: a Monday in the city) fire: emergency handoff, waited 10 s
 *   c5 wechat  11-10 12:00  answered, then "没解决" to "医保怎么报销"
 *   c6 webchat 11-20 15:00  refused (litigation), a handoff abandoned
 *   c7 webchat 10-31 23:59  answered: the day before the range
 *   c8 webchat 11-05        no citizen message at all
 * Tickets:
 *   t1 complaint 02.02.01 南湖区 (c3) 11-03, due 11-24, resolved 11-20, callback satisfied
 *   t2 help      01.05.02 北苑区 sms  11-10, due 11-12, resolved 11-14 (late), callback dissatisfied
 *   t3 consultation  no place   webchat 11-25, due 11-26 18:00, open: overdue by 3 days 18 hours at "now"
 *   t4 report    01.05.02 北苑区 10-20, due 11-10 18:00, dispatched: overdue (registered before the range)
 *   t5, t6 complaints 02.02.01 南湖区 11-28, 11-29 about the same barbecue smoke: a hot spot and a cluster
 *   t7 a draft: counted nowhere
 * "Now" is 2026-11-30 12:00.
 */
const NOW = new Date('2026-11-30T12:00:00+08:00');
const at = (local: string) => new Date(`${local}+08:00`);

const engines = await testEngines();
const taxonomy = await loadTaxonomy();

interface Turn {
  /** The citizen's words, or a bot reply's channelData. */
  user?: string;
  bot?: Record<string, unknown>;
}

async function conversation(db: Kysely<Database>, id: string, channel: string, started: string, turns: Turn[]) {
  const start = at(started);
  await db
    .insertInto('conversations')
    .values({ id, channel_id: channel, last_seq: turns.length, created_at: start, updated_at: start })
    .execute();
  await db.insertInto('conversation_state').values({ conversation_id: id, state: '{}' }).execute();
  let lastInbound: string | null = null;
  for (const [i, turn] of turns.entries()) {
    const activityId = `${id}|${i + 1}`;
    const inbound = turn.user !== undefined;
    await db
      .insertInto('activities')
      .values({
        id: activityId,
        conversation_id: id,
        seq: i + 1,
        direction: inbound ? 'inbound' : 'outbound',
        channel_id: channel,
        type: 'message',
        from_id: inbound ? 'citizen' : 'minsheng-bot',
        from_role: inbound ? 'user' : 'bot',
        text: inbound ? turn.user! : '……',
        reply_to_id: inbound ? null : lastInbound,
        body: JSON.stringify(inbound ? { text: turn.user } : { channelData: turn.bot }),
        created_at: new Date(start.getTime() + i * 1000),
        processed_at: inbound ? new Date(start.getTime() + i * 1000) : null,
      })
      .execute();
    if (inbound) lastInbound = activityId;
  }
}

async function handoff(
  db: Kysely<Database>,
  conversationId: string,
  reason: string,
  queued: string,
  acceptedAfterSeconds: number | null,
  disposition: string | null,
) {
  const queuedAt = at(queued);
  await db
    .insertInto('handoffs')
    .values({
      id: `h-${conversationId}`,
      conversation_id: conversationId,
      queue: 'general',
      priority: reason === 'emergency' ? 'emergency' : 'normal',
      reason,
      skills: '[]',
      status: 'closed',
      queued_at: queuedAt,
      accepted_at: acceptedAfterSeconds === null ? null : new Date(queuedAt.getTime() + acceptedAfterSeconds * 1000),
      closed_at: new Date(queuedAt.getTime() + 600_000),
      disposition,
      context: '{}',
      notes: '[]',
      declined_by: '[]',
    })
    .execute();
}

interface TicketSpec {
  number: string;
  demandType: 'consultation' | 'help' | 'complaint' | 'report';
  category: string | null;
  district: string | null;
  channel: string;
  conversation?: string;
  registered: string;
  deadline: string;
  status: Database['tickets']['status'];
  resolved?: string;
  callback?: [string, 1 | 2 | 3];
  description: string;
}

async function ticket(db: Kysely<Database>, t: TicketSpec) {
  await db
    .insertInto('tickets')
    .values({
      number: t.number,
      demand_type: t.demandType,
      category_code: t.category,
      department: t.category ? taxonomy.departmentOf(t.category).name : null,
      status: t.status,
      description: t.description,
      phone: '13912345678',
      district: t.district,
      channel_id: t.channel,
      conversation_id: t.conversation ?? null,
      registered_at: at(t.registered),
      deadline_at: at(t.deadline),
      resolved_at: t.resolved ? at(t.resolved) : null,
      callback_at: t.callback ? at(t.callback[0]) : null,
      callback_satisfaction: t.callback?.[1] ?? null,
    })
    .execute();
}

async function seed(db: Kysely<Database>) {
  await conversation(db, 'c1', 'webchat', '2026-11-02T10:00:00', [
    { user: '身份证丢了怎么补办' },
    { bot: { knowledge: { articleId: 'a1', confidence: 0.97 } } },
    { user: '已解决' },
    { bot: { feedback: { articleId: 'a1', helped: true, question: '身份证丢了怎么补办' } } },
  ]);
  await conversation(db, 'c2', 'webchat', '2026-11-02T23:30:00', [
    { user: '公积金怎么提取' },
    { bot: { knowledge: { miss: true, best: 0.2 } } },
    { user: '公积金 怎么提取？' },
    { bot: { knowledge: { miss: true, best: 0.21 } } },
    { user: '转人工' },
    { bot: { handoff: { reason: 'requested' } } },
    { user: '1' },
    { bot: { satisfaction: 1 } },
  ]);
  await handoff(db, 'c2', 'requested', '2026-11-02T23:31:00', 120, 'resolved');
  await conversation(db, 'c3', 'sms', '2026-11-03T09:00:00', [
    { user: '幸福路烧烤店油烟太大，晚上熏得没法开窗' },
    { bot: { ticket: { number: 't1' } } },
  ]);
  await conversation(db, 'c4', 'wechat', '2026-11-09T00:30:00', [
    { user: '着火了' },
    { bot: { emergency: { kind: 'fire', number: '119' } } },
  ]);
  await handoff(db, 'c4', 'emergency', '2026-11-09T00:30:05', 10, 'ticket:12345-20261109-000001');
  await conversation(db, 'c5', 'wechat', '2026-11-10T12:00:00', [
    { user: '医保怎么报销' },
    { bot: { knowledge: { articleId: 'a2', confidence: 0.9 } } },
    { user: '没解决' },
    { bot: { feedback: { articleId: 'a2', helped: false, question: '医保怎么报销' } } },
  ]);
  await conversation(db, 'c6', 'webchat', '2026-11-20T15:00:00', [
    { user: '我的官司法院判了，要求重审' },
    { bot: { refused: { reason: 'litigation' } } },
  ]);
  await handoff(db, 'c6', 'requested', '2026-11-20T15:01:00', null, null);
  await conversation(db, 'c7', 'webchat', '2026-10-31T23:59:00', [
    { user: '护照怎么办' },
    { bot: { knowledge: { articleId: 'a3', confidence: 0.95 } } },
  ]);
  await conversation(db, 'c8', 'webchat', '2026-11-05T08:00:00', [{ bot: {} }]);

  const smoke = '02.02.01';
  const lamp = '01.05.02';
  await ticket(db, {
    number: 't1',
    demandType: 'complaint',
    category: smoke,
    district: '南湖区',
    channel: 'sms',
    conversation: 'c3',
    registered: '2026-11-03T09:01:00',
    deadline: '2026-11-24T18:00:00',
    status: 'closed',
    resolved: '2026-11-20T10:00:00',
    callback: ['2026-11-21T10:00:00', 1],
    description: '幸福路烧烤店油烟太大，晚上熏得没法开窗',
  });
  await ticket(db, {
    number: 't2',
    demandType: 'help',
    category: lamp,
    district: '北苑区',
    channel: 'sms',
    registered: '2026-11-10T09:00:00',
    deadline: '2026-11-12T18:00:00',
    status: 'callback',
    resolved: '2026-11-14T10:00:00',
    callback: ['2026-11-15T10:00:00', 3],
    description: '北苑路路灯坏了一个星期，晚上一片黑',
  });
  await ticket(db, {
    number: 't3',
    demandType: 'consultation',
    category: null,
    district: null,
    channel: 'webchat',
    registered: '2026-11-25T09:00:00',
    deadline: '2026-11-26T18:00:00',
    status: 'registered',
    description: '想问一下居住证怎么办理，联系电话13812345678',
  });
  await ticket(db, {
    number: 't4',
    demandType: 'report',
    category: lamp,
    district: '北苑区',
    channel: 'webchat',
    registered: '2026-10-20T09:00:00',
    deadline: '2026-11-10T18:00:00',
    status: 'dispatched',
    description: '有人偷剪路灯电缆',
  });
  for (const [number, day, text] of [
    ['t5', '2026-11-28T21:00:00', '幸福路夜市烧烤油烟扰民，油烟熏得家里全是味'],
    ['t6', '2026-11-29T22:00:00', '楼下烧烤摊每晚油烟很大，幸福路这一段熏得受不了'],
  ] as const) {
    await ticket(db, {
      number,
      demandType: 'complaint',
      category: smoke,
      district: '南湖区',
      channel: 'webchat',
      registered: day,
      deadline: '2026-12-18T18:00:00',
      status: 'registered',
      description: text,
    });
  }
  await ticket(db, {
    number: 't7',
    demandType: 'complaint',
    category: smoke,
    district: '南湖区',
    channel: 'webchat',
    registered: '2026-11-15T09:00:00',
    deadline: '2026-12-05T18:00:00',
    status: 'draft',
    description: '草稿',
  });
}

const NOVEMBER: AnalyticsFilters = { from: '2026-11-01', to: '2026-11-30', granularity: 'week' };
const WEEKS = ['2026-10-26', '2026-11-02', '2026-11-09', '2026-11-16', '2026-11-23', '2026-11-30'];

for (const { kind, skip } of engines) {
  describe.skipIf(skip)(`analytics figures on ${kind}`, () => {
    let handle: TestDatabaseHandle;
    let analytics: AnalyticsService;

    beforeAll(async () => {
      handle = await openTestDatabase(kind);
      await seed(handle.db);
      analytics = new AnalyticsService(handle.db, taxonomy, 'Asia/Shanghai', () => NOW);
      const first = await analytics.rollup();
      expect(first).toMatchObject({ conversations: 8, questions: 3 });
    });
    afterAll(async () => handle?.cleanup());

    it('totals', async () => {
      const { totals, freshAt } = await analytics.overview(NOVEMBER);
      expect(freshAt).not.toBeNull();
      expect(totals).toEqual({
        conversations: 6, // c1-c6; c7 is October's, c8 has no citizen message
        citizenMessages: 2 + 4 + 1 + 1 + 2 + 1,
        tickets: 5, // t1, t2, t3, t5, t6 (t4 registered in October, t7 a draft)
        selfServed: 1,
        selfServiceRate: 1 / 6,
        handoffs: 3,
        handoffRate: 3 / 6,
        emergencies: 1,
        refused: 1,
        complianceRate: 1 / 2, // t1 on time, t2 late
        overdueOpen: 2, // t3 and t4
        satisfactionRate: 2 / 3, // t1 satisfied, t2 dissatisfied, c2 satisfied
        satisfactionResponses: 3,
      });
    });

    it('volume by channel per city week, by demand type, category and district', async () => {
      const { volume } = await analytics.overview(NOVEMBER);
      expect(volume.periods).toEqual(WEEKS);
      expect(volume.byChannel).toEqual([
        { key: 'webchat', name: '网页', counts: [0, 2, 0, 1, 0, 0] },
        // c4 began on Sunday 16:30 UTC, Monday in the city: the week of 11-09.
        { key: 'wechat', name: '微信公众号', counts: [0, 0, 2, 0, 0, 0] },
        { key: 'sms', name: '短信', counts: [0, 1, 0, 0, 0, 0] },
      ]);
      expect(volume.byDemandType).toEqual([
        { key: 'complaint', name: '投诉', counts: [0, 1, 0, 0, 2, 0] },
        { key: 'consultation', name: '咨询', counts: [0, 0, 0, 0, 1, 0] },
        { key: 'help', name: '求助', counts: [0, 0, 1, 0, 0, 0] },
      ]);
      expect(volume.byCategory).toEqual([
        { code: '02', name: '生态环境', count: 3 },
        { code: '01', name: '城乡建设与管理', count: 1 },
        { code: '', name: '未分类', count: 1 },
      ]);
      expect(volume.byDistrict).toEqual([
        { district: '南湖区', count: 3 },
        { district: '北苑区', count: 1 },
        { district: '', count: 1 },
      ]);
    });

    it('self-service by day', async () => {
      const { selfService } = await analytics.overview({ ...NOVEMBER, granularity: 'day' });
      expect(selfService.periods).toHaveLength(30);
      const day = (d: string) => selfService.periods.indexOf(d);
      expect(selfService.conversations[day('2026-11-02')]).toBe(2);
      expect(selfService.selfServed[day('2026-11-02')]).toBe(1);
      expect(selfService.rate[day('2026-11-02')]).toBe(0.5);
      expect(selfService.rate[day('2026-11-01')]).toBeNull();
      expect(selfService).toMatchObject({ answered: 2, suggested: 0, missed: 2, helpful: 1, unhelpful: 1 });
    });

    it('handoffs: reasons, dispositions and queue waits', async () => {
      const { handoffs } = await analytics.overview(NOVEMBER);
      expect(handoffs).toMatchObject({
        total: 3,
        rate: 0.5,
        reasons: [
          { reason: 'requested', count: 2 },
          { reason: 'emergency', count: 1 },
        ],
        // percentile_cont over 10 s and 120 s: 10 + 0.5 * 110 and 10 + 0.9 * 110.
        wait: { answered: 2, abandoned: 1, waiting: 0, p50Seconds: 65, p90Seconds: 109, maxSeconds: 120 },
        counts: [0, 1, 1, 1, 0, 0],
      });
      expect(handoffs.dispositions).toHaveLength(3);
      expect(handoffs.dispositions).toEqual(
        expect.arrayContaining([
          { disposition: 'resolved', count: 1 },
          { disposition: 'ticket', count: 1 }, // ticket:<number> counts as ticket
          { disposition: '', count: 1 },
        ]),
      );
    });

    it('deadlines and satisfaction', async () => {
      const { deadlines, satisfaction } = await analytics.overview(NOVEMBER);
      const eco = taxonomy.departmentOf('02.02.01').name;
      const urban = taxonomy.departmentOf('01.05.02').name;
      expect(deadlines).toMatchObject({ resolved: 2, onTime: 1, late: 1, complianceRate: 0.5, overdueOpen: 2 });
      expect(deadlines.byDepartment).toEqual(
        expect.arrayContaining([
          { department: eco, resolved: 1, onTime: 1, overdueOpen: 0 },
          { department: urban, resolved: 1, onTime: 0, overdueOpen: 1 },
          { department: '', resolved: 0, onTime: 0, overdueOpen: 1 },
        ]),
      );
      expect(satisfaction).toEqual({
        callback: { satisfied: 1, fair: 0, dissatisfied: 1, rate: 0.5 },
        handback: { satisfied: 1, fair: 0, dissatisfied: 0, rate: 1 },
      });
    });

    it('unanswered questions, grouped by their normalised text', async () => {
      const { unanswered } = await analytics.overview(NOVEMBER);
      expect(unanswered.map(({ lastAt: _, ...q }) => q)).toEqual([
        { text: '公积金 怎么提取？', normalized: '公积金怎么提取', count: 2, missed: 2, unhelpful: 0 },
        { text: '医保怎么报销', normalized: '医保怎么报销', count: 1, missed: 0, unhelpful: 1 },
      ]);
    });

    it('hot spots and recurring problems', async () => {
      const { hotspots, clusters } = await analytics.overview(NOVEMBER);
      expect(hotspots).toEqual([
        { categoryCode: '02.02.01', categoryName: '餐饮油烟', district: '南湖区', current: 3, previous: 0, ratio: 3 },
      ]);
      expect(clusters).toHaveLength(1);
      expect(clusters[0]).toMatchObject({
        count: 3,
        categoryCode: '02.02.01',
        districts: [{ district: '南湖区', count: 3 }],
      });
      expect(clusters[0]!.keywords).toEqual(expect.arrayContaining(['油烟', '幸福']));
      expect([...clusters[0]!.ticketNumbers].sort()).toEqual(['t1', 't5', 't6']);
    });

    it('filters narrow every figure', async () => {
      const wechat = await analytics.overview({ ...NOVEMBER, channel: 'wechat' });
      expect(wechat.totals).toMatchObject({ conversations: 2, tickets: 0, handoffs: 1, emergencies: 1 });
      const smoke = await analytics.overview({ ...NOVEMBER, category: '02' });
      expect(smoke.totals).toMatchObject({ conversations: 1, tickets: 3, overdueOpen: 0 });
      const beiyuan = await analytics.overview({ ...NOVEMBER, district: '北苑区' });
      expect(beiyuan.totals).toMatchObject({ tickets: 1, overdueOpen: 1, complianceRate: 0 });
    });

    it('drills down to the conversations and tickets behind a number', async () => {
      const handoffs = await analytics.drillConversations(NOVEMBER, 'handoff', { page: 1, pageSize: 2 });
      expect(handoffs.total).toBe(3);
      expect(handoffs.items.map((c) => c.id)).toEqual(['c6', 'c4']);
      const week = await analytics.drillConversations(NOVEMBER, 'all', { period: '2026-11-09', page: 1, pageSize: 10 });
      expect(week.items.map((c) => c.id).sort()).toEqual(['c4', 'c5']);
      expect(week.items.find((c) => c.id === 'c4')).toMatchObject({ emergency: 'fire', firstText: '着火了' });

      const overdue = await analytics.drillTickets(NOVEMBER, 'overdue', { page: 1, pageSize: 10 });
      expect(overdue.items.map((t) => [t.number, t.overdueDays])).toEqual([
        ['t4', 20], // 19 days 18 hours
        ['t3', 4], // 3 days 18 hours
      ]);
      const t3 = overdue.items[1]!;
      expect(t3.phone).toBe('139****5678');
      expect(t3.description).toBe('想问一下居住证怎么办理，联系电话138****5678');
      const late = await analytics.drillTickets(NOVEMBER, 'late', { page: 1, pageSize: 10 });
      expect(late.items.map((t) => [t.number, t.overdueDays])).toEqual([['t2', 2]]);
      const dissatisfied = await analytics.drillTickets(NOVEMBER, 'dissatisfied', { page: 1, pageSize: 10 });
      expect(dissatisfied.items.map((t) => t.number)).toEqual(['t2']);
    });

    it('the roll-up picks up what changed since its last run', async () => {
      await handle.db
        .insertInto('activities')
        .values({
          id: 'c6|9',
          conversation_id: 'c6',
          seq: 9,
          direction: 'inbound',
          channel_id: 'webchat',
          type: 'message',
          from_id: 'citizen',
          from_role: 'user',
          text: '那我还能找谁',
          body: '{}',
        })
        .execute();
      await sql`update conversations set updated_at = now() where id = 'c6'`.execute(handle.db);
      const run = await analytics.rollup();
      // c6, plus whatever the look-behind window still covers (none of the seeded rows: they are older).
      expect(run.conversations).toBe(1);
      const { totals } = await analytics.overview(NOVEMBER);
      expect(totals.citizenMessages).toBe(12);
      expect(await analytics.rollup({ full: true })).toMatchObject({ conversations: 8, questions: 0 });
    });
  });
}
