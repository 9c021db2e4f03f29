import { sql, type Kysely, type Transaction } from 'kysely';
import { activityId, type Activity, type ActivityPage, type StoredActivity } from '../core/activity.js';
import type { ActivityRow, Database } from '../core/db/schema.js';
import type { ConversationState } from './turn.js';

export interface ConversationRecord {
  id: string;
  channelId: string;
  mode: 'bot' | 'agent';
  locale: string | null;
  lastSeq: number;
}

export interface NewConversation {
  id: string;
  channelId: string;
  user: { id: string; name?: string };
  bot: { id: string; name: string };
  locale?: string;
}

export interface AppendResult {
  activity: StoredActivity;
  /** True when the channel message id was already stored: this is a retry, nothing was written. */
  duplicate: boolean;
}

export interface TurnSnapshot {
  conversation: ConversationRecord;
  state: ConversationState;
  stateVersion: number;
  /** Inbound activities not yet answered, oldest first. */
  pending: StoredActivity[];
}

/** Storage of conversations, their activities and state. Every write that belongs together is one transaction. */
export class ConversationStore {
  constructor(private readonly db: Kysely<Database>) {}

  async createConversation(
    input: NewConversation,
    welcome?: Omit<Activity, 'conversation'>,
  ): Promise<ConversationRecord> {
    return this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('conversations')
        .values({ id: input.id, channel_id: input.channelId, locale: input.locale ?? null })
        .execute();
      await trx
        .insertInto('participants')
        .values([
          { conversation_id: input.id, id: input.user.id, role: 'user', name: input.user.name ?? null },
          { conversation_id: input.id, id: input.bot.id, role: 'bot', name: input.bot.name },
        ])
        .execute();
      await trx.insertInto('conversation_state').values({ conversation_id: input.id, state: '{}' }).execute();
      let lastSeq = 0;
      if (welcome) {
        await this.insertActivities(trx, input.id, 0, 'outbound', [{ ...welcome, conversation: { id: input.id } }]);
        lastSeq = 1;
        await trx.updateTable('conversations').set({ last_seq: lastSeq }).where('id', '=', input.id).execute();
      }
      return { id: input.id, channelId: input.channelId, mode: 'bot', locale: input.locale ?? null, lastSeq };
    });
  }

  async getConversation(id: string): Promise<ConversationRecord | undefined> {
    const row = await this.db.selectFrom('conversations').selectAll().where('id', '=', id).executeTakeFirst();
    return row && { id: row.id, channelId: row.channel_id, mode: row.mode, locale: row.locale, lastSeq: row.last_seq };
  }

  async isParticipant(conversationId: string, participantId: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('participants')
      .select('id')
      .where('conversation_id', '=', conversationId)
      .where('id', '=', participantId)
      .executeTakeFirst();
    return row !== undefined;
  }

  /**
   * Stores an inbound activity once. The conversation row is locked first, so two deliveries of the same
   * channel message serialise here and the second finds the first instead of writing.
   */
  async appendInbound(activity: Activity, channelMessageId: string | null): Promise<AppendResult> {
    const conversationId = activity.conversation.id;
    return this.db.transaction().execute(async (trx) => {
      const conversation = await trx
        .selectFrom('conversations')
        .select('last_seq')
        .where('id', '=', conversationId)
        .forUpdate()
        .executeTakeFirstOrThrow();
      if (channelMessageId !== null) {
        const existing = await trx
          .selectFrom('activities')
          .selectAll()
          .where('channel_id', '=', activity.channelId)
          .where('channel_message_id', '=', channelMessageId)
          .executeTakeFirst();
        if (existing) return { activity: toActivity(existing), duplicate: true };
      }
      const [stored] = await this.insertActivities(
        trx,
        conversationId,
        conversation.last_seq,
        'inbound',
        [activity],
        channelMessageId,
      );
      await trx
        .updateTable('conversations')
        .set({ last_seq: conversation.last_seq + 1, updated_at: sql`now()` })
        .where('id', '=', conversationId)
        .execute();
      return { activity: stored!, duplicate: false };
    });
  }

  /** Activities after `watermark` (a sequence number), oldest first, at most `limit`. */
  async activitiesAfter(conversationId: string, watermark: number, limit = 500): Promise<ActivityPage> {
    const rows = await this.db
      .selectFrom('activities')
      .selectAll()
      .where('conversation_id', '=', conversationId)
      .where('seq', '>', watermark)
      .orderBy('seq')
      .limit(limit)
      .execute();
    return { activities: rows.map(toActivity), watermark: rows.at(-1)?.seq ?? watermark };
  }

  async loadTurnSnapshot(conversationId: string): Promise<TurnSnapshot | undefined> {
    const conversation = await this.getConversation(conversationId);
    if (!conversation) return undefined;
    const [stateRow, pendingRows] = await Promise.all([
      this.db
        .selectFrom('conversation_state')
        .select(['state', 'version'])
        .where('conversation_id', '=', conversationId)
        .executeTakeFirstOrThrow(),
      this.db
        .selectFrom('activities')
        .selectAll()
        .where('conversation_id', '=', conversationId)
        .where('direction', '=', 'inbound')
        .where('processed_at', 'is', null)
        .orderBy('seq')
        .execute(),
    ]);
    return {
      conversation,
      state: stateRow.state as ConversationState,
      stateVersion: stateRow.version,
      pending: pendingRows.map(toActivity),
    };
  }

  /**
   * Commits one turn: the replies, the new state and the inbound activity's processed mark, together.
   * Optimistic: when the state version moved or the activity was already answered (a concurrent or
   * repeated run), nothing is written and `committed` is false.
   */
  async commitTurn(input: {
    inbound: StoredActivity;
    expectedStateVersion: number;
    state: ConversationState;
    replies: Omit<Activity, 'conversation'>[];
  }): Promise<{ committed: boolean; replies: StoredActivity[]; lastSeq: number }> {
    const conversationId = input.inbound.conversation.id;
    return this.db
      .transaction()
      .execute(async (trx) => {
        const conversation = await trx
          .selectFrom('conversations')
          .select('last_seq')
          .where('id', '=', conversationId)
          .forUpdate()
          .executeTakeFirstOrThrow();
        const marked = await trx
          .updateTable('activities')
          .set({ processed_at: sql`now()` })
          .where('id', '=', input.inbound.id)
          .where('processed_at', 'is', null)
          .executeTakeFirst();
        const bumped = await trx
          .updateTable('conversation_state')
          .set({ state: JSON.stringify(input.state), version: input.expectedStateVersion + 1, updated_at: sql`now()` })
          .where('conversation_id', '=', conversationId)
          .where('version', '=', input.expectedStateVersion)
          .executeTakeFirst();
        if (marked.numUpdatedRows === 0n || bumped.numUpdatedRows === 0n) {
          // Roll back the half that did apply by throwing inside the transaction.
          throw new StaleTurn(conversation.last_seq);
        }
        const replies = await this.insertActivities(
          trx,
          conversationId,
          conversation.last_seq,
          'outbound',
          input.replies.map((r) => ({ ...r, conversation: { id: conversationId }, replyToId: input.inbound.id })),
        );
        const lastSeq = conversation.last_seq + replies.length;
        await trx
          .updateTable('conversations')
          .set({ last_seq: lastSeq, updated_at: sql`now()` })
          .where('id', '=', conversationId)
          .execute();
        return { committed: true, replies, lastSeq };
      })
      .catch((error: unknown) => {
        if (error instanceof StaleTurn) return { committed: false, replies: [], lastSeq: error.lastSeq };
        throw error;
      });
  }

  /** Conversations with inbound activities older than `olderThanMs` that were never answered. */
  async conversationsWithUnansweredInbound(
    olderThanMs: number,
    limit = 1000,
  ): Promise<{ conversationId: string; activityId: string }[]> {
    const rows = await this.db
      .selectFrom('activities')
      .select(['conversation_id', 'id'])
      .where('direction', '=', 'inbound')
      .where('processed_at', 'is', null)
      .where('created_at', '<', new Date(Date.now() - olderThanMs))
      .orderBy('created_at')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ conversationId: r.conversation_id, activityId: r.id }));
  }

  private async insertActivities(
    trx: Transaction<Database>,
    conversationId: string,
    afterSeq: number,
    direction: 'inbound' | 'outbound',
    activities: Activity[],
    channelMessageId: string | null = null,
  ): Promise<StoredActivity[]> {
    // Clients order transcripts by timestamp: activities stored together get increasing ones, 1 ms apart.
    const now = Date.now();
    const stored = activities.map((activity, i): StoredActivity => ({
      ...activity,
      id: activityId(conversationId, afterSeq + i + 1),
      timestamp: new Date(now + i).toISOString(),
    }));
    await trx
      .insertInto('activities')
      .values(
        stored.map((a, i) => ({
          id: a.id,
          conversation_id: conversationId,
          seq: afterSeq + i + 1,
          direction,
          channel_id: a.channelId,
          channel_message_id: direction === 'inbound' ? channelMessageId : null,
          type: a.type,
          from_id: a.from.id,
          from_role: a.from.role ?? (direction === 'inbound' ? 'user' : 'bot'),
          text: a.text ?? null,
          reply_to_id: a.replyToId ?? null,
          body: JSON.stringify(a),
          created_at: a.timestamp,
        })),
      )
      .execute();
    return stored;
  }
}

class StaleTurn extends Error {
  constructor(readonly lastSeq: number) {
    super('turn is stale');
  }
}

const toActivity = (row: ActivityRow): StoredActivity => row.body as unknown as StoredActivity;
