import { sql, type Kysely } from 'kysely';
import type { ConversationBroker, HandoffHooks } from '../assistant/broker.js';
import type { Messages } from '../assistant/messages.js';
import type { ConversationState } from '../assistant/turn.js';
import type { StaffSession } from '../core/accounts.js';
import type { ActivityBus } from '../core/activity-bus.js';
import { audit } from '../core/audit.js';
import type { Database, HandoffNote, Presence } from '../core/db/schema.js';
import { AppError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { Metrics } from '../core/metrics.js';
import type { TicketStore } from '../tickets/ticket-store.js';
import type { CallRecords } from '../core/call-records.js';
import type { TelephonyControl } from '../channels/voice/telephony.js';
import {
  HandoffStore,
  summaryOf,
  type AgentProfile,
  type HandoffRecord,
  type HandoffSummary,
} from './handoff-store.js';
import { assign, overflows, type HandoffPriority, type QueuePolicy } from './routing.js';

/** Desk events go to every instance on this bus topic; each instance's desk hub hands them to its sockets. */
export const DESK_TOPIC = 'desk';

export type DeskEvent =
  | { kind: 'changed' }
  | { kind: 'offer'; agentId: string; handoffId: string }
  | { kind: 'consult'; agentId: string; handoffId: string }
  | { kind: 'note'; handoffId: string; to: string[]; note: HandoffNote };

export interface HandoffServiceOptions {
  db: Kysely<Database>;
  broker: ConversationBroker;
  bus: ActivityBus;
  tickets: TicketStore;
  logger: Logger;
  metrics?: Metrics;
  /** An offer not accepted within this goes to the next agent. */
  offerTimeoutMs: number;
  /** The queue handoffs the bot raises wait in (new agents serve it). */
  entryQueue: string;
  /** Wait limits and overflow queues by queue name. */
  queues: Readonly<Record<string, QueuePolicy>>;
  /** Call control, when the voice channel has it: three-party on a call is a conference leg. */
  voice?: { telephony: TelephonyControl; calls: CallRecords };
}

/** One routing round at a time across every instance (PostgreSQL advisory lock, held for the transaction). */
const ROUTING_LOCK = 0x12345;

const SUPERVISOR_ROLES = ['supervisor', 'admin'];
export const isSupervisor = (session: StaffSession) => session.account.roles.some((r) => SUPERVISOR_ROLES.includes(r));

/**
 * Human handoff: queues a conversation for agents when the bot asks for a person, routes it (routing.ts)
 * with offers that time out, and carries every agent action through: accept, relay, transfers (cold,
 * warm, three-party by invite), hand-back and close. Every agent action is audited; desks hear of changes
 * through the bus.
 */
export class HandoffService implements HandoffHooks {
  readonly store: HandoffStore;
  private timer?: NodeJS.Timeout;

  constructor(readonly options: HandoffServiceOptions) {
    this.store = new HandoffStore(options.db, [options.entryQueue]);
  }

  /** Routing rounds (offer time-outs, overflow) and the sweep for handoffs whose notice was lost. */
  start(intervalMs = 2_000): this {
    this.timer = setInterval(() => {
      this.sweep().catch((error) => this.options.logger.warn({ err: error }, 'handoff sweep failed'));
    }, intervalMs).unref();
    return this;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  async sweep(): Promise<void> {
    const { rows } = await sql<{ conversation_id: string }>`
      select s.conversation_id from conversation_state s join conversations c on c.id = s.conversation_id
      where s.state ? 'handoff' and c.mode = 'bot'
        and not exists (select 1 from handoffs h where h.conversation_id = s.conversation_id and h.status <> 'closed')
      limit 100`.execute(this.options.db);
    for (const { conversation_id } of rows) await this.requested(conversation_id);
    await this.route();
  }

  // ---- Raised by the bot ----------------------------------------------------------------------------

  /** The bot asked for a person: queue the conversation with what the bot knew (idempotent). */
  async requested(conversationId: string): Promise<void> {
    const { broker } = this.options;
    const state = (await broker.stateOf(conversationId)) ?? {};
    const request = state.handoff;
    if (!request) return;
    const priority: HandoffPriority =
      request.priority === 'emergency'
        ? 'emergency'
        : state.intake?.demandType === 'complaint'
          ? 'complaint'
          : 'normal';
    const id = await this.store.open({
      conversationId,
      queue: this.options.entryQueue,
      priority,
      reason: request.reason,
      skills: [],
      language: state.locale ?? 'zh-CN',
      context: contextOf(state),
    });
    if (!id) return;
    this.options.logger.info({ conversationId, handoffId: id, priority }, 'handoff queued');
    await this.route();
    const record = await this.store.get(id);
    // A caller waits in the telephony queue, which has its own announcements.
    if (record?.status === 'waiting' && record.position && record.channelId !== 'voice') {
      await broker.notify(conversationId, (t) => t.queuePosition(record.position!), {
        handoff: { queued: true, position: record.position },
      });
    }
  }

  /** The citizen left a ticket while waiting: the handoff is done. */
  async ticketRegistered(conversationId: string, ticketNumber: string): Promise<void> {
    const open = await this.store.openOf(conversationId);
    if (open?.status !== 'waiting') return;
    const closed = await this.store.update(
      open.id,
      { status: ['waiting'] },
      { status: 'closed', closed_at: sql`now()`, disposition: `ticket:${ticketNumber}` },
    );
    if (!closed) return;
    // The request is settled: the sweep must not raise it again.
    await this.options.broker.setMode(conversationId, 'bot', { handoff: null });
    await this.changed();
  }

  // ---- Routing ------------------------------------------------------------------------------------

  /** One routing round: expired offers back to the queue, overflow, then offers to the best agents. */
  async route(): Promise<void> {
    const { db, offerTimeoutMs, queues } = this.options;
    const offers = await db.transaction().execute(async (trx) => {
      await sql`select pg_advisory_xact_lock(${ROUTING_LOCK})`.execute(trx);
      await sql`
        update handoffs set status = 'waiting', agent_id = null, offered_at = null,
               declined_by = declined_by || to_jsonb(agent_id)
        where status = 'offered' and offered_at < now() - ${`${offerTimeoutMs} milliseconds`}::interval`.execute(trx);
      const now = Date.now();
      for (const { handoffId, to } of overflows(await this.store.waiting(trx), queues, now)) {
        await this.store.update(handoffId, { status: ['waiting'] }, { queue: to, queued_at: sql`now()` }, trx);
      }
      const waiting = await this.store.waiting(trx);
      if (waiting.length === 0) return [];
      // Offers go only to agents with a desk open: a closed browser takes no conversations.
      const agents = (await this.store.profiles(trx))
        .filter((a) => a.connected)
        .map((a) => ({ ...a, id: a.accountId, idleSince: a.idleSince.getTime() }));
      const made = [];
      for (const { handoffId, agentId } of assign(waiting, agents, now)) {
        const offered = await this.store.update(
          handoffId,
          { status: ['waiting'] },
          { status: 'offered', agent_id: agentId, offered_at: sql`now()` },
          trx,
        );
        if (offered) made.push({ handoffId, agentId });
      }
      await this.store.touchIdle(
        made.map((m) => m.agentId),
        trx,
      );
      return made;
    });
    for (const offer of offers) {
      this.options.metrics?.handoffsOffered.inc();
      await this.publish({ kind: 'offer', ...offer });
    }
    if (offers.length) await this.changed();
  }

  // ---- Agents -------------------------------------------------------------------------------------

  async profile(session: StaffSession): Promise<AgentProfile> {
    return (await this.store.profile(session.account.id))!;
  }

  /** Presence; going away returns the agent's offered and active conversations to the queue. */
  async setPresence(session: StaffSession, presence: Presence): Promise<AgentProfile> {
    const me = session.account.id;
    await this.store.profile(me);
    await this.options.db.transaction().execute(async (trx) => {
      await this.store.setPresence(me, presence, trx);
      await audit(trx, session.actor, {
        action: 'desk.presence',
        targetType: 'staff_account',
        targetId: session.actor.name,
        detail: { presence },
      });
    });
    if (presence === 'away') {
      for (const h of await this.store.list({ involving: me, statuses: ['offered', 'active'] })) {
        if (h.agentId !== me) continue;
        const requeued = await this.store.update(
          h.id,
          { status: ['offered', 'active'], agentId: me },
          { status: 'waiting', agent_id: null, offered_at: null, accepted_at: null, reason: 'reassigned' },
        );
        if (requeued && h.status === 'active') await this.options.broker.notify(h.conversationId, (t) => t.transferred);
      }
    }
    await this.route();
    await this.changed();
    return this.profile(session);
  }

  /** A supervisor sets what an agent serves: queues, skills, languages, how many conversations at once. */
  async configureAgent(
    session: StaffSession,
    username: string,
    changes: Partial<{ queues: string[]; skills: string[]; languages: string[]; capacity: number }>,
  ): Promise<AgentProfile> {
    if (!isSupervisor(session)) throw new AppError('E_FORBIDDEN', 'Only a supervisor may configure agents.');
    const agent = await this.agentNamed(username);
    await this.options.db.transaction().execute(async (trx) => {
      await this.store.configure(agent.accountId, changes, trx);
      await audit(trx, session.actor, {
        action: 'desk.agent.configure',
        targetType: 'staff_account',
        targetId: username,
        detail: changes,
      });
    });
    await this.route();
    await this.changed();
    return (await this.store.profile(agent.accountId))!;
  }

  // ---- One handoff --------------------------------------------------------------------------------

  /** The handoff, if this staff member may see it: the agent it is offered to or owned by, the one consulted, or a supervisor. */
  async visible(session: StaffSession, id: string): Promise<{ record: HandoffRecord; readOnly: boolean }> {
    const record = await this.store.get(id);
    if (!record) throw new AppError('E_NOT_FOUND', `No handoff ${id}.`);
    const me = session.account.id;
    if (record.agentId === me && record.status === 'active') return { record, readOnly: false };
    if (record.agentId === me || record.consultantId === me || isSupervisor(session)) return { record, readOnly: true };
    // A waiting handoff in a queue the agent serves may be looked at before taking it.
    if (record.status === 'waiting' && (await this.profile(session)).queues.includes(record.queue))
      return { record, readOnly: true };
    throw new AppError('E_FORBIDDEN', 'This conversation is not routed to you.');
  }

  /** The handoff, when this staff member owns it now. */
  async owned(session: StaffSession, id: string): Promise<HandoffRecord> {
    const { record, readOnly } = await this.visible(session, id);
    if (readOnly) throw new AppError('E_FORBIDDEN', 'Only the agent who has taken this conversation may do that.');
    return record;
  }

  /** Takes a handoff offered to this agent, or waiting in a queue they serve. */
  async accept(session: StaffSession, id: string): Promise<HandoffSummary> {
    const me = session.account.id;
    const profile = await this.profile(session);
    const record = await this.store.get(id);
    if (!record) throw new AppError('E_NOT_FOUND', `No handoff ${id}.`);
    const mayPull = record.status === 'waiting' && profile.queues.includes(record.queue);
    const taken = await this.options.db.transaction().execute(async (trx) => {
      const ok = mayPull
        ? await this.store.update(
            id,
            { status: ['waiting'] },
            { status: 'active', agent_id: me, offered_at: sql`now()`, accepted_at: sql`now()` },
            trx,
          )
        : await this.store.update(
            id,
            { status: ['offered'], agentId: me },
            { status: 'active', accepted_at: sql`now()` },
            trx,
          );
      if (ok) await this.audited(trx, session, 'handoff.accept', record);
      return ok;
    });
    if (!taken) throw new AppError('E_CONFLICT', 'Another agent has taken this conversation, or the offer has lapsed.');
    await this.options.broker.setMode(record.conversationId, 'agent');
    await this.options.broker.notify(record.conversationId, (t) => t.agentJoined(session.account.displayName), {
      handoff: { joined: session.account.username },
    });
    this.options.metrics?.handoffWait.observe((Date.now() - Date.parse(record.queuedAt)) / 1000);
    await this.changed();
    return summaryOf((await this.store.get(id))!);
  }

  async decline(session: StaffSession, id: string): Promise<HandoffSummary> {
    const me = session.account.id;
    const record = await this.store.get(id);
    if (!record) throw new AppError('E_NOT_FOUND', `No handoff ${id}.`);
    const declined = await this.store.update(
      id,
      { status: ['offered'], agentId: me },
      {
        status: 'waiting',
        agent_id: null,
        offered_at: null,
        declined_by: sql`declined_by || ${JSON.stringify([me])}::jsonb`,
      },
    );
    if (!declined) throw new AppError('E_CONFLICT', 'This conversation is not offered to you.');
    await audit(this.options.db, session.actor, this.entry('handoff.decline', record));
    await this.route();
    await this.changed();
    return summaryOf((await this.store.get(id))!);
  }

  /** An agent's message to the citizen, on the citizen's own channel. */
  async message(session: StaffSession, id: string, text: string) {
    const record = await this.owned(session, id);
    const { account } = session;
    return this.options.broker.post(record.conversationId, {
      from: { id: `agent:${account.username}`, name: account.displayName, role: 'agent' },
      text,
      channelData: { handoff: { agent: account.username } },
    });
  }

  async typing(session: StaffSession, id: string): Promise<void> {
    const record = await this.owned(session, id);
    const { account } = session;
    await this.options.broker.typing(record.conversationId, {
      id: `agent:${account.username}`,
      name: account.displayName,
      role: 'agent',
    });
  }

  /** A private note on the handoff (by an agent, or a department consulted privately); never shown to the citizen. */
  async addNote(id: string, author: string, text: string): Promise<HandoffNote> {
    const note: HandoffNote = { author, text, at: new Date().toISOString() };
    await this.store.update(id, {}, { notes: sql`notes || ${JSON.stringify([note])}::jsonb` });
    const record = (await this.store.get(id))!;
    const to = [record.agentId, record.consultantId].filter((x): x is string => !!x);
    await this.publish({ kind: 'note', handoffId: id, to, note });
    return note;
  }

  /** Back to the bot, which asks how satisfied the citizen was. */
  async handBack(session: StaffSession, id: string): Promise<HandoffSummary> {
    return this.finish(session, id, 'handed_back', (t) => t.satisfactionQuestion, { satisfaction: 'asked' });
  }

  async close(session: StaffSession, id: string, disposition: string, note?: string): Promise<HandoffSummary> {
    if (note) await this.addNote(id, session.account.displayName, note);
    return this.finish(session, id, disposition, (t) => t.agentClosed, {});
  }

  private async finish(
    session: StaffSession,
    id: string,
    disposition: string,
    notice: (t: Messages) => string,
    state: Partial<Record<keyof ConversationState, unknown>>,
  ): Promise<HandoffSummary> {
    const { record } = await this.visible(session, id);
    const owner = record.agentId === session.account.id && record.status === 'active';
    if (!owner && !isSupervisor(session))
      throw new AppError('E_FORBIDDEN', 'Only the agent who has the conversation, or a supervisor, may end it.');
    await this.options.db.transaction().execute(async (trx) => {
      const ok = await this.store.update(
        id,
        { status: ['waiting', 'offered', 'active'] },
        { status: 'closed', closed_at: sql`now()`, disposition, consultant_id: null },
        trx,
      );
      if (!ok) throw new AppError('E_CONFLICT', 'This conversation has ended already.');
      await trx
        .updateTable('handoff_invites')
        .set({ revoked_at: sql`now()` })
        .where('handoff_id', '=', id)
        .where('revoked_at', 'is', null)
        .execute();
      await this.audited(trx, session, `handoff.${disposition === 'handed_back' ? 'hand_back' : 'close'}`, record, {
        disposition,
      });
    });
    await this.options.broker.setMode(record.conversationId, 'bot', {
      ...state,
      handoff: null,
      misses: 0,
      intake: null,
    });
    await this.options.broker.notify(record.conversationId, notice, { handoff: { ended: disposition } });
    await this.route();
    await this.changed();
    return summaryOf((await this.store.get(id))!);
  }

  // ---- Helpers ------------------------------------------------------------------------------------

  /** Listens to desk events from every instance (the desk stream). */
  busEvents(topic: string, listener: (payload: unknown) => void): () => void {
    return this.options.bus.subscribeEvent(topic, listener);
  }

  /** Records a desk action that changes nothing here (a view, a ticket registered from the desk). */
  async auditAction(session: StaffSession, action: string, targetType: string, targetId: string): Promise<void> {
    await audit(this.options.db, session.actor, { action, targetType, targetId });
  }

  async agentNamed(username: string): Promise<AgentProfile> {
    const account = await this.options.db
      .selectFrom('staff_accounts')
      .select('id')
      .where('username', '=', username)
      .where('disabled', '=', false)
      .executeTakeFirst();
    const profile = account && (await this.store.profile(account.id));
    if (!profile || !profile.roles.some((r) => r === 'agent' || SUPERVISOR_ROLES.includes(r)))
      throw new AppError('E_VALIDATION', `No agent ${username}.`);
    return profile;
  }

  entry(action: string, record: HandoffRecord, detail: Record<string, unknown> = {}) {
    return {
      action,
      targetType: 'conversation',
      targetId: record.conversationId,
      detail: { handoff: record.id, ...detail },
    };
  }

  audited(
    trx: Kysely<Database>,
    session: StaffSession,
    action: string,
    record: HandoffRecord,
    detail?: Record<string, unknown>,
  ) {
    return audit(trx, session.actor, this.entry(action, record, detail));
  }

  async publish(event: DeskEvent): Promise<void> {
    await this.options.bus.publishEvent(DESK_TOPIC, event).catch((error: unknown) => {
      this.options.logger.warn({ err: error }, 'could not tell the desks; they catch up on their next refresh');
    });
  }

  changed(): Promise<void> {
    return this.publish({ kind: 'changed' });
  }
}

/** What the bot knew when it asked for a person: the context card's draft and knowledge hits. */
function contextOf(state: ConversationState): Record<string, unknown> {
  const category = state.intake?.category ?? state.lastQuestion?.category;
  // 01.05.03 -> category:01, category:01.05, category:01.05.03: an agent skilled in any of them is preferred.
  const parts = category?.split('.') ?? [];
  return {
    preferredSkills: parts.map((_, i) => `category:${parts.slice(0, i + 1).join('.')}`),
    category: category ?? null,
    hits: state.seenHits ?? [],
    emergency: state.emergency ?? null,
    lastQuestion: state.lastQuestion?.text ?? null,
  };
}
