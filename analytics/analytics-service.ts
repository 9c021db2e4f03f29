import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../core/db/schema.js';
import { DISTRICTS } from '../assistant/nlu/slots.js';
import { maskPii } from '../core/pii.js';
import type { Taxonomy } from '../tickets/taxonomy.js';
import { clusterTickets } from './clusters.js';
import { channelName, demandTypeName, periodsOf, rate } from './filters.js';
import { AnalyticsRollup, type RollupResult } from './rollup.js';
import type {
  AnalyticsFilters,
  ConversationRow,
  Deadlines,
  Handoffs,
  Hotspot,
  Overview,
  Page,
  ProblemCluster,
  Satisfaction,
  SatisfactionCounts,
  SelfService,
  Series,
  TicketRow,
  Totals,
  UnansweredQuestion,
  Volume,
} from './types.js';

export const CONVERSATION_METRICS = ['all', 'selfServed', 'missed', 'handoff', 'emergency', 'refused'] as const;
export type ConversationMetric = (typeof CONVERSATION_METRICS)[number];
export const TICKET_STATES = ['all', 'overdue', 'late', 'onTime', 'dissatisfied'] as const;
export type TicketState = (typeof TICKET_STATES)[number];

export interface DrillOptions {
  /** A period start of the filters' granularity: only that bucket. */
  period?: string;
  page: number;
  pageSize: number;
}

const OPEN_STATUSES = sql`('registered', 'dispatched', 'in_progress', 'extension_requested')`;
/** Tickets read for clustering: the newest ones of the range, enough for recurring problems to show. */
const CLUSTER_SAMPLE = 2000;
const TOP_UNANSWERED = 20;
const TOP_HOTSPOTS = 10;
const TOP_CLUSTERS = 10;
/** A hot spot has at least this many tickets in the range and more than in the window before. */
const HOTSPOT_MIN = 3;

const n = (value: unknown) => Number(value ?? 0);

/**
 * The supervisors' figures. Conversation figures come from `conversation_facts` (kept by the roll-up),
 * ticket figures from `tickets` (its time columns are indexed), waits from `handoffs`. Days, weeks and
 * months are the city's (`timeZone`); a week starts on Monday.
 */
export class AnalyticsService {
  private readonly roller: AnalyticsRollup;
  private readonly tz: RawBuilder<unknown>;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly taxonomy: Taxonomy,
    readonly timeZone: string,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.roller = new AnalyticsRollup(db);
    // A validated IANA name (the working calendar's): a literal keeps the range conditions sargable.
    this.tz = sql.lit(timeZone);
  }

  /** Brings the conversation figures up to date (see AnalyticsRollup). */
  rollup(options: { full?: boolean } = {}): Promise<RollupResult> {
    return this.roller.run(options);
  }

  async overview(f: AnalyticsFilters): Promise<Overview> {
    const [volume, selfService, handoffs, deadlines, satisfaction, unanswered, hotspots, clusters, counts, freshAt] =
      await Promise.all([
        this.volume(f),
        this.selfService(f),
        this.handoffs(f),
        this.deadlines(f),
        this.satisfaction(f),
        this.unanswered(f),
        this.hotspots(f),
        this.clusters(f),
        this.conversationCounts(f),
        this.roller.freshAt(),
      ]);
    const tickets = volume.byDemandType.reduce((sum, s) => sum + s.counts.reduce((a, b) => a + b, 0), 0);
    const conversations = selfService.conversations.reduce((a, b) => a + b, 0);
    const selfServed = selfService.selfServed.reduce((a, b) => a + b, 0);
    const answers = [satisfaction.callback, satisfaction.handback];
    const satisfied = answers.reduce((sum, s) => sum + s.satisfied + s.fair, 0);
    const responses = answers.reduce((sum, s) => sum + s.satisfied + s.fair + s.dissatisfied, 0);
    const totals: Totals = {
      conversations,
      citizenMessages: counts.citizenMessages,
      tickets,
      selfServed,
      selfServiceRate: rate(selfServed, conversations),
      handoffs: handoffs.total,
      handoffRate: handoffs.rate,
      emergencies: counts.emergencies,
      refused: counts.refused,
      complianceRate: deadlines.complianceRate,
      overdueOpen: deadlines.overdueOpen,
      satisfactionRate: rate(satisfied, responses),
      satisfactionResponses: responses,
    };
    return {
      filters: f,
      generatedAt: this.now().toISOString(),
      freshAt: freshAt?.toISOString() ?? null,
      totals,
      volume,
      selfService,
      handoffs,
      deadlines,
      satisfaction,
      unanswered,
      hotspots,
      clusters,
    };
  }

  async volume(f: AnalyticsFilters): Promise<Volume> {
    const periods = periodsOf(f);
    const [channels, types, categories, districts] = await Promise.all([
      sql<{ period: string; key: string; count: string }>`
        select ${this.bucket(sql`f.started_at`, f)} as period, f.channel_id as key, count(*) as count
        from conversation_facts f where ${this.factsWhere(f)} group by 1, 2`.execute(this.db),
      sql<{ period: string; key: string; count: string }>`
        select ${this.bucket(sql`t.registered_at`, f)} as period, t.demand_type as key, count(*) as count
        from tickets t where ${this.ticketsWhere(f, sql`t.registered_at`)} group by 1, 2`.execute(this.db),
      sql<{ key: string; count: string }>`
        select coalesce(left(t.category_code, 2), '') as key, count(*) as count
        from tickets t where ${this.ticketsWhere(f, sql`t.registered_at`)} group by 1`.execute(this.db),
      sql<{ key: string; count: string }>`
        select coalesce(t.district, '') as key, count(*) as count
        from tickets t where ${this.ticketsWhere(f, sql`t.registered_at`)} group by 1`.execute(this.db),
    ]);
    return {
      periods,
      byChannel: toSeries(periods, channels.rows, channelName),
      byDemandType: toSeries(periods, types.rows, demandTypeName),
      byCategory: categories.rows
        .sort(byCountThenKey)
        .map((r) => ({ code: r.key, name: this.categoryName(r.key) ?? '未分类', count: n(r.count) })),
      byDistrict: districts.rows.sort(byCountThenKey).map((r) => ({ district: r.key, count: n(r.count) })),
    };
  }

  async selfService(f: AnalyticsFilters): Promise<SelfService> {
    const periods = periodsOf(f);
    const { rows } = await sql<{
      period: string;
      conversations: string;
      self_served: string;
      answered: string;
      suggested: string;
      missed: string;
      helpful: string;
      unhelpful: string;
    }>`
      select ${this.bucket(sql`f.started_at`, f)} as period, count(*) as conversations,
        count(*) filter (where f.self_served) as self_served, sum(f.answered) as answered,
        sum(f.suggested) as suggested, sum(f.missed) as missed, sum(f.helpful) as helpful,
        sum(f.unhelpful) as unhelpful
      from conversation_facts f where ${this.factsWhere(f)} group by 1`.execute(this.db);
    const byPeriod = new Map(rows.map((r) => [r.period, r]));
    const conversations = periods.map((p) => n(byPeriod.get(p)?.conversations));
    const selfServed = periods.map((p) => n(byPeriod.get(p)?.self_served));
    const sum = (key: 'answered' | 'suggested' | 'missed' | 'helpful' | 'unhelpful') =>
      rows.reduce((total, r) => total + n(r[key]), 0);
    return {
      periods,
      conversations,
      selfServed,
      rate: periods.map((_, i) => rate(selfServed[i]!, conversations[i]!)),
      answered: sum('answered'),
      suggested: sum('suggested'),
      missed: sum('missed'),
      helpful: sum('helpful'),
      unhelpful: sum('unhelpful'),
    };
  }

  async handoffs(f: AnalyticsFilters): Promise<Handoffs> {
    const periods = periodsOf(f);
    const where = sql`${this.range(sql`h.queued_at`, f)} and ${this.factsDimensions(f)}`;
    const from = sql`handoffs h join conversation_facts f on f.conversation_id = h.conversation_id`;
    const [reasons, dispositions, waits, byPeriod, conversations] = await Promise.all([
      sql<{ key: string; count: string }>`
        select h.reason as key, count(*) as count from ${from} where ${where} group by 1`.execute(this.db),
      sql<{ key: string; count: string }>`
        select coalesce(h.disposition, '') as key, count(*) as count from ${from}
        where ${where} and h.status = 'closed' group by 1`.execute(this.db),
      sql<{ answered: string; abandoned: string; waiting: string; p50: number; p90: number; max: number }>`
        select count(*) filter (where h.accepted_at is not null) as answered,
          count(*) filter (where h.accepted_at is null and h.status = 'closed') as abandoned,
          count(*) filter (where h.status in ('waiting', 'offered')) as waiting,
          percentile_cont(0.5) within group (order by extract(epoch from h.accepted_at - h.queued_at))
            filter (where h.accepted_at is not null) as p50,
          percentile_cont(0.9) within group (order by extract(epoch from h.accepted_at - h.queued_at))
            filter (where h.accepted_at is not null) as p90,
          max(extract(epoch from h.accepted_at - h.queued_at)) as max
        from ${from} where ${where}`.execute(this.db),
      sql<{ period: string; count: string }>`
        select ${this.bucket(sql`h.queued_at`, f)} as period, count(*) as count from ${from}
        where ${where} group by 1`.execute(this.db),
      this.conversationTotal(f),
    ]);
    const total = reasons.rows.reduce((sum, r) => sum + n(r.count), 0);
    const w = waits.rows[0]!;
    const seconds = (value: unknown) => (value === null || value === undefined ? null : Math.round(Number(value)));
    const counts = new Map(byPeriod.rows.map((r) => [r.period, n(r.count)]));
    return {
      total,
      rate: rate(total, conversations),
      reasons: reasons.rows.map((r) => ({ reason: r.key, count: n(r.count) })).sort(largestFirst),
      dispositions: dispositions.rows.map((r) => ({ disposition: r.key, count: n(r.count) })).sort(largestFirst),
      wait: {
        answered: n(w.answered),
        abandoned: n(w.abandoned),
        waiting: n(w.waiting),
        p50Seconds: seconds(w.p50),
        p90Seconds: seconds(w.p90),
        maxSeconds: seconds(w.max),
      },
      periods,
      counts: periods.map((p) => counts.get(p) ?? 0),
    };
  }

  async deadlines(f: AnalyticsFilters): Promise<Deadlines> {
    const resolvedWhere = this.ticketsWhere(f, sql`t.resolved_at`);
    const openWhere = sql`${this.ticketDimensions(f)} and t.status in ${OPEN_STATUSES} and t.deadline_at < ${this.now()}`;
    const { rows } = await sql<{ department: string; resolved: string; on_time: string; overdue_open: string }>`
      select department, sum(resolved) as resolved, sum(on_time) as on_time, sum(overdue_open) as overdue_open
      from (
        select coalesce(t.department, '') as department, count(*) as resolved,
          count(*) filter (where t.resolved_at <= t.deadline_at) as on_time, 0 as overdue_open
        from tickets t where ${resolvedWhere} group by 1
        union all
        select coalesce(t.department, ''), 0, 0, count(*) from tickets t where ${openWhere} group by 1
      ) d group by 1`.execute(this.db);
    const byDepartment = rows
      .map((r) => ({
        department: r.department,
        resolved: n(r.resolved),
        onTime: n(r.on_time),
        overdueOpen: n(r.overdue_open),
      }))
      .sort(
        (a, b) => b.overdueOpen - a.overdueOpen || b.resolved - a.resolved || a.department.localeCompare(b.department),
      );
    const resolved = byDepartment.reduce((sum, d) => sum + d.resolved, 0);
    const onTime = byDepartment.reduce((sum, d) => sum + d.onTime, 0);
    return {
      resolved,
      onTime,
      late: resolved - onTime,
      complianceRate: rate(onTime, resolved),
      overdueOpen: byDepartment.reduce((sum, d) => sum + d.overdueOpen, 0),
      byDepartment,
    };
  }

  async satisfaction(f: AnalyticsFilters): Promise<Satisfaction> {
    const [callback, handback] = await Promise.all([
      sql<{ score: number; count: string }>`
        select t.callback_satisfaction as score, count(*) as count from tickets t
        where ${this.ticketsWhere(f, sql`t.callback_at`)} and t.callback_satisfaction is not null group by 1`.execute(
        this.db,
      ),
      sql<{ score: number; count: string }>`
        select f.satisfaction as score, count(*) as count from conversation_facts f
        where ${this.factsWhere(f)} and f.satisfaction is not null group by 1`.execute(this.db),
    ]);
    return { callback: satisfactionCounts(callback.rows), handback: satisfactionCounts(handback.rows) };
  }

  async unanswered(f: AnalyticsFilters, limit = TOP_UNANSWERED): Promise<UnansweredQuestion[]> {
    const { rows } = await sql<{
      normalized: string;
      text: string;
      count: string;
      missed: string;
      unhelpful: string;
      last_at: Date;
    }>`
      select q.normalized, (array_agg(q.text order by q.at desc))[1] as text, count(*) as count,
        count(*) filter (where q.kind = 'miss') as missed, count(*) filter (where q.kind = 'unhelpful') as unhelpful,
        max(q.at) as last_at
      from unanswered_questions q join conversation_facts f on f.conversation_id = q.conversation_id
      where ${this.range(sql`q.at`, f)} and ${this.factsDimensions(f)}
      group by q.normalized order by count(*) desc, max(q.at) desc limit ${limit}`.execute(this.db);
    return rows.map((r) => ({
      text: maskPii(r.text),
      normalized: maskPii(r.normalized),
      count: n(r.count),
      missed: n(r.missed),
      unhelpful: n(r.unhelpful),
      lastAt: new Date(r.last_at).toISOString(),
    }));
  }

  /** Category and district pairs with at least HOTSPOT_MIN tickets, rising against the window before. */
  async hotspots(f: AnalyticsFilters): Promise<Hotspot[]> {
    const days = Math.round((Date.parse(f.to) - Date.parse(f.from)) / 86_400_000) + 1;
    const previous = {
      ...f,
      from: new Date(Date.parse(f.from) - days * 86_400_000).toISOString().slice(0, 10),
      to: new Date(Date.parse(f.from) - 86_400_000).toISOString().slice(0, 10),
    };
    const { rows } = await sql<{ code: string; district: string; current: string; previous: string }>`
      select t.category_code as code, t.district,
        count(*) filter (where ${this.range(sql`t.registered_at`, f)}) as current,
        count(*) filter (where ${this.range(sql`t.registered_at`, previous)}) as previous
      from tickets t
      where ${this.range(sql`t.registered_at`, { ...f, from: previous.from })} and ${this.ticketDimensions(f)}
        and t.category_code is not null and t.district is not null
      group by 1, 2`.execute(this.db);
    return rows
      .map((r) => ({
        categoryCode: r.code,
        categoryName: this.categoryName(r.code) ?? r.code,
        district: r.district,
        current: n(r.current),
        previous: n(r.previous),
        ratio: n(r.current) / Math.max(n(r.previous), 1),
      }))
      .filter((h) => h.current >= HOTSPOT_MIN && h.current > h.previous)
      .sort((a, b) => b.current - b.previous - (a.current - a.previous) || b.ratio - a.ratio)
      .slice(0, TOP_HOTSPOTS);
  }

  /** Recurring problems among the range's newest tickets (see clusters.ts). */
  async clusters(f: AnalyticsFilters): Promise<ProblemCluster[]> {
    const rows = await this.db
      .selectFrom('tickets as t')
      .select(['t.number', 't.category_code', 't.district', 't.description'])
      .where(this.ticketsWhere(f, sql`t.registered_at`))
      .where('t.category_code', 'is not', null)
      .orderBy('t.registered_at', 'desc')
      .limit(CLUSTER_SAMPLE)
      .execute();
    const clusters = clusterTickets(
      rows.map((r) => ({
        number: r.number,
        categoryCode: r.category_code!,
        district: r.district,
        description: r.description,
      })),
    );
    return clusters.slice(0, TOP_CLUSTERS).map((c) => {
      const districts = new Map<string, number>();
      for (const t of c.tickets) districts.set(t.district ?? '', (districts.get(t.district ?? '') ?? 0) + 1);
      return {
        label: c.keywords.join(' · '),
        keywords: c.keywords,
        count: c.tickets.length,
        categoryCode: c.categoryCode,
        categoryName: this.categoryName(c.categoryCode) ?? c.categoryCode,
        districts: [...districts].map(([district, count]) => ({ district, count })).sort(largestFirst),
        sample: maskPii(c.typical.description),
        ticketNumbers: c.tickets.map((t) => t.number),
      };
    });
  }

  async drillConversations(
    f: AnalyticsFilters,
    metric: ConversationMetric,
    options: DrillOptions,
  ): Promise<Page<ConversationRow>> {
    const metricWhere = {
      all: sql`true`,
      selfServed: sql`f.self_served`,
      missed: sql`f.missed > 0`,
      handoff: sql`f.handoff_reason is not null`,
      emergency: sql`f.emergency is not null`,
      refused: sql`f.refused is not null`,
    }[metric];
    const where = sql`${this.factsWhere(this.narrowed(f, options.period))} and ${metricWhere}`;
    const [page, total] = await Promise.all([
      sql<{
        conversation_id: string;
        channel_id: string;
        started_at: Date;
        citizen_messages: number;
        answered: number;
        missed: number;
        handoff_reason: string | null;
        tickets: number;
        self_served: boolean;
        emergency: string | null;
        category_code: string | null;
        first_text: string | null;
      }>`
        select f.conversation_id, f.channel_id, f.started_at, f.citizen_messages, f.answered, f.missed,
          f.handoff_reason, f.tickets, f.self_served, f.emergency, f.category_code, f.first_text
        from conversation_facts f where ${where}
        order by f.started_at desc, f.conversation_id limit ${options.pageSize}
        offset ${(options.page - 1) * options.pageSize}`.execute(this.db),
      sql<{ count: string }>`select count(*) as count from conversation_facts f where ${where}`.execute(this.db),
    ]);
    return {
      items: page.rows.map((r) => ({
        id: r.conversation_id,
        channel: r.channel_id,
        startedAt: new Date(r.started_at).toISOString(),
        citizenMessages: r.citizen_messages,
        answered: r.answered,
        missed: r.missed,
        handoff: r.handoff_reason !== null,
        handoffReason: r.handoff_reason,
        tickets: r.tickets,
        selfServed: r.self_served,
        emergency: r.emergency,
        categoryCode: r.category_code,
        categoryName: r.category_code ? (this.categoryName(r.category_code) ?? null) : null,
        firstText: r.first_text === null ? null : maskPii(r.first_text),
      })),
      total: n(total.rows[0]?.count),
      page: options.page,
      pageSize: options.pageSize,
    };
  }

  async drillTickets(f: AnalyticsFilters, state: TicketState, options: DrillOptions): Promise<Page<TicketRow>> {
    const g = this.narrowed(f, options.period);
    const now = this.now();
    const where: RawBuilder<boolean> = {
      all: this.ticketsWhere(g, sql`t.registered_at`),
      // Open and past the deadline now, whenever registered (the figure is not limited to the range).
      overdue: sql<boolean>`${this.ticketDimensions(g)} and t.status in ${OPEN_STATUSES} and t.deadline_at < ${now}`,
      late: sql<boolean>`${this.ticketsWhere(g, sql`t.resolved_at`)} and t.resolved_at > t.deadline_at`,
      onTime: sql<boolean>`${this.ticketsWhere(g, sql`t.resolved_at`)} and t.resolved_at <= t.deadline_at`,
      dissatisfied: sql<boolean>`${this.ticketsWhere(g, sql`t.callback_at`)} and t.callback_satisfaction = 3`,
    }[state];
    const order = state === 'overdue' ? sql`t.deadline_at asc` : sql`t.registered_at desc`;
    const [page, total] = await Promise.all([
      this.db
        .selectFrom('tickets as t')
        .selectAll()
        .where(where)
        .orderBy(order)
        .orderBy('t.id')
        .limit(options.pageSize)
        .offset((options.page - 1) * options.pageSize)
        .execute(),
      sql<{ count: string }>`select count(*) as count from tickets t where ${where}`.execute(this.db),
    ]);
    return {
      items: page.map((t) => {
        const deadline = new Date(t.deadline_at);
        const until = t.resolved_at ? new Date(t.resolved_at) : now;
        const late = until.getTime() - deadline.getTime();
        return {
          number: t.number,
          demandType: t.demand_type,
          categoryCode: t.category_code,
          categoryName: t.category_code ? (this.categoryName(t.category_code) ?? null) : null,
          district: t.district,
          department: t.department,
          status: t.status,
          channel: t.channel_id,
          registeredAt: new Date(t.registered_at).toISOString(),
          deadlineAt: deadline.toISOString(),
          resolvedAt: t.resolved_at ? new Date(t.resolved_at).toISOString() : null,
          // Open and not yet due, or resolved in time: not late.
          overdueDays: (t.resolved_at || OPEN.has(t.status)) && late > 0 ? Math.ceil(late / 86_400_000) : 0,
          satisfaction: t.callback_satisfaction,
          description: maskPii(t.description),
          phone: t.phone === null ? null : maskPii(t.phone),
        };
      }),
      total: n(total.rows[0]?.count),
      page: options.page,
      pageSize: options.pageSize,
    };
  }

  /** The major and middle classes, for a category filter. */
  categories(): { code: string; name: string; level: 'major' | 'middle' }[] {
    return this.taxonomy.majors.flatMap((major) => [
      { code: major.code, name: major.name, level: 'major' as const },
      ...major.middles.map((m) => ({ code: m.code, name: m.name, level: 'middle' as const })),
    ]);
  }

  /** The city's districts, and any other place tickets were registered with. */
  async districts(): Promise<string[]> {
    const rows = await this.db
      .selectFrom('tickets')
      .select('district')
      .distinct()
      .where('district', 'is not', null)
      .limit(500)
      .execute();
    const known: string[] = [...DISTRICTS];
    return [
      ...known,
      ...rows
        .map((r) => r.district!)
        .filter((d) => !known.includes(d))
        .sort(),
    ];
  }

  /** A major, middle or minor class's name; '' (no category) has none. */
  categoryName(code: string): string | undefined {
    return code ? this.taxonomy.byCode(code)?.name : undefined;
  }

  private async conversationCounts(f: AnalyticsFilters) {
    const { rows } = await sql<{ messages: string; emergencies: string; refused: string }>`
      select coalesce(sum(f.citizen_messages), 0) as messages,
        count(*) filter (where f.emergency is not null) as emergencies,
        count(*) filter (where f.refused is not null) as refused
      from conversation_facts f where ${this.factsWhere(f)}`.execute(this.db);
    const r = rows[0]!;
    return { citizenMessages: n(r.messages), emergencies: n(r.emergencies), refused: n(r.refused) };
  }

  private async conversationTotal(f: AnalyticsFilters): Promise<number> {
    const { rows } = await sql<{ count: string }>`
      select count(*) as count from conversation_facts f where ${this.factsWhere(f)}`.execute(this.db);
    return n(rows[0]?.count);
  }

  /** The filters limited to one period of their granularity (a drill-down from a chart's bar). */
  private narrowed(f: AnalyticsFilters, period: string | undefined): AnalyticsFilters {
    if (period === undefined) return f;
    const periods = periodsOf(f);
    const i = periods.indexOf(period);
    if (i < 0) return { ...f, from: period, to: period };
    const end = periods[i + 1] ? new Date(Date.parse(periods[i + 1]!) - 86_400_000).toISOString().slice(0, 10) : f.to;
    return { ...f, from: period > f.from ? period : f.from, to: end < f.to ? end : f.to };
  }

  /** The city day, week (Monday) or month an instant falls in, as YYYY-MM-DD. */
  private bucket(column: RawBuilder<unknown>, f: AnalyticsFilters) {
    return sql`date_trunc(${sql.lit(f.granularity)}, ${column} at time zone ${this.tz})::date::text`;
  }

  /** From the first city day's midnight to the midnight after the last one. */
  private range(column: RawBuilder<unknown>, f: Pick<AnalyticsFilters, 'from' | 'to'>) {
    const end = new Date(Date.parse(f.to) + 86_400_000).toISOString().slice(0, 10);
    return sql`${column} >= (${f.from}::timestamp at time zone ${this.tz})
      and ${column} < (${end}::timestamp at time zone ${this.tz})`;
  }

  private factsWhere(f: AnalyticsFilters) {
    return sql`${this.range(sql`f.started_at`, f)} and f.citizen_messages > 0 and ${this.factsDimensions(f)}`;
  }

  private factsDimensions(f: AnalyticsFilters) {
    return sql.join(
      [
        sql`true`,
        ...(f.channel ? [sql`f.channel_id = ${f.channel}`] : []),
        ...(f.demandType ? [sql`f.demand_type = ${f.demandType}`] : []),
        ...(f.category ? [sql`f.category_code like ${`${f.category}%`}`] : []),
        ...(f.district ? [sql`f.district = ${f.district}`] : []),
      ],
      sql` and `,
    );
  }

  private ticketsWhere(f: AnalyticsFilters, column: RawBuilder<unknown>) {
    return sql<boolean>`${this.range(column, f)} and ${this.ticketDimensions(f)}`;
  }

  private ticketDimensions(f: AnalyticsFilters) {
    return sql.join(
      [
        sql`t.status <> 'draft'`,
        ...(f.channel ? [sql`t.channel_id = ${f.channel}`] : []),
        ...(f.demandType ? [sql`t.demand_type = ${f.demandType}`] : []),
        ...(f.category ? [sql`t.category_code like ${`${f.category}%`}`] : []),
        ...(f.district ? [sql`t.district = ${f.district}`] : []),
      ],
      sql` and `,
    );
  }
}

const OPEN = new Set(['registered', 'dispatched', 'in_progress', 'extension_requested']);

const largestFirst = <T extends { count: number }>(a: T, b: T) => b.count - a.count;

/** Largest first; among equals, by key, with none ('') last. */
function byCountThenKey(a: { key: string; count: string }, b: { key: string; count: string }): number {
  const difference = n(b.count) - n(a.count);
  if (difference !== 0) return difference;
  if ((a.key === '') !== (b.key === '')) return a.key === '' ? 1 : -1;
  return a.key.localeCompare(b.key);
}

/** Rows of (period, key, count) as one series per key, aligned with the periods, largest total first. */
function toSeries(
  periods: string[],
  rows: { period: string; key: string; count: string }[],
  name: (key: string) => string,
): Series[] {
  const index = new Map(periods.map((p, i) => [p, i]));
  const series = new Map<string, Series>();
  for (const row of rows) {
    const s = series.get(row.key) ?? { key: row.key, name: name(row.key), counts: periods.map(() => 0) };
    const i = index.get(row.period);
    if (i !== undefined) s.counts[i] = n(row.count);
    series.set(row.key, s);
  }
  const total = (s: Series) => s.counts.reduce((a, b) => a + b, 0);
  return [...series.values()].sort((a, b) => total(b) - total(a) || a.key.localeCompare(b.key));
}

function satisfactionCounts(rows: { score: number; count: string }[]): SatisfactionCounts {
  const of = (score: number) => n(rows.find((r) => Number(r.score) === score)?.count);
  const [satisfied, fair, dissatisfied] = [of(1), of(2), of(3)];
  return { satisfied, fair, dissatisfied, rate: rate(satisfied + fair, satisfied + fair + dissatisfied) };
}
