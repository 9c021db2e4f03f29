import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { StaffSession } from '../core/accounts.js';
import { audit } from '../core/audit.js';
import { AppError } from '../core/errors.js';
import type { HandoffService } from './handoff-service.js';

/** An invite link's token: only its hash is stored. */
const hashToken = (token: string) => createHash('sha256').update(token).digest('base64url');

/**
 * Three-party: department staff join a conversation an agent has. On text channels by a time-limited
 * invitation link (the token is the credential; it dies with the handoff); on a phone call by a conference
 * leg dialled through the telephony port.
 */
export class Invitations {
  constructor(private readonly handoffs: HandoffService) {}

  /**
   * Three-party for text channels: a time-limited link for department staff to join the conversation; or,
   * `privately`, to read it and advise the agents (a warm transfer to a department: what they write are
   * notes, never sent to the citizen, who is not told they are there).
   */
  async invite(session: StaffSession, id: string, department: string, minutes = 120, privately = false) {
    const record = await this.handoffs.owned(session, id);
    const token = randomBytes(24).toString('base64url');
    const inviteId = randomUUID();
    const expiresAt = new Date(Date.now() + minutes * 60_000);
    await this.handoffs.options.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('handoff_invites')
        .values({
          id: inviteId,
          token_hash: hashToken(token),
          handoff_id: id,
          department,
          private: privately,
          created_by: session.actor.name,
          expires_at: expiresAt,
        })
        .execute();
      await this.handoffs.audited(trx, session, 'handoff.invite', record, { department, minutes, private: privately });
    });
    return {
      id: inviteId,
      department,
      private: privately,
      url: `/join/${token}`,
      expiresAt: expiresAt.toISOString(),
    };
  }

  async invitesOf(handoffId: string) {
    const rows = await this.handoffs.options.db
      .selectFrom('handoff_invites')
      .select(['id', 'department', 'private', 'expires_at', 'revoked_at', 'opened_at'])
      .where('handoff_id', '=', handoffId)
      .orderBy('created_at')
      .execute();
    return rows.map((r) => ({
      id: r.id,
      department: r.department,
      private: r.private,
      expiresAt: r.expires_at.toISOString(),
      opened: r.opened_at !== null,
      revoked: r.revoked_at !== null || r.expires_at.getTime() < Date.now(),
    }));
  }

  /** The invite a join-page token stands for, while it is valid and its handoff open. */
  async invitation(token: string) {
    const row = await this.handoffs.options.db
      .selectFrom('handoff_invites as i')
      .innerJoin('handoffs as h', 'h.id', 'i.handoff_id')
      .select([
        'i.id',
        'i.department',
        'i.private',
        'i.expires_at',
        'i.revoked_at',
        'i.opened_at',
        'h.id as handoff_id',
        'h.conversation_id',
        'h.status',
      ])
      .where('i.token_hash', '=', hashToken(token))
      .executeTakeFirst();
    if (!row) throw new AppError('E_NOT_FOUND', 'This invitation link is not valid.');
    if (row.revoked_at || row.expires_at.getTime() < Date.now() || row.status === 'closed')
      throw new AppError('E_GONE', 'This invitation link has expired.');
    // The citizen is told when a department joins the conversation, not when one is consulted privately.
    if (!row.opened_at && !row.private) {
      const first = await this.handoffs.options.db
        .updateTable('handoff_invites')
        .set({ opened_at: sql`now()` })
        .where('id', '=', row.id)
        .where('opened_at', 'is', null)
        .executeTakeFirst();
      if (Number(first.numUpdatedRows) > 0)
        await this.handoffs.options.broker.notify(row.conversation_id, (t) => t.departmentJoined(row.department), {
          handoff: { department: row.department },
        });
    }
    return {
      id: row.id,
      department: row.department,
      private: row.private,
      expiresAt: row.expires_at.toISOString(),
      handoffId: row.handoff_id,
      conversationId: row.conversation_id,
    };
  }

  /** Department staff's message through an invitation: to the citizen, or a note to the agents when private. */
  async departmentMessage(token: string, text: string, name?: string) {
    const invite = await this.invitation(token);
    const who = name?.trim() ? `${invite.department} · ${name.trim()}` : invite.department;
    await audit(
      this.handoffs.options.db,
      { name: `invite:${invite.id}`, roles: [] },
      {
        action: 'handoff.department.message',
        targetType: 'conversation',
        targetId: invite.conversationId,
        detail: { department: invite.department },
      },
    );
    if (invite.private) return { note: await this.handoffs.addNote(invite.handoffId, who, text) };
    return this.handoffs.options.broker.post(invite.conversationId, {
      from: { id: `department:${invite.id}`, name: who, role: 'department' },
      text,
      channelData: { handoff: { department: invite.department } },
    });
  }

  /**
   * Three-party on a phone call: the caller (wherever the call is now: with the bot or in the agents'
   * queue) is moved into the conversation's conference and the department's number dialled in; the
   * agent's own phone too, when given, so they stay on the call.
   */
  async conferenceCall(session: StaffSession, id: string, department: string, agentPhone?: string) {
    const record = await this.handoffs.owned(session, id);
    const voice = this.handoffs.options.voice;
    if (!voice) throw new AppError('E_NOT_IMPLEMENTED', 'No call control is configured (VOICE_* settings).');
    const call = await voice.calls.latestOf(record.conversationId);
    if (!call || record.channelId !== 'voice')
      throw new AppError('E_CONFLICT', 'This conversation is not a phone call.');
    const ref = {
      callId: call.id.slice(call.id.indexOf(':') + 1),
      conversationId: record.conversationId,
      caller: call.caller ?? undefined,
    };
    const result = await voice.telephony.conference(ref, department, { agent: agentPhone });
    await voice.calls.setOutcome(call.id, 'conference');
    await this.handoffs.auditAction(session, 'handoff.conference', 'conversation', record.conversationId);
    return result;
  }
}
