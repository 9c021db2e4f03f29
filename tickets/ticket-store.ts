import { sql, type Kysely, type Selectable, type Updateable } from 'kysely';
import type { WorkingCalendar } from '../core/calendar/working-days.js';
import type { Database, DemandType, TicketsTable, TicketStatus } from '../core/db/schema.js';
import { AppError } from '../core/errors.js';

export type { DemandType, TicketStatus } from '../core/db/schema.js';

export const DEMAND_TYPES: readonly DemandType[] = [
  'consultation',
  'help',
  'complaint',
  'report',
  'suggestion',
  'praise',
];

/** What the intake dialog (or an agent) has gathered: everything a ticket needs but its number and dates. */
export interface TicketDraft {
  demandType: DemandType;
  /** A minor class code of the taxonomy; null when nobody could tell. */
  categoryCode: string | null;
  description: string;
  name: string | null;
  phone: string | null;
  idNumber: string | null;
  anonymous: boolean;
  district: string | null;
  address: string | null;
  occurred: string | null;
  organisation: string | null;
  channelId: string;
  conversationId: string | null;
  priority?: 'normal' | 'urgent';
}

export interface Ticket extends TicketDraft {
  number: string;
  status: TicketStatus;
  department: string | null;
  priority: 'normal' | 'urgent';
  duplicateOf: string | null;
  registeredAt: Date;
  deadlineAt: Date;
}

export interface TicketPolicy {
  /** Working days to the deadline, by demand type. */
  deadlineDays: Record<DemandType, number>;
  /** An open ticket of the same category and place registered this many days back is the same case. */
  duplicateWindowDays: number;
}

/** The statutory defaults: consultations within 1 working day, everything else within 15. */
export const DEFAULT_TICKET_POLICY: TicketPolicy = {
  deadlineDays: { consultation: 1, help: 15, complaint: 15, report: 15, suggestion: 15, praise: 15 },
  duplicateWindowDays: 7,
};

/**
 * Where a ticket may go next. A department can send a ticket back (退单: dispatched -> registered), a
 * citizen unsatisfied at the callback reopens it (callback -> in_progress).
 */
const TRANSITIONS: Record<TicketStatus, readonly TicketStatus[]> = {
  draft: ['registered'],
  registered: ['dispatched', 'resolved', 'closed'],
  dispatched: ['in_progress', 'registered'],
  in_progress: ['extension_requested', 'resolved'],
  extension_requested: ['in_progress'],
  resolved: ['callback', 'in_progress'],
  callback: ['closed', 'in_progress'],
  closed: [],
};

const OPEN: readonly TicketStatus[] = ['registered', 'dispatched', 'in_progress', 'extension_requested'];

/** 12345-YYYYMMDD-NNNNNN, where it stands in a citizen's message. */
export const TICKET_NUMBER_IN_TEXT = /12345-\d{8}-\d{6}/;
/** A whole ticket number. */
export const TICKET_NUMBER = new RegExp(`^${TICKET_NUMBER_IN_TEXT.source}$`);

/** The next ticket number of a city day (YYYY-MM-DD): 12345-YYYYMMDD-NNNNNN, from that day's counter. */
export async function nextTicketNumber(db: Kysely<Database>, day: string): Promise<string> {
  const { last } = await db
    .insertInto('ticket_counters')
    .values({ day, last: 1 })
    .onConflict((oc) => oc.column('day').doUpdateSet({ last: sql`ticket_counters.last + 1` }))
    .returning('last')
    .executeTakeFirstOrThrow();
  return `12345-${day.replaceAll('-', '')}-${String(last).padStart(6, '0')}`;
}

export const isDemandType = (label: string): label is DemandType => (DEMAND_TYPES as readonly string[]).includes(label);

/**
 * Tickets: registration (number, deadline on the working-day calendar, duplicate detection), the
 * lifecycle with its history, and the citizen's status look-up by number and phone.
 */
export class TicketStore {
  private readonly cityDay: Intl.DateTimeFormat;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly calendar: WorkingCalendar,
    /** The department that handles a category (from the taxonomy). */
    private readonly departmentOf: (categoryCode: string) => string | undefined,
    private readonly policy: TicketPolicy = DEFAULT_TICKET_POLICY,
    /** The clock registrations are dated by (tests fix it). */
    private readonly now: () => Date = () => new Date(),
  ) {
    this.cityDay = new Intl.DateTimeFormat('en-CA', { timeZone: calendar.timeZone });
  }

  /**
   * Registers a ticket. With `sourceActivityId` (the message whose turn registers it) a second call for
   * the same message returns the first ticket: a turn retried after a crash registers once.
   */
  async register(draft: TicketDraft, options: { sourceActivityId?: string; actor: string }): Promise<Ticket> {
    if (options.sourceActivityId !== undefined) {
      const existing = await this.bySource(options.sourceActivityId);
      if (existing) return existing;
    }
    const now = this.now();
    const day = this.cityDay.format(now);
    const inserted = await this.db.transaction().execute(async (trx) => {
      const number = await nextTicketNumber(trx, day);
      const duplicateOf = await this.findDuplicate(trx, draft, now);
      const row = await trx
        .insertInto('tickets')
        .values({
          number,
          demand_type: draft.demandType,
          category_code: draft.categoryCode,
          department: draft.categoryCode ? (this.departmentOf(draft.categoryCode) ?? null) : null,
          status: 'registered',
          priority: draft.priority ?? 'normal',
          description: draft.description,
          reporter_name: draft.anonymous ? null : draft.name,
          phone: draft.phone,
          id_number: draft.idNumber,
          anonymous: draft.anonymous,
          district: draft.district,
          address: draft.address,
          occurred: draft.occurred,
          organisation: draft.organisation,
          channel_id: draft.channelId,
          conversation_id: draft.conversationId,
          source_activity_id: options.sourceActivityId ?? null,
          duplicate_of: duplicateOf,
          registered_at: now,
          deadline_at: this.calendar.addWorkingDays(now, this.policy.deadlineDays[draft.demandType]),
        })
        .onConflict((oc) => oc.column('source_activity_id').doNothing())
        .returningAll()
        .executeTakeFirst();
      if (row) {
        await trx
          .insertInto('ticket_events')
          .values({ ticket_id: row.id, actor: options.actor, from_status: null, to_status: 'registered', note: null })
          .execute();
      }
      return row;
    });
    // Lost a race with another run of the same turn: theirs is the ticket.
    return inserted ? ticketOf(inserted) : (await this.bySource(options.sourceActivityId!))!;
  }

  async get(number: string): Promise<Ticket | undefined> {
    const row = await this.db.selectFrom('tickets').selectAll().where('number', '=', number).executeTakeFirst();
    return row && ticketOf(row);
  }

  /**
   * The citizen's look-up: the ticket only when the phone matches the one on it (digits compared, so
   * `139-1234-5678` matches `13912345678`); otherwise undefined, never a hint that the number exists.
   */
  async lookup(number: string, phone: string): Promise<Ticket | undefined> {
    const ticket = TICKET_NUMBER.test(number) ? await this.get(number) : undefined;
    if (!ticket?.phone || digits(ticket.phone) !== digits(phone)) return undefined;
    return ticket;
  }

  /**
   * A citizen's own tickets that are not closed, newest first: those registered in their conversations
   * (by the channel's user id), and, where the channel itself vouches for the phone number (an SMS's
   * sender, a caller's number), those registered with that phone on any channel.
   */
  async openTicketsOf(citizen: { userId: string; verifiedPhone?: string }, limit = 5): Promise<Ticket[]> {
    const phone = citizen.verifiedPhone ? digits(citizen.verifiedPhone) : undefined;
    const rows = await this.db
      .selectFrom('tickets')
      .selectAll()
      .where('status', 'not in', ['draft', 'closed'])
      .where((eb) =>
        eb.or([
          eb(
            'conversation_id',
            'in',
            eb
              .selectFrom('participants')
              .select('conversation_id')
              .where('id', '=', citizen.userId)
              .where('role', '=', 'user'),
          ),
          ...(phone ? [eb(sql<string>`regexp_replace(coalesce(phone, ''), '\D', '', 'g')`, '=', phone)] : []),
        ]),
      )
      .orderBy('registered_at', 'desc')
      .limit(limit)
      .execute();
    return rows.map(ticketOf);
  }

  /** Every ticket of a citizen's conversations (by the channel's user id), newest first: for the agent desk. */
  async ticketsOfCitizen(userId: string, limit = 20): Promise<Ticket[]> {
    const rows = await this.db
      .selectFrom('tickets')
      .selectAll()
      .where('status', '<>', 'draft')
      .where('conversation_id', 'in', (eb) =>
        eb.selectFrom('participants').select('conversation_id').where('id', '=', userId).where('role', '=', 'user'),
      )
      .orderBy('registered_at', 'desc')
      .limit(limit)
      .execute();
    return rows.map(ticketOf);
  }

  /** Moves a ticket along its lifecycle; refuses a move the lifecycle does not allow. */
  async transition(number: string, to: TicketStatus, actor: string, note?: string): Promise<Ticket> {
    return this.move(number, to, actor, note, {});
  }

  private async move(
    number: string,
    to: TicketStatus,
    actor: string,
    note: string | undefined,
    also: Updateable<TicketsTable>,
  ): Promise<Ticket> {
    return this.db.transaction().execute(async (trx) => {
      const row = await trx
        .selectFrom('tickets')
        .selectAll()
        .where('number', '=', number)
        .forUpdate()
        .executeTakeFirst();
      if (!row) throw new AppError('E_NOT_FOUND', `no ticket ${number}`);
      if (!TRANSITIONS[row.status].includes(to)) {
        throw new AppError('E_CONFLICT', `ticket ${number} is ${row.status}; it cannot become ${to}`);
      }
      const updated = await trx
        .updateTable('tickets')
        .set({ ...also, status: to, updated_at: sql`now()`, ...(to === 'resolved' ? { resolved_at: this.now() } : {}) })
        .where('id', '=', row.id)
        .returningAll()
        .executeTakeFirstOrThrow();
      await trx
        .insertInto('ticket_events')
        .values({ ticket_id: row.id, actor, from_status: row.status, to_status: to, note: note ?? null })
        .execute();
      return ticketOf(updated);
    });
  }

  /**
   * The callback (回访) of a resolved ticket: the citizen's satisfaction (1 satisfied, 2 fairly satisfied,
   * 3 dissatisfied) is kept on the ticket and it moves to `callback`; the caller then closes it, or reopens
   * it (`in_progress`) when the citizen says the matter is not resolved.
   */
  async recordCallback(number: string, satisfaction: 1 | 2 | 3, actor: string, note?: string): Promise<Ticket> {
    if (![1, 2, 3].includes(satisfaction)) throw new AppError('E_VALIDATION', 'satisfaction is 1, 2 or 3');
    return this.move(number, 'callback', actor, note ?? `satisfaction ${satisfaction}`, {
      callback_satisfaction: satisfaction,
      callback_at: this.now(),
    });
  }

  async history(number: string) {
    return this.db
      .selectFrom('ticket_events as e')
      .innerJoin('tickets as t', 't.id', 'e.ticket_id')
      .select(['e.at', 'e.actor', 'e.from_status', 'e.to_status', 'e.note'])
      .where('t.number', '=', number)
      .orderBy('e.id')
      .execute();
  }

  private async bySource(sourceActivityId: string): Promise<Ticket | undefined> {
    const row = await this.db
      .selectFrom('tickets')
      .selectAll()
      .where('source_activity_id', '=', sourceActivityId)
      .executeTakeFirst();
    return row && ticketOf(row);
  }

  /** An open ticket of the same category at the same place, registered within the window. */
  private async findDuplicate(db: Kysely<Database>, draft: TicketDraft, now: Date): Promise<string | null> {
    if (!draft.categoryCode || !draft.address) return null;
    const since = new Date(now.getTime() - this.policy.duplicateWindowDays * 86_400_000);
    const candidates = await db
      .selectFrom('tickets')
      .select(['number', 'address'])
      .where('category_code', '=', draft.categoryCode)
      .where('district', draft.district === null ? 'is' : '=', draft.district)
      .where('registered_at', '>=', since)
      .where('status', 'in', OPEN)
      .where('duplicate_of', 'is', null)
      .orderBy('registered_at')
      .execute();
    const place = samePlaceKey(draft.address);
    return candidates.find((c) => c.address !== null && samePlaceKey(c.address) === place)?.number ?? null;
  }
}

/** The address as a comparison key: no spaces or punctuation, full-width digits folded. */
function samePlaceKey(address: string): string {
  return address.normalize('NFKC').replace(/[\s\p{P}]+/gu, '');
}

const digits = (phone: string) => phone.replace(/\D/g, '').replace(/^86(?=1\d{10}$)/, '');

function ticketOf(row: Selectable<TicketsTable>): Ticket {
  return {
    number: row.number,
    status: row.status,
    demandType: row.demand_type,
    categoryCode: row.category_code,
    department: row.department,
    priority: row.priority,
    description: row.description,
    name: row.reporter_name,
    phone: row.phone,
    idNumber: row.id_number,
    anonymous: row.anonymous,
    district: row.district,
    address: row.address,
    occurred: row.occurred,
    organisation: row.organisation,
    channelId: row.channel_id,
    conversationId: row.conversation_id,
    duplicateOf: row.duplicate_of,
    registeredAt: new Date(row.registered_at),
    deadlineAt: new Date(row.deadline_at),
  };
}

/**
 * The ticket as a department sees it. A report's (举报) and an anonymous ticket's reporter stays with the
 * hotline: no name, phone or ID number leaves it.
 */
export function departmentView(ticket: Ticket): Ticket {
  if (ticket.demandType !== 'report' && !ticket.anonymous) return ticket;
  return { ...ticket, name: null, phone: null, idNumber: null };
}
