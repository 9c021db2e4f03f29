/**
 * The time spread. Every conversation is played now, in a few seconds; afterwards each one is moved into
 * the past so the dashboard's day, week and month charts have shape: a start on a day of the last `days`
 * (weekdays busier than weekends, office hours busier than nights; the hot spot's conversations mostly in
 * the last 7 days), and its own minutes stretched (a citizen's pauses and an agent's wait become minutes
 * rather than milliseconds). Every timestamp of the conversation moves with it: the conversation,
 * participants, activities (and the timestamp inside each stored activity), its state, handoffs and tickets.
 * Tickets get the deadline the working calendar gives their new registration, the times of their lifecycle
 * (lifecycle.ts), and a number of their new registration day. One transaction per conversation.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../../core/db/schema.js';
import { nextTicketNumber } from '../../tickets/ticket-store.js';
import type { Random } from './random.js';
import type { TicketStep } from './lifecycle.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** China has no daylight saving time: the city's day starts at 16:00 UTC of the day before. */
const CITY_OFFSET = 8 * HOUR;

/** Share of conversations starting in each hour of the city's day. */
const HOURLY = [0.2, 0.1, 0.1, 0.1, 0.1, 0.3, 0.6, 1.2, 3, 6, 7, 6, 3, 4, 6, 6, 5, 4, 3, 3, 3, 2, 1, 0.5];

/** Where a conversation's timestamps go: `t` becomes `start + (t - origin) * stretch`. */
export interface Placement {
  conversationId: string;
  origin: Date;
  start: Date;
  stretch: number;
}

export function mapTime(p: Placement, t: Date, ceiling: Date): Date {
  const moved = p.start.getTime() + (t.getTime() - p.origin.getTime()) * p.stretch;
  return new Date(Math.min(moved, ceiling.getTime()));
}

/**
 * A start for a conversation that lasted `durationMs` when played: a day within `days` (within the last 7
 * for `recent`), an hour by the hotline's daily pattern, after `notBefore` when it refers to an earlier
 * conversation, and never so late that the stretched end is in the future.
 */
export function placeConversation(
  input: { conversationId: string; origin: Date; durationMs: number; recent: boolean; notBefore?: Date },
  options: { days: number; now: Date; random: Random },
): Placement {
  const { days, now, random } = options;
  const stretch = random.between(8, 24);
  const span = input.durationMs * stretch;
  const latest = now.getTime() - span - 2 * MINUTE;
  const earliest = input.notBefore?.getTime() ?? -Infinity;
  const todayStart = Math.floor((now.getTime() + CITY_OFFSET) / DAY) * DAY - CITY_OFFSET;
  const window = Math.min(input.recent ? Math.min(7, days) : days, Math.floor((todayStart - earliest) / DAY) + 1);
  for (let attempt = 0; attempt < 40 && window >= 1; attempt++) {
    const day = random.int(0, window - 1);
    const dayStart = todayStart - day * DAY;
    const weekday = new Date(dayStart + CITY_OFFSET).getUTCDay();
    if ((weekday === 0 || weekday === 6) && random.chance(0.45)) continue;
    const hour = Number(random.weighted(Object.fromEntries(HOURLY.map((w, h) => [String(h), w]))));
    const start = dayStart + hour * HOUR + random.between(0, HOUR);
    if (start <= latest && start >= earliest) return { ...input, start: new Date(start), stretch };
  }
  // Nothing fit the pattern (a late reference, a long conversation): right after the reference, or as late as fits.
  const fallback = Number.isFinite(earliest)
    ? Math.min(earliest + random.between(1, 6) * HOUR, latest)
    : latest - random.between(0, 6) * HOUR;
  return { ...input, start: new Date(fallback), stretch };
}

export interface TicketShift {
  id: number;
  number: string;
  /** The city day of the new registration when it differs from the number's: the ticket is renumbered. */
  renumberDay?: string;
  registeredAt: Date;
  deadlineAt: Date;
  steps: TicketStep[];
  /**
   * Texts to replace in the messages that quote the ticket (its registration reply and status answers):
   * the deadline as the citizen read it, in words and in the reply's channelData.
   */
  quoted: [string, string][];
}

type Trx = Transaction<Database>;

/** SQL for a mapped timestamp column, capped at `ceiling` (nothing lands in the future). */
function moved(column: string, p: Placement, ceiling: Date) {
  return sql<Date>`least(${p.start.toISOString()}::timestamptz + (${sql.ref(column)} - ${p.origin.toISOString()}::timestamptz) * ${p.stretch}::float8, ${ceiling.toISOString()}::timestamptz)`;
}

/** Moves one conversation and everything of it, in one transaction. */
export async function shiftConversation(
  db: Kysely<Database>,
  p: Placement,
  tickets: TicketShift[],
  ceiling: Date,
  /** The run's conversations, where a renumbered ticket's old number may be quoted. */
  runConversations: string[],
): Promise<void> {
  const id = p.conversationId;
  await db.transaction().execute(async (trx) => {
    await trx
      .updateTable('conversations')
      .set({ created_at: moved('created_at', p, ceiling), updated_at: moved('updated_at', p, ceiling) })
      .where('id', '=', id)
      .execute();
    await trx
      .updateTable('participants')
      .set({ joined_at: moved('joined_at', p, ceiling) })
      .where('conversation_id', '=', id)
      .execute();
    await sql`
      update activities set
        created_at = ${moved('created_at', p, ceiling)},
        processed_at = case when processed_at is null then null else ${moved('processed_at', p, ceiling)} end,
        delivery_updated_at = case when delivery_updated_at is null then null
                                   else ${moved('delivery_updated_at', p, ceiling)} end,
        body = jsonb_set(body, '{timestamp}',
          to_jsonb(to_char(${moved('created_at', p, ceiling)} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')))
      where conversation_id = ${id}`.execute(trx);
    await trx
      .updateTable('conversation_state')
      .set({ updated_at: moved('updated_at', p, ceiling) })
      .where('conversation_id', '=', id)
      .execute();
    await sql`
      update handoffs set
        queued_at = ${moved('queued_at', p, ceiling)},
        offered_at = case when offered_at is null then null else ${moved('offered_at', p, ceiling)} end,
        accepted_at = case when accepted_at is null then null else ${moved('accepted_at', p, ceiling)} end,
        closed_at = case when closed_at is null then null else ${moved('closed_at', p, ceiling)} end
      where conversation_id = ${id}`.execute(trx);
    // The agents' private notes carry their own times (a transfer's note).
    await sql`
      update handoffs set notes = (
        select jsonb_agg(jsonb_set(n, '{at}', to_jsonb(to_char(least(
          ${p.start.toISOString()}::timestamptz
            + ((n->>'at')::timestamptz - ${p.origin.toISOString()}::timestamptz) * ${p.stretch}::float8,
          ${ceiling.toISOString()}::timestamptz) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))) order by ord)
        from jsonb_array_elements(notes) with ordinality as e(n, ord))
      where conversation_id = ${id} and jsonb_array_length(notes) > 0`.execute(trx);
    for (const ticket of tickets) await shiftTicket(trx, ticket, runConversations);
    // Derived rows: the roll-up that follows computes them again from the moved data.
    await trx.deleteFrom('unanswered_questions').where('conversation_id', '=', id).execute();
    await trx.deleteFrom('conversation_facts').where('conversation_id', '=', id).execute();
  });
}

async function shiftTicket(trx: Trx, t: TicketShift, runConversations: string[]): Promise<void> {
  const events = await trx
    .selectFrom('ticket_events')
    .select(['id', 'to_status'])
    .where('ticket_id', '=', t.id)
    .orderBy('id')
    .execute();
  // The first event is the registration; the rest are the planned steps, in the order they were applied.
  const times = [t.registeredAt, ...t.steps.map((s) => s.at)];
  for (const [i, event] of events.entries()) {
    const at = times[i] ?? times[times.length - 1]!;
    await trx.updateTable('ticket_events').set({ at }).where('id', '=', event.id).execute();
  }
  const resolved = t.steps.filter((s) => s.to === 'resolved').at(-1)?.at ?? null;
  const callback = t.steps.find((s) => s.to === 'callback')?.at ?? null;
  await trx
    .updateTable('tickets')
    .set({
      registered_at: t.registeredAt,
      deadline_at: t.deadlineAt,
      updated_at: times[times.length - 1]!,
      resolved_at: resolved,
      callback_at: callback,
    })
    .where('id', '=', t.id)
    .execute();
  if (runConversations.length > 0) {
    for (const [from, to] of t.quoted.filter(([a, b]) => a !== b)) {
      await sql`
        update activities set text = replace(text, ${from}, ${to}), body = replace(body::text, ${from}, ${to})::jsonb
        where conversation_id = any(${runConversations}) and strpos(body::text, ${t.number}) > 0`.execute(trx);
    }
  }
  if (t.renumberDay) await renumber(trx, t.id, t.number, await nextTicketNumber(trx, t.renumberDay), runConversations);
}

/** The number of the ticket's registration day; every place that quotes the old one follows. */
async function renumber(trx: Trx, id: number, from: string, to: string, runConversations: string[]): Promise<void> {
  await trx.updateTable('tickets').set({ number: to }).where('id', '=', id).execute();
  await trx.updateTable('tickets').set({ duplicate_of: to }).where('duplicate_of', '=', from).execute();
  await trx
    .updateTable('handoffs')
    .set({ disposition: `ticket:${to}` })
    .where('disposition', '=', `ticket:${from}`)
    .execute();
  await sql`update ticket_events set note = replace(note, ${from}, ${to}) where strpos(note, ${from}) > 0`.execute(trx);
  if (runConversations.length === 0) return;
  await sql`
    update activities set text = replace(text, ${from}, ${to}), body = replace(body::text, ${from}, ${to})::jsonb
    where conversation_id = any(${runConversations}) and strpos(body::text, ${from}) > 0`.execute(trx);
  await sql`
    update conversation_state set state = replace(state::text, ${from}, ${to})::jsonb
    where conversation_id = any(${runConversations}) and strpos(state::text, ${from}) > 0`.execute(trx);
}
