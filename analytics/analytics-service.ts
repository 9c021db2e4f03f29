import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../core/db/schema.js';
import { DISTRICTS } from '../assistant/nlu/slots.js';
import { maskPii } from '../core/pii.js';
import type { Taxonomy } from '../tickets/taxonomy.js';
import { clusterTickets } from './clusters.js';
import { addDays, channelName, demandTypeName, periodStart, periodsOf, rate } from './filters.js';
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
    this.roller = new AnalyticsRollup(db, timeZone);
    // A validated IANA name (the working calendar's): a literal keeps the range conditions sargable.
    this.tz = sql.lit(timeZone);
  }

  /** Brings the conversation figures up to date (see AnalyticsRollup). */
  rollup(options: { full?: boolean } = {}): Promise<RollupResult> {
    return this.roller.run(options);
  }

  async overview(f: AnalyticsFilters): Promise<Overview> {
    // Each source is read once: the conversation facts by day and channel, the tickets by day and type
    // (with categories and districts), and every other figure from its own small query.
    const conversationDays = this.conversationDays(f);
    const [days, tickets, handoffs, deadlines, callback, unanswered, hotspots, clusters, freshAt] = await Promise.all([
      conversationDays,
      this.ticketCounts(f),
      conversationDays.then((d) => this.handoffFigures(f, sumOf(d, 'conversations'))),
      this.deadlines(f),
      this.callbackSatisfaction(f),
      this.unanswered(f),
      this.hotspots(f),
      this.clusters(f),
      this.roller.freshAt(),
    ]);
    const volume = this.volumeOf(f, days, tickets);
    const selfService = selfServiceOf(f, days);
    const satisfaction = { callback, handback: handbackOf(days) };
    const conversations = sumOf(days, 'conversations');
    const selfServed = sumOf(days, 'selfServed');
    const answers = [satisfaction.callback, satisfaction.handback];
    const satisfied = answers.reduce((sum, a) => sum + a.satisfied + a.fair, 0);
    const responses = answers.reduce((sum, a) => sum + a.satisfied + a.fair + a.dissatisfied, 0);
    const totals: Totals = {
      conversations,
      citizenMessages: sumOf(days, 'messages'),
      tickets: tickets.demandTypes.reduce((sum, t) => sum + t.count, 0),
      selfServed,
      selfServiceRate: rate(selfServed, conversations),
      handoffs: handoffs.total,
      handoffRate: handoffs.rate,
      emergencies: sumOf(days, 'emergencies'),
      refused: sumOf(days, 'refused'),
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
    const [days, tickets] = await Promise.all([this.conversationDays(f), this.ticketCounts(f)]);
    return this.volumeOf(f, days, tickets);
  }

  async selfService(f: AnalyticsFilters): Promise<SelfService> {
    return selfServiceOf(f, await this.conversationDays(f));
  }

  async handoffs(f: AnalyticsFilters): Promise<Handoffs> {
    return this.handoffFigures(f, sumOf(await this.conversationDays(f), 'conversations'));
  }

  async satisfaction(f: AnalyticsFilters): Promise<Satisfaction> {
    const [callback, days] = await Promise.all([this.callbackSatisfaction(f), this.conversationDays(f)]);
    return { callback, handback: handbackOf(days) };
  }

  async unanswered(f: AnalyticsFilters, limit = TOP_UNANSWERED): Promise<UnansweredQuestion[]> {
    // The facts are joined only to filter by what the conversation was about.
    const about = f.category || f.demandType || f.district;
    const { rows } = await sql<{
      normalized: string;
      text: string;
      count: string;
      missed: string;
      unhelpful: string;
      last_at: Date;
    }>`
      with top as (
        select q.normalized, count(*) as count, count(*) filter (where q.kind = 'miss') as missed,
          count(*) filter (where q.kind = 'unhelpful') as unhelpful, max(q.at) as last_at
        from unanswered_questions q
        ${about ? sql`join conversation_facts f on f.conversation_id = q.conversation_id` : sql``}
        where ${this.days(sql`q.day`, f)} ${f.channel ? sql`and q.channel_id = ${f.channel}` : sql``}
          ${about ? sql`and ${this.factsDimensions(f)}` : sql``}
        group by q.normalized order by count(*) desc, max(q.at) desc limit ${limit}
      )
      select top.*, (select q.text from unanswered_questions q where q.normalized = top.normalized
                     order by q.at desc limit 1) as text
      from top order by top.count desc, top.last_at desc`.execute(this.db);
    return rows.map((r) => ({
      text: maskPii(r.text),
      normalized: maskPii(r.normalized),
      count: n(r.count),
      missed: n(r.missed),
      unhelpful: n(r.unhelpful),
      lastAt: new Date(r.last_at).toISOString(),
    }));
  }

  /** The conversation facts in one pass, by city day and channel: every counter the figures need. */
  private async conversationDays(f: AnalyticsFilters): Promise<ConversationDay[]> {
    const { rows } = await sql<Record<keyof ConversationDay, string>>`
      select f.day::text as day, f.channel_id as channel, count(*) as conversations,
        count(*) filter (where f.self_served) as "selfServed", sum(f.citizen_messages) as messages,
        sum(f.answered) as answered, sum(f.suggested) as suggested, sum(f.missed) as missed,
        sum(f.helpful) as helpful, sum(f.unhelpful) as unhelpful,
        count(*) filter (where f.emergency is not null) as emergencies,
        count(*) filter (where f.refused is not null) as refused,
        count(*) filter (where f.satisfaction = 1) as satisfied, count(*) filter (where f.satisfaction = 2) as fair,
        count(*) filter (where f.satisfaction = 3) as dissatisfied
      from conversation_facts f where ${this.factsWhere(f)} group by f.day, f.channel_id`.execute(this.db);
    return rows.map((r) => {
      const day = { day: r.day, channel: r.channel } as ConversationDay;
      for (const key of COUNTERS) day[key] = n(r[key]);
      return day;
    });
  }

  /**
   * Tickets registered in the range: by city day and demand type, and by major class and district (summed
   * into each). Two hash aggregates: as grouping sets, PostgreSQL sorts them, spilling to disk at scale.
   */
  private async ticketCounts(f: AnalyticsFilters): Promise<TicketCounts> {
    const where = this.ticketsWhere(f, sql`t.registered_day`);
    const [byDay, byPlace] = await Promise.all([
      sql<{ day: string; key: string; count: string }>`
        select t.registered_day::text as day, t.demand_type as key, count(*) as count
        from ticket_facts t where ${where} group by t.registered_day, t.demand_type`.execute(this.db),
      sql<{ major: string; district: string; count: string }>`
        select coalesce(left(t.category_code, 2), '') as major, coalesce(t.district, '') as district,
          count(*) as count
        from ticket_facts t where ${where} group by 1, 2`.execute(this.db),
    ]);
    const sums = (key: 'major' | 'district') => {
      const totals = new Map<string, number>();
      for (const r of byPlace.rows) totals.set(r[key], (totals.get(r[key]) ?? 0) + n(r.count));
      return [...totals].map(([k, count]) => ({ key: k, count }));
    };
    return {
      demandTypes: byDay.rows.map((r) => ({ day: r.day, key: r.key, count: n(r.count) })),
      categories: sums('major'),
      districts: sums('district'),
    };
  }

  private volumeOf(f: AnalyticsFilters, days: ConversationDay[], tickets: TicketCounts): Volume {
    const periods = periodsOf(f);
    return {
      periods,
      byChannel: toSeries(
        f,
        periods,
        days.map((d) => ({ day: d.day, key: d.channel, count: d.conversations })),
        channelName,
      ),
      byDemandType: toSeries(f, periods, tickets.demandTypes, demandTypeName),
      byCategory: tickets.categories
        .sort(byCountThenKey)
        .map((c) => ({ code: c.key, name: this.categoryName(c.key) ?? '未分类', count: c.count })),
      byDistrict: tickets.districts.sort(byCountThenKey).map((d) => ({ district: d.key, count: d.count })),
    };
  }

  /** Handoffs raised in the range in one pass: by reason, by disposition, by day, and their waits. */
  private async handoffFigures(f: AnalyticsFilters, conversations: number): Promise<Handoffs> {
    const periods = periodsOf(f);
    const about = f.category || f.demandType || f.district || f.channel;
    const day = this.cityDate(sql`h.queued_at`);
    // `ticket:<number>` (closed by registering a ticket) counts as `ticket`.
    const disposition = sql`case when h.status = 'closed' then split_part(coalesce(h.disposition, ''), ':', 1) end`;
    const wait = sql`extract(epoch from h.accepted_at - h.queued_at)`;
    const { rows } = await sql<{
      reason: string | null;
      disposition: string | null;
      day: string | null;
      g_reason: number;
      g_disposition: number;
      g_day: number;
      count: string;
      answered: string;
      abandoned: string;
      waiting: string;
      p50: number | null;
      p90: number | null;
      max: number | null;
    }>`
      select reason, disposition, day::text as day, g_reason, g_disposition, g_day, count, answered, abandoned,
        waiting, p50, p90, max
      from (
        select h.reason, ${disposition} as disposition, ${day} as day,
          grouping(h.reason) as g_reason, grouping(${disposition}) as g_disposition, grouping(${day}) as g_day,
          count(*) as count, count(*) filter (where h.accepted_at is not null) as answered,
          count(*) filter (where h.accepted_at is null and h.status = 'closed') as abandoned,
          count(*) filter (where h.status in ('waiting', 'offered')) as waiting,
          percentile_cont(0.5) within group (order by ${wait}) filter (where h.accepted_at is not null) as p50,
          percentile_cont(0.9) within group (order by ${wait}) filter (where h.accepted_at is not null) as p90,
          max(${wait}) as max
        from handoffs h
        ${about ? sql`join conversation_facts f on f.conversation_id = h.conversation_id` : sql``}
        where ${this.range(sql`h.queued_at`, f)} ${about ? sql`and ${this.factsDimensions(f)}` : sql``}
        group by grouping sets ((h.reason), (${disposition}), (${day}), ())
      ) g`.execute(this.db);
    const all = rows.find((r) => r.g_reason && r.g_disposition && r.g_day);
    const total = n(all?.count);
    const seconds = (value: unknown) => (value === null || value === undefined ? null : Math.round(Number(value)));
    const byDay = rows.filter((r) => !r.g_day).map((r) => ({ day: r.day!, key: '', count: n(r.count) }));
    return {
      total,
      rate: rate(total, conversations),
      reasons: rows
        .filter((r) => !r.g_reason)
        .map((r) => ({ reason: r.reason!, count: n(r.count) }))
        .sort(largestFirst),
      dispositions: rows
        .filter((r) => !r.g_disposition && r.disposition !== null)
        .map((r) => ({ disposition: r.disposition!, count: n(r.count) }))
        .sort(largestFirst),
      wait: {
        answered: n(all?.answered),
        abandoned: n(all?.abandoned),
        waiting: n(all?.waiting),
        p50Seconds: seconds(all?.p50),
        p90Seconds: seconds(all?.p90),
        maxSeconds: seconds(all?.max),
      },
      periods,
      counts: toSeries(f, periods, byDay, () => '')[0]?.counts ?? periods.map(() => 0),
    };
  }

  private async callbackSatisfaction(f: AnalyticsFilters): Promise<SatisfactionCounts> {
    const { rows } = await sql<{ score: number; count: string }>`
      select t.callback_satisfaction as score, count(*) as count from ticket_facts t
      where ${this.ticketsWhere(f, sql`t.callback_day`)} and t.callback_satisfaction is not null group by 1`.execute(
      this.db,
    );
    const of = (score: number) => n(rows.find((r) => Number(r.score) === score)?.count);
    return satisfactionCounts(of(1), of(2), of(3));
  }

  async deadlines(f: AnalyticsFilters): Promise<Deadlines> {
    const resolvedWhere = this.ticketsWhere(f, sql`t.resolved_day`);
    const openWhere = sql`${this.ticketDimensions(f)} and t.status in ${OPEN_STATUSES} and t.deadline_at < ${this.now()}`;
    const { rows } = await sql<{ department: string; resolved: string; on_time: string; overdue_open: string }>`
      select department, sum(resolved) as resolved, sum(on_time) as on_time, sum(overdue_open) as overdue_open
      from (
        select coalesce(t.department, '') as department, count(*) as resolved,
          count(*) filter (where t.resolved_at <= t.deadline_at) as on_time, 0 as overdue_open
        from ticket_facts t where ${resolvedWhere} group by 1
        union all
        select coalesce(t.department, ''), 0, 0, count(*) from ticket_facts t where ${openWhere} group by 1
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
        count(*) filter (where ${this.days(sql`t.registered_day`, f)}) as current,
        count(*) filter (where ${this.days(sql`t.registered_day`, previous)}) as previous
      from ticket_facts t
      where ${this.days(sql`t.registered_day`, { ...f, from: previous.from })} and ${this.ticketDimensions(f)}
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
      .selectFrom('ticket_facts as t')
      .innerJoin('tickets as d', 'd.id', 't.id')
      .select(['d.number', 't.category_code', 't.district', 'd.description', 't.keywords'])
      .where(this.ticketsWhere(f, sql`t.registered_day`))
      .where('t.category_code', 'is not', null)
      // The newest by day, read backwards along the day index (by the exact time, every row would be sorted).
      .orderBy('t.registered_day', 'desc')
      .orderBy('t.id', 'desc')
      .limit(CLUSTER_SAMPLE)
      .execute();
    const clusters = clusterTickets(
      rows.map((r) => ({
        number: r.number,
        categoryCode: r.category_code!,
        district: r.district,
        description: r.description,
        keywords: r.keywords ?? undefined,
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
      all: this.ticketsWhere(g, sql`t.registered_day`),
      // Open and past the deadline now, whenever registered (the figure is not limited to the range).
      overdue: sql<boolean>`${this.ticketDimensions(g)} and t.status in ${OPEN_STATUSES} and t.deadline_at < ${now}`,
      late: sql<boolean>`${this.ticketsWhere(g, sql`t.resolved_day`)} and t.resolved_at > t.deadline_at`,
      onTime: sql<boolean>`${this.ticketsWhere(g, sql`t.resolved_day`)} and t.resolved_at <= t.deadline_at`,
      dissatisfied: sql<boolean>`${this.ticketsWhere(g, sql`t.callback_day`)} and t.callback_satisfaction = 3`,
    }[state];
    const order = state === 'overdue' ? sql`t.deadline_at asc` : sql`t.registered_at desc`;
    const [page, total] = await Promise.all([
      this.db
        .selectFrom('ticket_facts as t')
        .innerJoin('tickets as d', 'd.id', 't.id')
        .selectAll('d')
        .where(where)
        .orderBy(order)
        .orderBy('t.id')
        .limit(options.pageSize)
        .offset((options.page - 1) * options.pageSize)
        .execute(),
      sql<{ count: string }>`select count(*) as count from ticket_facts t where ${where}`.execute(this.db),
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

  /** The filters limited to one period of their granularity (a drill-down from a chart's bar). */
  private narrowed(f: AnalyticsFilters, period: string | undefined): AnalyticsFilters {
    if (period === undefined) return f;
    const periods = periodsOf(f);
    const i = periods.indexOf(period);
    if (i < 0) return { ...f, from: period, to: period };
    const end = periods[i + 1] ? new Date(Date.parse(periods[i + 1]!) - 86_400_000).toISOString().slice(0, 10) : f.to;
    return { ...f, from: period > f.from ? period : f.from, to: end < f.to ? end : f.to };
  }

  /** The city day an instant falls in (a date; periods are folded from days in JavaScript). */
  private cityDate(column: RawBuilder<unknown>) {
    return sql`(${column} at time zone ${this.tz})::date`;
  }

  /**
   * Instants from the first city day's midnight to the midnight after the last one. The days are literals
   * (checked YYYY-MM-DD): with parameters the planner cannot see how much of a table a range covers.
   */
  private range(column: RawBuilder<unknown>, f: Pick<AnalyticsFilters, 'from' | 'to'>) {
    return sql`${column} >= (${dayLiteral(f.from)}::timestamp at time zone ${this.tz})
      and ${column} < (${dayLiteral(addDays(f.to, 1))}::timestamp at time zone ${this.tz})`;
  }

  /** City days (a date column) from the first to the last, inclusive. */
  private days(column: RawBuilder<unknown>, f: Pick<AnalyticsFilters, 'from' | 'to'>) {
    return sql`${column} between ${dayLiteral(f.from)}::date and ${dayLiteral(f.to)}::date`;
  }

  private factsWhere(f: AnalyticsFilters) {
    return sql`${this.days(sql`f.day`, f)} and f.citizen_messages > 0 and ${this.factsDimensions(f)}`;
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

  /** Tickets whose city day in `column` (registered_day, resolved_day, callback_day) is in the range. */
  private ticketsWhere(f: AnalyticsFilters, column: RawBuilder<unknown>) {
    return sql<boolean>`${this.days(column, f)} and ${this.ticketDimensions(f)}`;
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

function dayLiteral(value: string) {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) throw new Error(`not a day: ${value}`);
  return sql.lit(value);
}

const largestFirst = <T extends { count: number }>(a: T, b: T) => b.count - a.count;

interface ConversationDay {
  day: string;
  channel: string;
  conversations: number;
  selfServed: number;
  messages: number;
  answered: number;
  suggested: number;
  missed: number;
  helpful: number;
  unhelpful: number;
  emergencies: number;
  refused: number;
  satisfied: number;
  fair: number;
  dissatisfied: number;
}

const COUNTERS = [
  'conversations',
  'selfServed',
  'messages',
  'answered',
  'suggested',
  'missed',
  'helpful',
  'unhelpful',
  'emergencies',
  'refused',
  'satisfied',
  'fair',
  'dissatisfied',
] as const;

interface KeyCount {
  key: string;
  count: number;
}

interface TicketCounts {
  demandTypes: (KeyCount & { day: string })[];
  categories: KeyCount[];
  districts: KeyCount[];
}

const sumOf = (days: ConversationDay[], key: (typeof COUNTERS)[number]) => days.reduce((sum, d) => sum + d[key], 0);

/** Largest first; among equals, by key, with none ('') last. */
function byCountThenKey(a: KeyCount, b: KeyCount): number {
  const difference = b.count - a.count;
  if (difference !== 0) return difference;
  if ((a.key === '') !== (b.key === '')) return a.key === '' ? 1 : -1;
  return a.key.localeCompare(b.key);
}

/** Counts by (day, key) as one series per key, summed into the filters' periods, largest total first. */
function toSeries(
  f: AnalyticsFilters,
  periods: string[],
  rows: (KeyCount & { day: string })[],
  name: (key: string) => string,
): Series[] {
  const index = new Map(periods.map((p, i) => [p, i]));
  const series = new Map<string, Series>();
  for (const row of rows) {
    const s = series.get(row.key) ?? { key: row.key, name: name(row.key), counts: periods.map(() => 0) };
    const i = index.get(periodStart(row.day, f.granularity));
    if (i !== undefined) s.counts[i]! += row.count;
    series.set(row.key, s);
  }
  const total = (s: Series) => s.counts.reduce((a, b) => a + b, 0);
  return [...series.values()].sort((a, b) => total(b) - total(a) || a.key.localeCompare(b.key));
}

function selfServiceOf(f: AnalyticsFilters, days: ConversationDay[]): SelfService {
  const periods = periodsOf(f);
  const index = new Map(periods.map((p, i) => [p, i]));
  const conversations = periods.map(() => 0);
  const selfServed = periods.map(() => 0);
  for (const d of days) {
    const i = index.get(periodStart(d.day, f.granularity));
    if (i === undefined) continue;
    conversations[i]! += d.conversations;
    selfServed[i]! += d.selfServed;
  }
  return {
    periods,
    conversations,
    selfServed,
    rate: periods.map((_, i) => rate(selfServed[i]!, conversations[i]!)),
    answered: sumOf(days, 'answered'),
    suggested: sumOf(days, 'suggested'),
    missed: sumOf(days, 'missed'),
    helpful: sumOf(days, 'helpful'),
    unhelpful: sumOf(days, 'unhelpful'),
  };
}

const handbackOf = (days: ConversationDay[]) =>
  satisfactionCounts(sumOf(days, 'satisfied'), sumOf(days, 'fair'), sumOf(days, 'dissatisfied'));

function satisfactionCounts(satisfied: number, fair: number, dissatisfied: number): SatisfactionCounts {
  return { satisfied, fair, dissatisfied, rate: rate(satisfied + fair, satisfied + fair + dissatisfied) };
}
