/**
 * After the play: where each conversation goes in time, what became of its tickets, and the writes that
 * move it there (time-spread.ts), conversation by conversation.
 */
import { sql, type Kysely } from 'kysely';
import type { Gateway } from '../../api/gateway.js';
import type { WorkingCalendar } from '../../core/calendar/working-days.js';
import type { Database } from '../../core/db/schema.js';
import { applyTicketSteps, planTicket, type TicketFacts, type TicketStep } from './lifecycle.js';
import type { PlayedConversation } from './play.js';
import type { Random } from './random.js';
import { mapTime, placeConversation, shiftConversation, type Placement, type TicketShift } from './time-spread.js';

const DAY = 86_400_000;

/**
 * A placement for every played conversation, from how long it lasted when played. A conversation that
 * refers to another's ticket (a status query, a repeat linked as its duplicate) is placed after it.
 */
export async function spreadOverTime(
  db: Kysely<Database>,
  played: PlayedConversation[],
  options: { days: number; now: Date; random: Random },
): Promise<Placement[]> {
  const { random } = options;
  const ids = played.flatMap((p) => p.conversationId ?? []);
  const tickets = ids.length
    ? await db
        .selectFrom('tickets')
        .select(['number', 'conversation_id', 'duplicate_of'])
        .where('conversation_id', 'in', ids)
        .execute()
    : [];
  const owner = new Map(tickets.map((t) => [t.number, t.conversation_id]));
  const pending = new Map<string, { p: PlayedConversation; origin: Date; durationMs: number; after: string[] }>();
  for (const p of played) {
    if (!p.conversationId) continue;
    const { rows } = await sql<{ origin: Date; last: Date }>`
      select c.created_at as origin, greatest(c.updated_at,
        (select max(created_at) from activities where conversation_id = c.id),
        (select max(coalesce(closed_at, queued_at)) from handoffs where conversation_id = c.id),
        (select max(registered_at) from tickets where conversation_id = c.id)) as last
      from conversations c where c.id = ${p.conversationId}`.execute(db);
    const row = rows[0];
    if (!row) continue;
    const references = [
      p.refersTo,
      ...tickets.filter((t) => t.conversation_id === p.conversationId).map((t) => t.duplicate_of),
    ];
    const after = references.flatMap((n) => {
      const other = n ? owner.get(n) : undefined;
      return other && other !== p.conversationId ? [other] : [];
    });
    const durationMs = Math.max(0, row.last.getTime() - row.origin.getTime());
    pending.set(p.conversationId, { p, origin: row.origin, durationMs, after });
  }
  const placed = new Map<string, Placement & { end: number }>();
  while (pending.size > 0) {
    const ready = [...pending.values()].filter((x) => x.after.every((a) => placed.has(a) || !pending.has(a)));
    // A cycle cannot happen (references point back in play order); should one, place the rest freely.
    for (const x of ready.length ? ready : [...pending.values()]) {
      const ends = x.after.flatMap((a) => placed.get(a)?.end ?? []);
      const notBefore = ends.length ? new Date(Math.max(...ends) + random.between(2, 96) * 3_600_000) : undefined;
      const recent = x.p.spec.kind === 'hotspot' && random.chance(0.85);
      const conversationId = x.p.conversationId!;
      const placement = placeConversation(
        { conversationId, origin: x.origin, durationMs: x.durationMs, recent, notBefore },
        options,
      );
      placed.set(conversationId, { ...placement, end: placement.start.getTime() + x.durationMs * placement.stretch });
      pending.delete(conversationId);
    }
  }
  return [...placed.values()].map(({ end: _end, ...placement }) => placement);
}

export interface TicketSummary {
  registered: number;
  byStatus: Record<string, number>;
  resolvedLate: number;
  overdueOpen: number;
  callbacks: Record<1 | 2 | 3, number>;
  renumbered: number;
  errors: string[];
}

/**
 * Moves the run's tickets along their lifecycle, then every conversation to its placement (with its tickets
 * re-dated and renumbered); returns what the tickets look like afterwards.
 */
export async function settleTickets(
  gw: Gateway,
  placements: Placement[],
  options: {
    calendar: WorkingCalendar;
    deadlineDays: { consultation: number; other: number };
    now: Date;
    random: Random;
    conversationIds: string[];
  },
): Promise<TicketSummary> {
  const { calendar, now, random, conversationIds } = options;
  const db = gw.database.db;
  const ceiling = new Date(now.getTime() - 1000);
  const cityDay = new Intl.DateTimeFormat('en-CA', { timeZone: calendar.timeZone });
  // As the assistant writes a deadline to the citizen (assistant/turn.ts).
  const cityDate = new Intl.DateTimeFormat('zh-CN', {
    timeZone: calendar.timeZone,
    year: 'numeric',
    month: 'long',
    day: 'numeric',
  });
  const byConversation = new Map(placements.map((p) => [p.conversationId, p]));
  const rows = conversationIds.length
    ? await db
        .selectFrom('tickets')
        .select([
          'id',
          'number',
          'demand_type',
          'department',
          'duplicate_of',
          'registered_at',
          'deadline_at',
          'conversation_id',
        ])
        .where('conversation_id', 'in', conversationIds)
        .orderBy('id')
        .execute()
    : [];
  const errors: string[] = [];
  const plans = rows.flatMap((row) => {
    const placement = byConversation.get(row.conversation_id ?? '');
    if (!placement) return [];
    const registeredAt = mapTime(placement, new Date(row.registered_at), ceiling);
    const days = row.demand_type === 'consultation' ? options.deadlineDays.consultation : options.deadlineDays.other;
    const facts: TicketFacts = {
      number: row.number,
      demandType: row.demand_type,
      department: row.department,
      duplicateOf: row.duplicate_of,
      registeredAt,
      deadlineAt: calendar.addWorkingDays(registeredAt, days),
    };
    return [{ row, facts, steps: planTicket(facts, now, random) }];
  });
  // A short run still shows one ticket through to its callback: the oldest, if any is old enough.
  if (!plans.some((p) => p.steps.some((s) => s.to === 'callback'))) {
    const oldest = plans
      .filter((p) => !p.facts.duplicateOf && p.facts.registeredAt.getTime() < now.getTime() - 4 * DAY)
      .sort((a, b) => a.facts.registeredAt.getTime() - b.facts.registeredAt.getTime())[0];
    if (oldest) oldest.steps = planTicket(oldest.facts, now, random, true);
  }
  for (const plan of plans) {
    try {
      await applyTicketSteps(gw.tickets, plan.row.number, plan.steps);
    } catch (error) {
      errors.push(`ticket ${plan.row.number}: ${(error as Error).message}`);
      plan.steps = await appliedSteps(db, plan.row.id, plan.steps);
    }
  }

  let renumbered = 0;
  for (const placement of placements) {
    const shifts: TicketShift[] = plans
      .filter((p) => p.row.conversation_id === placement.conversationId)
      .map(({ row, facts, steps }) => {
        const day = cityDay.format(facts.registeredAt);
        const renumber = row.number.slice(6, 14) !== day.replaceAll('-', '');
        if (renumber) renumbered++;
        return {
          id: row.id,
          number: row.number,
          renumberDay: renumber ? day : undefined,
          registeredAt: facts.registeredAt,
          deadlineAt: facts.deadlineAt,
          steps,
          quoted: [
            [cityDate.format(new Date(row.deadline_at)), cityDate.format(facts.deadlineAt)],
            [new Date(row.deadline_at).toISOString(), facts.deadlineAt.toISOString()],
          ] as [string, string][],
        };
      });
    await shiftConversation(db, placement, shifts, ceiling, conversationIds);
  }
  return { ...(await ticketFigures(db, conversationIds, now)), renumbered, errors };
}

/** The steps of a plan that did go through (a failed one stops the rest). */
async function appliedSteps(db: Kysely<Database>, ticketId: number, steps: TicketStep[]): Promise<TicketStep[]> {
  const events = await db.selectFrom('ticket_events').select('id').where('ticket_id', '=', ticketId).execute();
  return steps.slice(0, Math.max(0, events.length - 1));
}

async function ticketFigures(db: Kysely<Database>, conversationIds: string[], now: Date) {
  const rows = conversationIds.length
    ? await db
        .selectFrom('tickets')
        .select(['status', 'deadline_at', 'resolved_at', 'callback_satisfaction'])
        .where('conversation_id', 'in', conversationIds)
        .execute()
    : [];
  const open = new Set(['registered', 'dispatched', 'in_progress', 'extension_requested']);
  const byStatus: Record<string, number> = {};
  const callbacks: Record<1 | 2 | 3, number> = { 1: 0, 2: 0, 3: 0 };
  let resolvedLate = 0;
  let overdueOpen = 0;
  for (const t of rows) {
    byStatus[t.status] = (byStatus[t.status] ?? 0) + 1;
    const deadline = new Date(t.deadline_at).getTime();
    if (t.resolved_at && new Date(t.resolved_at).getTime() > deadline) resolvedLate++;
    if (open.has(t.status) && deadline < now.getTime()) overdueOpen++;
    if (t.callback_satisfaction) callbacks[t.callback_satisfaction]++;
  }
  return { registered: rows.length, byStatus, resolvedLate, overdueOpen, callbacks };
}
