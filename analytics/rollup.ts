import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../core/db/schema.js';
import { readJsonSetting, writeJsonSetting } from '../core/settings.js';
import { normalizeText } from '../knowledge/embedders/text-features.js';
import { KEYWORDS_PER_TICKET, keywordsOf } from './clusters.js';

/** The roll-up's watermark: conversations changed since then are recomputed on the next run. */
const WATERMARK = 'analytics.rollup_at';
/**
 * A turn's transaction stamps `updated_at` with its start time and may commit after a roll-up read past
 * it: every run looks this far behind its watermark, and recomputing a conversation twice is harmless.
 */
const OVERLAP_MS = 2 * 60_000;
/** Unanswered questions are normalised here (as knowledge search does) and written in batches. */
const QUESTION_BATCH = 1000;

export interface RollupResult {
  conversations: number;
  questions: number;
  tickets: number;
  /** The moment the figures are complete up to. */
  at: Date;
}

/**
 * Keeps the facts the dashboard reads current: `conversation_facts` (one row of figures per conversation),
 * `unanswered_questions`, and `ticket_facts` (a narrow copy of each ticket with the city days of its
 * events), so a dashboard aggregates narrow rows instead of scanning every message or ticket. Each run
 * recomputes what changed since the last one (`conversations.updated_at`, `tickets.updated_at`); a full
 * run recomputes everything.
 *
 * What a bot reply means is read from its `channelData` (assistant/turn.ts): `knowledge.articleId` an
 * answer, `knowledge.candidates` a "which one do you mean", `knowledge.miss` no good answer,
 * `feedback.helped` the answer to "did this help?", `emergency`, `refused`, `satisfaction`.
 */
export class AnalyticsRollup {
  private readonly tz: RawBuilder<unknown>;

  constructor(
    private readonly db: Kysely<Database>,
    /** The city's time zone (a validated IANA name): facts carry the city's calendar days. */
    timeZone: string,
  ) {
    this.tz = sql.lit(timeZone);
  }

  async run(options: { full?: boolean } = {}): Promise<RollupResult> {
    const { rows } = await sql<{ now: Date }>`select now() as now`.execute(this.db);
    const at = rows[0]!.now;
    const last = options.full ? undefined : await readJsonSetting<string>(this.db, WATERMARK);
    const since = last === undefined ? new Date(0) : new Date(new Date(last).getTime() - OVERLAP_MS);
    const conversations = await this.facts(since);
    const questions = await this.questions(since);
    const tickets = await this.tickets(since);
    await writeJsonSetting(this.db, WATERMARK, at.toISOString());
    return { conversations, questions, tickets, at };
  }

  /** When the figures were last brought up to date (null before the first run). */
  async freshAt(): Promise<Date | null> {
    const at = await readJsonSetting<string>(this.db, WATERMARK);
    return at === undefined ? null : new Date(at);
  }

  private async facts(since: Date): Promise<number> {
    const result = await sql`
      with changed as (
        select id, channel_id, created_at, updated_at from conversations
        -- A purged conversation (core/retention.ts) keeps the facts counted before its messages went.
        where updated_at >= ${since} and purged_at is null
      ), acts as (
        select a.conversation_id,
          count(*) filter (where a.direction = 'inbound' and a.from_role = 'user' and a.type = 'message')
            as citizen_messages,
          count(*) filter (where a.direction = 'outbound' and a.body->'channelData'->'knowledge' ? 'articleId')
            as answered,
          count(*) filter (where a.direction = 'outbound' and a.body->'channelData'->'knowledge' ? 'candidates')
            as suggested,
          count(*) filter (where a.direction = 'outbound' and a.body->'channelData'->'knowledge'->>'miss' = 'true')
            as missed,
          count(*) filter (where a.direction = 'outbound' and a.body->'channelData'->'feedback'->>'helped' = 'true')
            as helpful,
          count(*) filter (where a.direction = 'outbound' and a.body->'channelData'->'feedback'->>'helped' = 'false')
            as unhelpful,
          min(a.body->'channelData'->'emergency'->>'kind') as emergency,
          min(a.body->'channelData'->'refused'->>'reason') as refused,
          (array_agg((a.body->'channelData'->>'satisfaction')::smallint order by a.seq desc)
            filter (where a.direction = 'outbound' and a.body->'channelData' ? 'satisfaction'))[1] as satisfaction,
          (array_agg(a.text order by a.seq)
            filter (where a.direction = 'inbound' and a.from_role = 'user' and coalesce(a.text, '') <> ''))[1]
            as first_text
        from activities a join changed c on c.id = a.conversation_id
        group by a.conversation_id
      )
      insert into conversation_facts (conversation_id, channel_id, started_at, day, last_at, citizen_messages, answered,
        suggested, missed, helpful, unhelpful, handoff_reason, tickets, emergency, refused, category_code,
        demand_type, district, satisfaction, self_served, first_text)
      select c.id, c.channel_id, c.created_at, (c.created_at at time zone ${this.tz})::date, c.updated_at,
        coalesce(x.citizen_messages, 0),
        coalesce(x.answered, 0), coalesce(x.suggested, 0), coalesce(x.missed, 0), coalesce(x.helpful, 0),
        coalesce(x.unhelpful, 0), h.reason, t.n, x.emergency, x.refused,
        coalesce(t.category_code, s.state->'lastQuestion'->>'category'), t.demand_type, t.district, x.satisfaction,
        coalesce(x.answered, 0) > 0 and coalesce(x.unhelpful, 0) = 0 and h.reason is null and t.n = 0
          and x.emergency is null,
        left(x.first_text, 200)
      from changed c
      left join acts x on x.conversation_id = c.id
      left join conversation_state s on s.conversation_id = c.id
      left join lateral (
        select reason from handoffs where conversation_id = c.id order by queued_at limit 1
      ) h on true
      left join lateral (
        select count(*)::int as n, min(category_code) as category_code, min(demand_type) as demand_type,
               min(district) as district
        from tickets where conversation_id = c.id and status <> 'draft'
      ) t on true
      on conflict (conversation_id) do update set
        channel_id = excluded.channel_id, started_at = excluded.started_at, day = excluded.day,
        last_at = excluded.last_at,
        citizen_messages = excluded.citizen_messages, answered = excluded.answered, suggested = excluded.suggested,
        missed = excluded.missed, helpful = excluded.helpful, unhelpful = excluded.unhelpful,
        handoff_reason = excluded.handoff_reason, tickets = excluded.tickets, emergency = excluded.emergency,
        refused = excluded.refused, category_code = excluded.category_code, demand_type = excluded.demand_type,
        district = excluded.district, satisfaction = excluded.satisfaction, self_served = excluded.self_served,
        first_text = excluded.first_text`.execute(this.db);
    return Number(result.numAffectedRows ?? 0);
  }

  /** Tickets changed since `since`, copied with the city days of their registration, resolution and callback. */
  private async tickets(since: Date): Promise<number> {
    const day = (column: RawBuilder<unknown>) => sql`(${column} at time zone ${this.tz})::date`;
    const result = await sql`
      insert into ticket_facts (id, demand_type, category_code, department, district, channel_id, status,
        registered_at, registered_day, deadline_at, resolved_at, resolved_day, callback_day, callback_satisfaction)
      select t.id, t.demand_type, t.category_code, t.department, t.district, t.channel_id, t.status,
        t.registered_at, ${day(sql`t.registered_at`)}, t.deadline_at, t.resolved_at, ${day(sql`t.resolved_at`)},
        ${day(sql`t.callback_at`)}, t.callback_satisfaction
      from tickets t where t.updated_at >= ${since}
      on conflict (id) do update set
        demand_type = excluded.demand_type, category_code = excluded.category_code,
        department = excluded.department, district = excluded.district, channel_id = excluded.channel_id,
        status = excluded.status, registered_at = excluded.registered_at, registered_day = excluded.registered_day,
        deadline_at = excluded.deadline_at, resolved_at = excluded.resolved_at, resolved_day = excluded.resolved_day,
        callback_day = excluded.callback_day, callback_satisfaction = excluded.callback_satisfaction`.execute(this.db);
    await this.keywords();
    return Number(result.numAffectedRows ?? 0);
  }

  /** Takes the key words of every ticket that has none yet, in batches (a description is never edited). */
  private async keywords(): Promise<void> {
    for (;;) {
      const batch = await this.db
        .selectFrom('ticket_facts as f')
        .innerJoin('tickets as t', 't.id', 'f.id')
        .select(['f.id', 't.description'])
        .where('f.keywords', 'is', null)
        .limit(QUESTION_BATCH)
        .execute();
      if (batch.length === 0) return;
      const values = batch.map((b) => ({ id: b.id, keywords: keywordsOf(b.description, KEYWORDS_PER_TICKET) }));
      await sql`
        update ticket_facts f set keywords = v.keywords
        from jsonb_to_recordset(${JSON.stringify(values)}::jsonb) as v(id integer, keywords jsonb)
        where f.id = v.id`.execute(this.db);
    }
  }

  /**
   * Questions without a good answer: the citizen's message a miss replied to, and the question of an
   * answer marked 没解决 (the feedback reply carries it). Keyed by the citizen's message, so counted once.
   */
  private async questions(since: Date): Promise<number> {
    const rows = await sql<{
      activity_id: string;
      conversation_id: string;
      channel_id: string;
      at: Date;
      day: string;
      kind: 'miss' | 'unhelpful';
      text: string | null;
    }>`
      select o.reply_to_id as activity_id, o.conversation_id, o.channel_id, o.created_at as at,
        (o.created_at at time zone ${this.tz})::date::text as day,
        case when o.body->'channelData'->'knowledge'->>'miss' = 'true' then 'miss' else 'unhelpful' end as kind,
        case when o.body->'channelData'->'knowledge'->>'miss' = 'true' then i.text
             else o.body->'channelData'->'feedback'->>'question' end as text
      from conversations c
      join activities o on o.conversation_id = c.id and o.direction = 'outbound'
      join activities i on i.id = o.reply_to_id
      where c.updated_at >= ${since}
        and (o.body->'channelData'->'knowledge'->>'miss' = 'true'
             or o.body->'channelData'->'feedback'->>'helped' = 'false')
        and not exists (select 1 from unanswered_questions q where q.activity_id = o.reply_to_id)`.execute(this.db);
    const found = rows.rows.filter((r): r is typeof r & { text: string } => Boolean(r.text?.trim()));
    let written = 0;
    for (let i = 0; i < found.length; i += QUESTION_BATCH) {
      const batch = found.slice(i, i + QUESTION_BATCH).map((r) => ({
        activity_id: r.activity_id,
        conversation_id: r.conversation_id,
        channel_id: r.channel_id,
        at: r.at,
        day: r.day,
        kind: r.kind,
        text: r.text.trim().slice(0, 500),
        normalized: normalizeText(r.text).slice(0, 500),
      }));
      const result = await this.db
        .insertInto('unanswered_questions')
        .values(batch)
        .onConflict((oc) => oc.column('activity_id').doNothing())
        .executeTakeFirst();
      written += Number(result.numInsertedOrUpdatedRows ?? 0);
    }
    return written;
  }
}
