import { sql, type Kysely, type Selectable } from 'kysely';
import type { Database, VoiceCallsTable } from './db/schema.js';

export interface CallRecord {
  id: string;
  conversationId: string | null;
  transport: string;
  caller: string | null;
  startedAt: Date;
  endedAt: Date | null;
  endReason: string | null;
  audioMs: number;
  utterances: number;
  bargeIns: number;
  outcome: string | null;
}

export interface CallTotals {
  audioMs: number;
  utterances: number;
  bargeIns: number;
}

/** The `voice_calls` table: a call is opened when its stream starts and closed exactly once. */
export class CallRecords {
  constructor(private readonly db: Kysely<Database>) {}

  /** Idempotent: a stream that reconnects with the same call id keeps its first record. */
  async open(input: { id: string; transport: string; caller?: string; conversationId?: string }): Promise<void> {
    await this.db
      .insertInto('voice_calls')
      .values({
        id: input.id,
        transport: input.transport,
        caller: input.caller ?? null,
        conversation_id: input.conversationId ?? null,
      })
      .onConflict((c) => c.column('id').doNothing())
      .execute();
  }

  async setConversation(id: string, conversationId: string): Promise<void> {
    await this.db.updateTable('voice_calls').set({ conversation_id: conversationId }).where('id', '=', id).execute();
  }

  async setOutcome(id: string, outcome: string): Promise<void> {
    await this.db.updateTable('voice_calls').set({ outcome }).where('id', '=', id).execute();
  }

  /** Closes the record once; a second close (a late `stop` after a hang-up) changes nothing. */
  async close(id: string, reason: string, totals: CallTotals): Promise<void> {
    await this.db
      .updateTable('voice_calls')
      .set({
        ended_at: sql<Date>`now()`,
        end_reason: reason,
        audio_ms: Math.round(totals.audioMs),
        utterances: totals.utterances,
        barge_ins: totals.bargeIns,
      })
      .where('id', '=', id)
      .where('ended_at', 'is', null)
      .execute();
  }

  async get(id: string): Promise<CallRecord | undefined> {
    const row = await this.db.selectFrom('voice_calls').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toRecord(row);
  }

  /** The latest call of a conversation. */
  async latestOf(conversationId: string): Promise<CallRecord | undefined> {
    const row = await this.db
      .selectFrom('voice_calls')
      .selectAll()
      .where('conversation_id', '=', conversationId)
      .orderBy('started_at', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row && toRecord(row);
  }

  /** Calls newest first; `open` only those still in progress. */
  async list(options: { open?: boolean; limit: number; offset: number }): Promise<CallRecord[]> {
    let query = this.db.selectFrom('voice_calls').selectAll();
    if (options.open) query = query.where('ended_at', 'is', null);
    const rows = await query
      .orderBy('started_at', 'desc')
      .orderBy('id')
      .limit(options.limit)
      .offset(options.offset)
      .execute();
    return rows.map(toRecord);
  }

  /**
   * Closes, as `lost`, records still open after longer than any call may last: their process died
   * mid-call. Safe on any instance at any time. Returns how many.
   */
  async closeLost(olderThanMs: number): Promise<number> {
    const result = await this.db
      .updateTable('voice_calls')
      .set({ ended_at: sql<Date>`now()`, end_reason: 'lost' })
      .where('ended_at', 'is', null)
      .where('started_at', '<', new Date(Date.now() - olderThanMs))
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }
}

function toRecord(row: Selectable<VoiceCallsTable>): CallRecord {
  return {
    id: row.id,
    conversationId: row.conversation_id,
    transport: row.transport,
    caller: row.caller,
    startedAt: new Date(row.started_at),
    endedAt: row.ended_at === null ? null : new Date(row.ended_at),
    endReason: row.end_reason,
    audioMs: Number(row.audio_ms),
    utterances: Number(row.utterances),
    bargeIns: Number(row.barge_ins),
    outcome: row.outcome,
  };
}
