/**
 * Dashboard queries at scale on PostgreSQL: half a year of traffic with 1,000,000 messages (166,667
 * conversations of six) and 200,000 tickets, generated in SQL; the roll-up that turns messages into
 * per-conversation facts (once in full, then incrementally after 1,000 conversations changed); then every
 * dashboard query, repeated, under four filter sets. The same-run baseline is the self-service figure
 * counted straight from the messages, as it would be without the facts table.
 */
import { performance } from 'node:perf_hooks';
import { sql, type Kysely } from 'kysely';
import { AnalyticsService } from '../analytics/analytics-service.js';
import { cityDay, addDays } from '../analytics/filters.js';
import type { AnalyticsFilters } from '../analytics/types.js';
import { DISTRICTS } from '../assistant/nlu/slots.js';
import { openDatabase } from '../core/db/database.js';
import type { Database } from '../core/db/schema.js';
import { createLogger } from '../core/logger.js';
import { loadTaxonomy, type Taxonomy } from '../tickets/taxonomy.js';
import { createTestDatabase } from '../test/support/services.js';
import { summarize, table, type Summary } from './stats.js';

export const MESSAGES_PER_CONVERSATION = 6;
/** The traffic is spread over this many days before today: half a year of a busy hotline's messages. */
const SPREAD_DAYS = 180;
const TIME_ZONE = 'Asia/Shanghai';

export interface AnalyticsBenchResult {
  messages: number;
  tickets: number;
  conversations: number;
  loadSeconds: number;
  fullRollupSeconds: number;
  incrementalRollupMs: number;
  queries: { filters: string; query: string; latency: Summary }[];
  baseline: Summary;
}

const QUESTIONS = [
  '身份证丢了怎么补办',
  '公积金怎么提取',
  '社保卡怎么挂失',
  '居住证怎么办理',
  '新生儿落户需要什么材料',
  '医保异地报销怎么办',
  '驾驶证到期怎么换证',
  '火星移民需要办什么手续',
];
/** Bot replies as the assistant marks them: answers, candidates, misses, feedback, refusals, emergencies. */
const REPLIES = [
  { knowledge: { articleId: 'demo-1', confidence: 0.96 } },
  { knowledge: { articleId: 'demo-2', confidence: 0.91 } },
  { knowledge: { candidates: [{ articleId: 'demo-3', confidence: 0.6 }] } },
  { knowledge: { miss: true, best: 0.2 } },
  { feedback: { articleId: 'demo-1', helped: true, question: '身份证丢了怎么补办' } },
  { feedback: { articleId: 'demo-2', helped: false, question: '公积金怎么提取' } },
  { refused: { reason: 'litigation' } },
  { intake: { asked: 'phone' } },
  {},
  {},
].map((channelData) => JSON.stringify({ channelData }));
const DESCRIPTIONS = [
  '幸福路夜市烧烤油烟太大，晚上熏得没法开窗',
  '楼下烧烤摊每晚油烟很大，熏得受不了',
  '工地夜间施工噪音太吵，凌晨还在打桩',
  '小区路灯坏了一个星期，晚上一片黑',
  '公交车到站不停，司机态度差',
  '楼上邻居装修噪音，周末一早就开始',
  '马路上有个大坑，电动车差点摔倒',
  '单位拖欠工资三个月不发',
];

export async function loadBenchData(db: Kysely<Database>, taxonomy: Taxonomy, conversations: number, tickets: number) {
  const minors = taxonomy.minors.map((m) => m.code);
  const departments = taxonomy.minors.map((m) => taxonomy.departmentOf(m.code).name);
  await sql`
    insert into conversations (id, channel_id, last_seq, created_at, updated_at)
    select 'b' || i, (array['webchat', 'wechat', 'sms', 'voice', 'wechaty'])[1 + i % 5], ${MESSAGES_PER_CONVERSATION},
      t, t + interval '5 minutes'
    from generate_series(1, ${conversations}::int) i, lateral (select now() - (random() + 0 * i) * interval '1 day' * ${SPREAD_DAYS} as t) x`.execute(
    db,
  );
  await sql`
    insert into conversation_state (conversation_id, state)
    select id, '{}'::jsonb from conversations where id like 'b%'`.execute(db);
  await sql`
    insert into activities (id, conversation_id, seq, direction, channel_id, type, from_id, from_role, text,
                            reply_to_id, body, created_at, processed_at)
    select c.id || '|' || lpad(s::text, 7, '0'), c.id, s,
      case when s % 2 = 1 then 'inbound' else 'outbound' end, c.channel_id, 'message',
      case when s % 2 = 1 then 'citizen' else 'minsheng-bot' end, case when s % 2 = 1 then 'user' else 'bot' end,
      case when s % 2 = 1 then (${QUESTIONS}::text[])[1 + floor(random() * ${QUESTIONS.length})::int] else '……' end,
      case when s % 2 = 0 then c.id || '|' || lpad((s - 1)::text, 7, '0') end,
      case when s % 2 = 1 then '{}'::jsonb
           else ((${REPLIES}::text[])[1 + floor(random() * ${REPLIES.length})::int])::jsonb end,
      c.created_at + s * interval '20 seconds', c.created_at + s * interval '20 seconds'
    from conversations c, generate_series(1, ${MESSAGES_PER_CONVERSATION}::int) s where c.id like 'b%'`.execute(db);
  await sql`
    insert into tickets (number, demand_type, category_code, department, status, description, phone, district,
      channel_id, conversation_id, registered_at, deadline_at, resolved_at, callback_at, callback_satisfaction,
      updated_at)
    select 'B-' || i,
      (array['consultation', 'help', 'complaint', 'report', 'suggestion', 'praise'])[1 + i % 6],
      (${minors}::text[])[1 + m], (${departments}::text[])[1 + m],
      case when r < 0.7 then 'closed' when r < 0.8 then 'in_progress' when r < 0.9 then 'dispatched' else 'registered' end,
      (${DESCRIPTIONS}::text[])[1 + i % ${DESCRIPTIONS.length}], '13912345678',
      (${[...DISTRICTS]}::text[])[1 + i % ${DISTRICTS.length}],
      (array['webchat', 'wechat', 'sms', 'voice'])[1 + i % 4],
      case when i <= ${conversations}::int then 'b' || i end,
      reg, reg + interval '15 days',
      case when r < 0.7 then reg + random() * interval '20 days' end,
      case when r < 0.7 then reg + interval '21 days' end,
      case when r < 0.7 then 1 + floor(random() * 3)::smallint end,
      least(case when r < 0.7 then reg + interval '21 days' else reg end, now() - interval '1 hour')
    from generate_series(1, ${tickets}::int) i,
      -- i in the subquery makes it run per row (an uncorrelated one would run once).
      lateral (select now() - (random() + 0 * i) * interval '1 day' * ${SPREAD_DAYS} as reg, random() + 0 * i as r,
                      floor(random() * ${minors.length} + 0 * i)::int as m) x`.execute(db);
  await sql`
    insert into handoffs (id, conversation_id, queue, priority, reason, status, queued_at, accepted_at, closed_at, disposition)
    select 'bh' || c.id, c.id, 'general', 'normal', case when random() < 0.1 then 'emergency' else 'requested' end,
      'closed', c.created_at + interval '1 minute',
      case when random() < 0.9 then c.created_at + interval '1 minute' + random() * interval '5 minutes' end,
      c.created_at + interval '20 minutes', 'resolved'
    from conversations c where c.id like 'b%' and random() < 0.12`.execute(db);
  await sql`analyze`.execute(db);
}

async function time<T>(task: () => Promise<T>): Promise<[number, T]> {
  const started = performance.now();
  const value = await task();
  return [performance.now() - started, value];
}

export async function measureAnalytics(
  options: { conversations?: number; tickets?: number; repeats?: number } = {},
): Promise<AnalyticsBenchResult> {
  const conversations = options.conversations ?? Math.ceil(1_000_000 / MESSAGES_PER_CONVERSATION);
  const tickets = options.tickets ?? 200_000;
  const repeats = options.repeats ?? 20;
  const database = await createTestDatabase();
  const handle = await openDatabase({
    databaseUrl: database.url,
    dataDir: '',
    logger: createLogger({ level: 'silent' }),
  });
  try {
    const { db } = handle;
    const taxonomy = await loadTaxonomy();
    process.stdout.write(
      `  generating ${(conversations * MESSAGES_PER_CONVERSATION).toLocaleString()} messages and ${tickets.toLocaleString()} tickets… `,
    );
    const [loadMs] = await time(() => loadBenchData(db, taxonomy, conversations, tickets));
    console.log(`${(loadMs / 1000).toFixed(0)} s`);
    const analytics = new AnalyticsService(db, taxonomy, TIME_ZONE);
    process.stdout.write('  full roll-up… ');
    const [fullMs] = await time(() => analytics.rollup({ full: true }));
    console.log(`${(fullMs / 1000).toFixed(1)} s`);
    // As autovacuum would after a bulk load: the planner needs the new tables' statistics.
    await sql`analyze conversation_facts`.execute(db);
    await sql`analyze unanswered_questions`.execute(db);
    await sql`analyze ticket_facts`.execute(db);
    await sql`update conversations set updated_at = now() where id in (select id from conversations limit 1000)`.execute(
      db,
    );
    const [incrementalMs] = await time(() => analytics.rollup());

    const today = cityDay(new Date(), TIME_ZONE);
    const filterSets: [string, AnalyticsFilters][] = [
      ['30 days, by day', { from: addDays(today, -29), to: today, granularity: 'day' }],
      ['all 180 days, by month', { from: addDays(today, -(SPREAD_DAYS + 1)), to: today, granularity: 'month' }],
      ['90 days, by week, sms', { from: addDays(today, -89), to: today, granularity: 'week', channel: 'sms' }],
      [
        '30 days, category 02, 南湖区',
        { from: addDays(today, -29), to: today, granularity: 'day', category: '02', district: '南湖区' },
      ],
    ];
    const queries: { name: string; run: (f: AnalyticsFilters) => Promise<unknown> }[] = [
      { name: 'overview (all at once)', run: (f) => analytics.overview(f) },
      { name: 'volume', run: (f) => analytics.volume(f) },
      { name: 'self-service', run: (f) => analytics.selfService(f) },
      { name: 'handoffs', run: (f) => analytics.handoffs(f) },
      { name: 'deadlines', run: (f) => analytics.deadlines(f) },
      { name: 'satisfaction', run: (f) => analytics.satisfaction(f) },
      { name: 'unanswered', run: (f) => analytics.unanswered(f) },
      { name: 'hotspots', run: (f) => analytics.hotspots(f) },
      { name: 'clusters', run: (f) => analytics.clusters(f) },
      { name: 'drill: overdue tickets', run: (f) => analytics.drillTickets(f, 'overdue', { page: 1, pageSize: 50 }) },
      {
        name: 'drill: missed conversations',
        run: (f) => analytics.drillConversations(f, 'missed', { page: 1, pageSize: 50 }),
      },
    ];
    // Warm-up: jieba's dictionary, plans, caches.
    for (const [, f] of filterSets) await analytics.overview(f);
    const results: AnalyticsBenchResult['queries'] = [];
    for (const [label, f] of filterSets) {
      for (const q of queries) {
        const samples: number[] = [];
        for (let i = 0; i < repeats; i++) samples.push((await time(() => q.run(f)))[0]);
        results.push({ filters: label, query: q.name, latency: summarize(samples) });
      }
    }
    const [, month] = filterSets[0]!;
    const baselineSamples: number[] = [];
    for (let i = 0; i < repeats; i++) {
      const [ms] = await time(() =>
        sql`select count(distinct a.conversation_id) filter (where a.body->'channelData'->'knowledge' ? 'articleId')
            from activities a
            where a.created_at >= (${month.from}::timestamp at time zone ${TIME_ZONE})
              and a.direction = 'outbound'`.execute(db),
      );
      baselineSamples.push(ms);
    }
    return {
      messages: conversations * MESSAGES_PER_CONVERSATION,
      tickets,
      conversations,
      loadSeconds: loadMs / 1000,
      fullRollupSeconds: fullMs / 1000,
      incrementalRollupMs: incrementalMs,
      queries: results,
      baseline: summarize(baselineSamples),
    };
  } finally {
    await handle.close();
    await database.drop();
  }
}

export function printAnalytics(r: AnalyticsBenchResult): void {
  console.log(
    `\nAnalytics on PostgreSQL (ms): ${r.messages.toLocaleString()} messages, ${r.tickets.toLocaleString()} tickets; ` +
      `full roll-up ${r.fullRollupSeconds.toFixed(1)} s, incremental roll-up of 1,000 changed conversations ${r.incrementalRollupMs.toFixed(0)} ms`,
  );
  console.log('baseline: the 30-day self-service count straight from the messages (no facts table), same run\n');
  console.log(
    table(
      ['filters', 'query', 'runs', 'p50', 'p95', 'max', 'p95/base'],
      [
        ...r.queries.map((q) => [
          q.filters,
          q.query,
          q.latency.count,
          q.latency.p50,
          q.latency.p95,
          q.latency.max,
          `${(q.latency.p95 / r.baseline.p95).toFixed(2)}x`,
        ]),
        [
          '30 days',
          'baseline: raw messages',
          r.baseline.count,
          r.baseline.p50,
          r.baseline.p95,
          r.baseline.max,
          '1.00x',
        ],
      ],
    ),
  );
  console.log('');
}
