import { randomUUID } from 'node:crypto';
import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { StaffRole } from '../core/accounts.js';
import type { Database, HandoffNote, HandoffsTable, HandoffStatus, Presence } from '../core/db/schema.js';
import type { HandoffPriority, WaitingHandoff } from './routing.js';

type Db = Kysely<Database> | Transaction<Database>;

export interface StaffRef {
  username: string;
  displayName: string;
}

/** An agent's desk profile, presence and load. */
export interface AgentProfile extends StaffRef {
  accountId: string;
  roles: StaffRole[];
  presence: Presence;
  queues: string[];
  skills: string[];
  languages: string[];
  capacity: number;
  /** Handoffs offered to or owned by the agent now. */
  active: number;
  idleSince: Date;
  /** A desk of theirs is connected (to any instance) now. */
  connected: boolean;
}

/** A handoff as the desk lists it. */
export interface HandoffSummary {
  id: string;
  conversationId: string;
  channelId: string;
  queue: string;
  priority: HandoffPriority;
  reason: string;
  status: HandoffStatus;
  agent: StaffRef | null;
  consultant: StaffRef | null;
  citizen: { id: string; name: string };
  /** The citizen's last words. */
  preview: string;
  queuedAt: string;
  offeredAt: string | null;
  acceptedAt: string | null;
  closedAt: string | null;
  disposition: string | null;
  /** Place in its queue while waiting (1 = next). */
  position: number | null;
}

export interface HandoffRecord extends HandoffSummary {
  agentId: string | null;
  consultantId: string | null;
  skills: string[];
  language: string;
  declinedBy: string[];
  context: Record<string, unknown>;
  notes: HandoffNote[];
}

/**
 * A desk counts as connected this long after its instance last renewed it (every DESK_SEEN_RENEW_MS): an
 * agent whose browser closed, or whose instance died, gets no more offers after this.
 */
export const DESK_SEEN_TTL_MS = 45_000;
export const DESK_SEEN_RENEW_MS = 15_000;

/** Order of service by class (handoff/routing.ts), in SQL. */
const RANK = (table: string) =>
  sql.raw(`(case ${table}.priority when 'emergency' then 0 when 'complaint' then 1 else 2 end)`);

/** Storage of agents' desk profiles and of handoffs. Plain reads and conditional writes; policy lives elsewhere. */
export class HandoffStore {
  constructor(
    private readonly db: Kysely<Database>,
    /** The queues a new agent serves. */
    private readonly defaultQueues: readonly string[] = ['general'],
  ) {}

  /** The agent's profile, created with the defaults on first use (away, the default queues, capacity 3). */
  async profile(accountId: string, db: Db = this.db): Promise<AgentProfile | undefined> {
    // Read on every desk request: written only the first time.
    const existing = (await this.profiles(db, accountId))[0];
    if (existing) return existing;
    await db
      .insertInto('agent_profiles')
      .values({
        account_id: accountId,
        queues: JSON.stringify(this.defaultQueues),
        skills: '[]',
        languages: '["zh","en"]',
      })
      .onConflict((oc) => oc.column('account_id').doNothing())
      .execute();
    return (await this.profiles(db, accountId))[0];
  }

  /** Every agent profile (of enabled accounts) with its load. */
  async profiles(db: Db = this.db, accountId?: string): Promise<AgentProfile[]> {
    let query = db
      .selectFrom('agent_profiles as p')
      .innerJoin('staff_accounts as a', 'a.id', 'p.account_id')
      .select([
        'p.account_id',
        'a.username',
        'a.display_name',
        'a.roles',
        'p.presence',
        'p.queues',
        'p.skills',
        'p.languages',
        'p.capacity',
        'p.idle_since',
        sql<boolean>`coalesce(p.desk_seen_at > now() - ${`${DESK_SEEN_TTL_MS} milliseconds`}::interval, false)`.as(
          'connected',
        ),
        (eb) =>
          eb
            .selectFrom('handoffs as h')
            .select(sql<number>`count(*)::int`.as('n'))
            .whereRef('h.agent_id', '=', 'p.account_id')
            .where('h.status', 'in', ['offered', 'active'])
            .as('active'),
      ])
      .where('a.disabled', '=', false);
    if (accountId) query = query.where('p.account_id', '=', accountId);
    const rows = await query.orderBy('a.username').execute();
    return rows.map((r) => ({
      accountId: r.account_id,
      username: r.username,
      displayName: r.display_name,
      roles: r.roles as StaffRole[],
      presence: r.presence,
      queues: r.queues,
      skills: r.skills,
      languages: r.languages,
      capacity: r.capacity,
      active: Number(r.active ?? 0),
      idleSince: r.idle_since,
      connected: r.connected,
    }));
  }

  async configure(
    accountId: string,
    changes: Partial<{ queues: string[]; skills: string[]; languages: string[]; capacity: number }>,
    db: Db = this.db,
  ): Promise<void> {
    await db
      .updateTable('agent_profiles')
      .set({
        ...(changes.queues ? { queues: JSON.stringify(changes.queues) } : {}),
        ...(changes.skills ? { skills: JSON.stringify(changes.skills) } : {}),
        ...(changes.languages ? { languages: JSON.stringify(changes.languages) } : {}),
        ...(changes.capacity !== undefined ? { capacity: changes.capacity } : {}),
        updated_at: sql`now()`,
      })
      .where('account_id', '=', accountId)
      .execute();
  }

  /** The agents' desks are connected now (each instance renews the ones it holds). */
  async deskSeen(accountIds: string[]): Promise<void> {
    if (accountIds.length === 0) return;
    await this.db
      .updateTable('agent_profiles')
      .set({ desk_seen_at: sql`now()` })
      .where('account_id', 'in', accountIds)
      .execute();
  }

  async setPresence(accountId: string, presence: Presence, db: Db = this.db): Promise<void> {
    await db
      .updateTable('agent_profiles')
      .set({
        presence,
        updated_at: sql`now()`,
        // Coming back counts as the start of idle time: whoever waited longer still goes first.
        ...(presence === 'available' ? { idle_since: sql`now()` } : {}),
      })
      .where('account_id', '=', accountId)
      .execute();
  }

  async touchIdle(accountIds: string[], db: Db): Promise<void> {
    if (accountIds.length === 0) return;
    await db
      .updateTable('agent_profiles')
      .set({ idle_since: sql`now()` })
      .where('account_id', 'in', accountIds)
      .execute();
  }

  /** Opens a handoff unless the conversation has one open already (then returns undefined). */
  async open(input: {
    conversationId: string;
    queue: string;
    priority: HandoffPriority;
    reason: string;
    skills: string[];
    language: string;
    context: Record<string, unknown>;
  }): Promise<string | undefined> {
    const id = randomUUID();
    const result = await this.db
      .insertInto('handoffs')
      .values({
        id,
        conversation_id: input.conversationId,
        queue: input.queue,
        priority: input.priority,
        reason: input.reason,
        skills: JSON.stringify(input.skills),
        language: input.language,
        context: JSON.stringify(input.context),
        notes: '[]',
        declined_by: '[]',
      })
      .onConflict((oc) => oc.column('conversation_id').where('status', '<>', 'closed').doNothing())
      .executeTakeFirst();
    return result.numInsertedOrUpdatedRows === 0n ? undefined : id;
  }

  /** Open handoffs as the routing policy sees them. */
  async waiting(db: Db = this.db): Promise<WaitingHandoff[]> {
    const rows = await db
      .selectFrom('handoffs')
      .select(['id', 'queue', 'priority', 'skills', 'language', 'queued_at', 'declined_by'])
      .select(sql<string[] | null>`context->'preferredSkills'`.as('preferred'))
      .where('status', '=', 'waiting')
      .execute();
    return rows.map((r) => ({
      id: r.id,
      queue: r.queue,
      priority: r.priority,
      skills: r.skills,
      language: r.language,
      queuedAt: r.queued_at.getTime(),
      declinedBy: r.declined_by,
      preferredSkills: r.preferred ?? [],
    }));
  }

  async get(id: string, db: Db = this.db): Promise<HandoffRecord | undefined> {
    return (await this.list({ id }, db))[0];
  }

  /** The open handoff of a conversation, if any. */
  async openOf(conversationId: string): Promise<HandoffRecord | undefined> {
    return (await this.list({ conversationId, open: true }))[0];
  }

  /** Handoffs with everything the desk shows, in the order of service for waiting ones, else newest first. */
  async list(
    filter: {
      id?: string;
      conversationId?: string;
      open?: boolean;
      statuses?: HandoffStatus[];
      queues?: string[];
      /** Offered to, owned by or consulted on by this account. */
      involving?: string;
      limit?: number;
    },
    db: Db = this.db,
  ): Promise<HandoffRecord[]> {
    let query = db
      .selectFrom('handoffs as h')
      .innerJoin('conversations as c', 'c.id', 'h.conversation_id')
      .leftJoin('participants as u', (join) =>
        join.onRef('u.conversation_id', '=', 'h.conversation_id').on('u.role', '=', 'user'),
      )
      .leftJoin('staff_accounts as ag', 'ag.id', 'h.agent_id')
      .leftJoin('staff_accounts as co', 'co.id', 'h.consultant_id')
      .selectAll('h')
      .select([
        'c.channel_id',
        'u.id as citizen_id',
        'u.name as citizen_name',
        'ag.username as agent_username',
        'ag.display_name as agent_name',
        'co.username as consultant_username',
        'co.display_name as consultant_name',
        (eb) =>
          eb
            .selectFrom('activities as a')
            .select('a.text')
            .whereRef('a.conversation_id', '=', 'h.conversation_id')
            .where('a.direction', '=', 'inbound')
            .where('a.text', 'is not', null)
            .orderBy('a.seq', 'desc')
            .limit(1)
            .as('preview'),
        sql<number | null>`case when h.status = 'waiting' then (
          select count(*)::int + 1 from handoffs w
          where w.status = 'waiting' and w.queue = h.queue
            and (${RANK('w')} < ${RANK('h')}
                 or (${RANK('w')} = ${RANK('h')} and (w.queued_at, w.id) < (h.queued_at, h.id)))) end`.as('position'),
      ]);
    if (filter.id) query = query.where('h.id', '=', filter.id);
    if (filter.conversationId) query = query.where('h.conversation_id', '=', filter.conversationId);
    if (filter.open) query = query.where('h.status', '<>', 'closed');
    if (filter.statuses) query = query.where('h.status', 'in', filter.statuses);
    if (filter.queues) query = query.where('h.queue', 'in', filter.queues.length ? filter.queues : ['']);
    if (filter.involving) {
      const me = filter.involving;
      query = query.where((eb) => eb.or([eb('h.agent_id', '=', me), eb('h.consultant_id', '=', me)]));
    }
    const rows = await query
      .orderBy(RANK('h'))
      .orderBy('h.queued_at')
      .limit(filter.limit ?? 200)
      .execute();
    return rows.map(recordOf);
  }

  /**
   * Changes a handoff only when it is still as the caller saw it (`where`): concurrent accepts, transfers
   * and routing rounds cannot both win. Returns whether it changed.
   */
  async update(
    id: string,
    where: { status?: HandoffStatus[]; agentId?: string | null; consultantId?: string },
    changes: Partial<{
      status: HandoffStatus;
      queue: string;
      agent_id: string | null;
      consultant_id: string | null;
      offered_at: ReturnType<typeof sql> | null;
      accepted_at: ReturnType<typeof sql> | null;
      closed_at: ReturnType<typeof sql> | null;
      queued_at: ReturnType<typeof sql>;
      disposition: string | null;
      declined_by: ReturnType<typeof sql>;
      notes: ReturnType<typeof sql>;
      reason: string;
    }>,
    db: Db = this.db,
  ): Promise<boolean> {
    let query = db
      .updateTable('handoffs')
      .set(changes as never)
      .where('id', '=', id);
    if (where.status) query = query.where('status', 'in', where.status);
    if (where.agentId !== undefined)
      query =
        where.agentId === null ? query.where('agent_id', 'is', null) : query.where('agent_id', '=', where.agentId);
    if (where.consultantId) query = query.where('consultant_id', '=', where.consultantId);
    const result = await query.executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }
}

type ListRow = Selectable<HandoffsTable> & {
  channel_id: string;
  citizen_id: string | null;
  citizen_name: string | null;
  agent_username: string | null;
  agent_name: string | null;
  consultant_username: string | null;
  consultant_name: string | null;
  preview: string | null;
  position: number | null;
};

const iso = (d: Date | null) => (d ? d.toISOString() : null);

function recordOf(r: ListRow): HandoffRecord {
  return {
    id: r.id,
    conversationId: r.conversation_id,
    channelId: r.channel_id,
    queue: r.queue,
    priority: r.priority,
    reason: r.reason,
    status: r.status,
    agent: r.agent_username ? { username: r.agent_username, displayName: r.agent_name ?? r.agent_username } : null,
    consultant: r.consultant_username
      ? { username: r.consultant_username, displayName: r.consultant_name ?? r.consultant_username }
      : null,
    citizen: { id: r.citizen_id ?? '', name: r.citizen_name ?? '' },
    preview: (r.preview ?? '').slice(0, 140),
    queuedAt: r.queued_at.toISOString(),
    offeredAt: iso(r.offered_at),
    acceptedAt: iso(r.accepted_at),
    closedAt: iso(r.closed_at),
    disposition: r.disposition,
    position: r.position,
    agentId: r.agent_id,
    consultantId: r.consultant_id,
    skills: r.skills,
    language: r.language,
    declinedBy: r.declined_by,
    context: r.context,
    notes: r.notes,
  };
}

/** What the desk shows of a record: the summary without the internals. */
export function summaryOf(record: HandoffRecord): HandoffSummary {
  const {
    agentId: _agentId,
    consultantId: _consultantId,
    skills: _skills,
    language: _language,
    declinedBy: _declinedBy,
    context: _context,
    notes: _notes,
    ...summary
  } = record;
  return summary;
}
