import { sql } from 'kysely';
import type { StaffSession } from '../core/accounts.js';
import { audit } from '../core/audit.js';
import type { HandoffNote } from '../core/db/schema.js';
import { AppError } from '../core/errors.js';
import { summaryOf, type HandoffSummary } from './handoff-store.js';
import { isSupervisor, type HandoffService } from './handoff-service.js';

/**
 * Transfers of a conversation an agent has: cold (to another queue, or offered to a named agent) and warm
 * (another agent is consulted privately first, then takes over or not), with the private notes between them.
 */
export class Transfers {
  constructor(private readonly handoffs: HandoffService) {}

  /** Cold transfer: to another queue, or offered straight to a named agent. */
  async transfer(
    session: StaffSession,
    id: string,
    to: { queue?: string; agent?: string; note?: string },
  ): Promise<HandoffSummary> {
    const { record } = await this.handoffs.visible(session, id);
    const owner = record.agentId === session.account.id && record.status === 'active';
    if (!owner && !isSupervisor(session))
      throw new AppError('E_FORBIDDEN', 'Only the agent who has the conversation, or a supervisor, may transfer it.');
    const target = to.agent ? await this.handoffs.agentNamed(to.agent) : undefined;
    const moved = await this.handoffs.options.db.transaction().execute(async (trx) => {
      const ok = await this.handoffs.store.update(
        id,
        { status: ['waiting', 'offered', 'active'], agentId: record.agentId },
        target
          ? {
              status: 'offered',
              agent_id: target.accountId,
              offered_at: sql`now()`,
              accepted_at: null,
              consultant_id: null,
              reason: 'transfer',
            }
          : {
              status: 'waiting',
              queue: to.queue ?? record.queue,
              agent_id: null,
              offered_at: null,
              accepted_at: null,
              consultant_id: null,
              queued_at: sql`now()`,
              reason: 'transfer',
            },
        trx,
      );
      if (ok) await this.handoffs.audited(trx, session, 'handoff.transfer', record, { to });
      return ok;
    });
    if (!moved) throw new AppError('E_CONFLICT', 'The conversation changed hands meanwhile.');
    if (to.note) await this.handoffs.addNote(id, session.account.displayName, to.note);
    if (record.status === 'active')
      await this.handoffs.options.broker.notify(record.conversationId, (t) => t.transferred);
    if (target) await this.handoffs.publish({ kind: 'offer', agentId: target.accountId, handoffId: id });
    else await this.handoffs.route();
    await this.handoffs.changed();
    return summaryOf((await this.handoffs.store.get(id))!);
  }

  /** Warm transfer, step 1: another agent looks at the conversation and talks with the owner privately. */
  async consult(session: StaffSession, id: string, username: string): Promise<HandoffSummary> {
    const record = await this.handoffs.owned(session, id);
    const target = await this.handoffs.agentNamed(username);
    if (target.accountId === session.account.id) throw new AppError('E_VALIDATION', 'Consult someone else.');
    await this.handoffs.options.db.transaction().execute(async (trx) => {
      await this.handoffs.store.update(id, { status: ['active'] }, { consultant_id: target.accountId }, trx);
      await this.handoffs.audited(trx, session, 'handoff.consult', record, { agent: username });
    });
    await this.handoffs.publish({ kind: 'consult', agentId: target.accountId, handoffId: id });
    await this.handoffs.changed();
    return summaryOf((await this.handoffs.store.get(id))!);
  }

  /** Warm transfer, step 2: the consulted agent takes the conversation over (or the consultation ends). */
  async endConsult(session: StaffSession, id: string, complete: boolean): Promise<HandoffSummary> {
    const record = await this.handoffs.owned(session, id);
    if (!record.consultantId) throw new AppError('E_CONFLICT', 'Nobody is being consulted.');
    const consultant = record.consultant!;
    await this.handoffs.options.db.transaction().execute(async (trx) => {
      const ok = await this.handoffs.store.update(
        id,
        { status: ['active'], agentId: session.account.id, consultantId: record.consultantId! },
        complete
          ? { agent_id: record.consultantId, consultant_id: null, accepted_at: sql`now()`, reason: 'transfer' }
          : { consultant_id: null },
        trx,
      );
      if (!ok) throw new AppError('E_CONFLICT', 'The conversation changed meanwhile.');
      await this.handoffs.audited(
        trx,
        session,
        complete ? 'handoff.consult.complete' : 'handoff.consult.cancel',
        record,
        {
          agent: consultant.username,
        },
      );
    });
    if (complete) {
      await this.handoffs.options.broker.notify(record.conversationId, (t) => t.agentJoined(consultant.displayName), {
        handoff: { joined: consultant.username },
      });
    }
    await this.handoffs.changed();
    return summaryOf((await this.handoffs.store.get(id))!);
  }

  /** A private note between the owner and the consulted agent (never shown to the citizen). */
  async note(session: StaffSession, id: string, text: string): Promise<HandoffNote> {
    const { record } = await this.handoffs.visible(session, id);
    const me = session.account.id;
    if (record.agentId !== me && record.consultantId !== me)
      throw new AppError('E_FORBIDDEN', 'Only the agents on this conversation may add notes.');
    await audit(this.handoffs.options.db, session.actor, this.handoffs.entry('handoff.note', record));
    return this.handoffs.addNote(id, session.account.displayName, text);
  }
}
