import { sql, type Kysely, type Selectable } from 'kysely';
import { activityId, type Activity, type ActivityPage, type StoredActivity } from '../core/activity.js';
import type { ConversationsTable, Database, DeliveryStatus } from '../core/db/schema.js';
import { AppError } from '../core/errors.js';
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

/**
 * The server-side activity id of the row being numbered (`last_seq` in scope), computed in SQL so one
 * statement can number and store it. Same format as `activityId()` in core/activity.ts.
 */
const activityIdSql = (conversationId: string) => sql<string>`${conversationId} || '|' || lpad(last_seq::text, 7, '0')`;

export type TurnCommit = { committed: true; replies: StoredActivity[]; lastSeq: number } | { committed: false };

export interface TurnSnapshot {
  conversation: ConversationRecord;
  state: ConversationState;
  stateVersion: number;
  /** Inbound activities not yet answered, oldest first. */
  pending: StoredActivity[];
}

/** Storage of conversations, their activities and state. Every write that belongs together is one transaction. */
export class ConversationStore {
  private readonly pushChannels: string[];

  /**
   * @param options.pushChannels channels whose replies are sent by a delivery job (SMS, WeChat
   *   customer-service messages): their outbound activities are stored with delivery status `pending`.
   */
  constructor(
    private readonly db: Kysely<Database>,
    options: { pushChannels?: Iterable<string> } = {},
  ) {
    this.pushChannels = [...(options.pushChannels ?? [])];
  }

  /**
   * The citizen's latest conversation on a channel that knows them by an address (a phone number),
   * when it was active within `withinMs`; a message after a longer silence starts a new one.
   */
  async recentConversationOf(
    channelId: string,
    userId: string,
    withinMs: number,
  ): Promise<ConversationRecord | undefined> {
    const row = await this.db
      .selectFrom('conversations')
      .innerJoin('participants', 'participants.conversation_id', 'conversations.id')
      .selectAll('conversations')
      .where('participants.id', '=', userId)
      .where('participants.role', '=', 'user')
      .where('conversations.channel_id', '=', channelId)
      .where('conversations.updated_at', '>', new Date(Date.now() - withinMs))
      .orderBy('conversations.updated_at', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row && recordOf(row);
  }

  async createConversation(
    input: NewConversation,
    welcome?: Omit<Activity, 'conversation'>,
  ): Promise<ConversationRecord> {
    const lastSeq = welcome ? 1 : 0;
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('conversations')
        .values({ id: input.id, channel_id: input.channelId, locale: input.locale ?? null, last_seq: lastSeq })
        .execute();
      await trx
        .insertInto('participants')
        .values([
          { conversation_id: input.id, id: input.user.id, role: 'user', name: input.user.name ?? null },
          { conversation_id: input.id, id: input.bot.id, role: 'bot', name: input.bot.name },
        ])
        .execute();
      await trx.insertInto('conversation_state').values({ conversation_id: input.id, state: '{}' }).execute();
      if (welcome) {
        const timestamp = new Date().toISOString();
        const body: StoredActivity = {
          ...welcome,
          conversation: { id: input.id },
          id: activityId(input.id, 1),
          timestamp,
        };
        await trx
          .insertInto('activities')
          .values({
            id: body.id,
            conversation_id: input.id,
            seq: 1,
            direction: 'outbound',
            channel_id: body.channelId,
            type: body.type,
            from_id: body.from.id,
            from_role: body.from.role ?? 'bot',
            text: body.text ?? null,
            reply_to_id: null,
            body: JSON.stringify(body),
            created_at: timestamp,
            processed_at: null,
          })
          .execute();
      }
    });
    return { id: input.id, channelId: input.channelId, mode: 'bot', locale: input.locale ?? null, lastSeq };
  }

  async getConversation(id: string): Promise<ConversationRecord | undefined> {
    const row = await this.db.selectFrom('conversations').selectAll().where('id', '=', id).executeTakeFirst();
    return row && recordOf(row);
  }

  /**
   * Stores an inbound activity once per channel message id, in one statement: taking the next sequence
   * number locks the conversation row, so two deliveries of one channel message serialise and the second
   * inserts nothing (it may leave a gap in the sequence, which readers never rely on).
   */
  async appendInbound(activity: Activity, channelMessageId: string | null): Promise<AppendResult> {
    const conversationId = activity.conversation.id;
    // A retry of a stored message is answered without locking anything. Inserting it would lock the
    // conversation row first and then wait on the stored row, which the message's own turn may be
    // updating while it waits for the conversation row: a deadlock (found by test/webhook-fuzz.int.test.ts).
    const stored = channelMessageId === null ? undefined : await this.byChannelMessageId(activity, channelMessageId);
    if (stored) return { activity: stored, duplicate: true };
    const timestamp = new Date().toISOString();
    const body = JSON.stringify({ ...activity, timestamp });
    const { rows } = await sql<{ body: StoredActivity }>`
      with seq as (
        update conversations set last_seq = last_seq + 1, updated_at = now()
        where id = ${conversationId}
        returning last_seq, ${activityIdSql(conversationId)} as id
      )
      insert into activities (id, conversation_id, seq, direction, channel_id, channel_message_id, type,
                              from_id, from_role, text, body, created_at)
      select seq.id, ${conversationId}, seq.last_seq,
             'inbound', ${activity.channelId}, ${channelMessageId}, ${activity.type},
             ${activity.from.id}, ${activity.from.role ?? 'user'}, ${activity.text ?? null},
             ${body}::jsonb || jsonb_build_object('id', seq.id), ${timestamp}::timestamptz
      from seq
      on conflict (channel_id, channel_message_id) do nothing
      returning body`.execute(this.db);
    if (rows[0]) return { activity: rows[0].body, duplicate: false };
    // Nothing inserted: a retry of a stored message (delivered at the same time), or no such conversation.
    const existing = channelMessageId === null ? undefined : await this.byChannelMessageId(activity, channelMessageId);
    if (existing) return { activity: existing, duplicate: true };
    throw new AppError('E_NOT_FOUND', `Conversation ${conversationId} does not exist.`);
  }

  private async byChannelMessageId(activity: Activity, channelMessageId: string): Promise<StoredActivity | undefined> {
    const row = await this.db
      .selectFrom('activities')
      .select('body')
      .where('channel_id', '=', activity.channelId)
      .where('channel_message_id', '=', channelMessageId)
      .executeTakeFirst();
    return row && toActivity(row);
  }

  /**
   * Stores an outbound activity that is not a turn's reply (an agent's or a department's message, a notice of
   * the handoff), numbered like any other; on push channels it is stored pending for the delivery job.
   */
  async appendOutbound(conversationId: string, activity: Omit<Activity, 'conversation'>): Promise<StoredActivity> {
    const timestamp = new Date().toISOString();
    const body = JSON.stringify({ ...activity, conversation: { id: conversationId }, timestamp });
    const { rows } = await sql<{ body: StoredActivity }>`
      with seq as (
        update conversations set last_seq = last_seq + 1, updated_at = now()
        where id = ${conversationId}
        returning last_seq, ${activityIdSql(conversationId)} as id
      )
      insert into activities (id, conversation_id, seq, direction, channel_id, type, from_id, from_role, text,
                              body, created_at, delivery_status)
      select seq.id, ${conversationId}, seq.last_seq, 'outbound', ${activity.channelId}, ${activity.type},
             ${activity.from.id}, ${activity.from.role ?? 'bot'}, ${activity.text ?? null},
             ${body}::jsonb || jsonb_build_object('id', seq.id), ${timestamp}::timestamptz,
             case when ${activity.channelId}::text = any(${this.pushChannels}::text[]) then 'pending' end
      from seq
      returning body`.execute(this.db);
    if (!rows[0]) throw new AppError('E_NOT_FOUND', `Conversation ${conversationId} does not exist.`);
    return rows[0].body;
  }

  /**
   * Switches who answers (`bot` or `agent`) and changes the assistant's state in one statement; the state's
   * version moves, so a turn computed before the switch does not commit and runs again under the new mode.
   * Keys set to `null` in `state` are removed.
   */
  async setMode(
    conversationId: string,
    mode: 'bot' | 'agent',
    state: Partial<Record<keyof ConversationState, unknown>> = {},
  ): Promise<void> {
    const removed = Object.entries(state)
      .filter(([, v]) => v === null)
      .map(([k]) => k);
    const merged = Object.fromEntries(Object.entries(state).filter(([, v]) => v !== null));
    const { rows } = await sql<{ id: string }>`
      with c as (update conversations set mode = ${mode}, updated_at = now() where id = ${conversationId} returning id)
      update conversation_state
      set state = (state - ${removed}::text[]) || ${JSON.stringify(merged)}::jsonb, version = version + 1, updated_at = now()
      where conversation_id = (select id from c)
      returning conversation_id as id`.execute(this.db);
    if (!rows[0]) throw new AppError('E_NOT_FOUND', `Conversation ${conversationId} does not exist.`);
  }

  /** The conversation's citizen (its `user` participant). */
  async citizenOf(conversationId: string): Promise<{ id: string; name: string } | undefined> {
    const row = await this.db
      .selectFrom('participants')
      .select(['id', 'name'])
      .where('conversation_id', '=', conversationId)
      .where('role', '=', 'user')
      .executeTakeFirst();
    return row && { id: row.id, name: row.name ?? '' };
  }

  /** The assistant's state of a conversation. */
  async stateOf(conversationId: string): Promise<ConversationState | undefined> {
    const row = await this.db
      .selectFrom('conversation_state')
      .select('state')
      .where('conversation_id', '=', conversationId)
      .executeTakeFirst();
    return row?.state as ConversationState | undefined;
  }

  /** Activities after `watermark` (a sequence number), oldest first, at most `limit`. */
  async activitiesAfter(conversationId: string, watermark: number, limit = 500): Promise<ActivityPage> {
    const rows = await this.db
      .selectFrom('activities')
      .select(['seq', 'body'])
      .where('conversation_id', '=', conversationId)
      .where('seq', '>', watermark)
      .orderBy('seq')
      .limit(limit)
      .execute();
    return { activities: rows.map(toActivity), watermark: rows.at(-1)?.seq ?? watermark };
  }

  /** Everything a turn needs, in one round trip. */
  async loadTurnSnapshot(conversationId: string): Promise<TurnSnapshot | undefined> {
    const { rows } = await sql<{
      id: string;
      channel_id: string;
      mode: 'bot' | 'agent';
      locale: string | null;
      last_seq: number;
      state: ConversationState;
      version: number;
      pending: StoredActivity[];
    }>`
      select c.id, c.channel_id, c.mode, c.locale, c.last_seq, s.state, s.version,
             coalesce((select json_agg(a.body order by a.seq) from activities a
                       where a.conversation_id = c.id and a.direction = 'inbound' and a.processed_at is null),
                      '[]'::json) as pending
      from conversations c join conversation_state s on s.conversation_id = c.id
      where c.id = ${conversationId}`.execute(this.db);
    const row = rows[0];
    if (!row) return undefined;
    return {
      conversation: {
        id: row.id,
        channelId: row.channel_id,
        mode: row.mode,
        locale: row.locale,
        lastSeq: row.last_seq,
      },
      state: row.state,
      stateVersion: row.version,
      pending: row.pending,
    };
  }

  /**
   * Commits one turn in one statement: the new state, the inbound activity's processed mark and the
   * replies, all or nothing. Optimistic: the state version must still be the one the turn was computed
   * from. Every commit takes the state row first, so an unchanged version also means the activity is
   * still unanswered; a concurrent or repeated run finds the version moved and writes nothing
   * (`committed: false`).
   */
  async commitTurn(input: {
    inbound: StoredActivity;
    expectedStateVersion: number;
    state: ConversationState;
    replies: Omit<Activity, 'conversation'>[];
  }): Promise<TurnCommit> {
    const conversationId = input.inbound.conversation.id;
    const count = input.replies.length;
    // Clients order transcripts by timestamp: replies stored together get increasing ones, 1 ms apart.
    const now = Date.now();
    const replies = input.replies.map((r, i) => ({
      ...r,
      conversation: { id: conversationId },
      replyToId: input.inbound.id,
      timestamp: new Date(now + i).toISOString(),
    }));
    const { rows } = await sql<{ committed: boolean; last_seq: number | null; replies: StoredActivity[] }>`
      with bumped as (
        update conversation_state
        set state = ${JSON.stringify(input.state)}::jsonb, version = version + 1, updated_at = now()
        where conversation_id = ${conversationId} and version = ${input.expectedStateVersion}
        returning conversation_id
      ), marked as (
        update activities set processed_at = now()
        where id = ${input.inbound.id} and processed_at is null and exists (select 1 from bumped)
        returning id
      ), seq as (
        update conversations set last_seq = last_seq + ${count}, updated_at = now()
        where id = ${conversationId} and exists (select 1 from marked)
        returning last_seq
      ), inserted as (
        insert into activities (id, conversation_id, seq, direction, channel_id, type, from_id, from_role, text,
                                reply_to_id, body, created_at, delivery_status)
        select n.id, ${conversationId}, n.seq, 'outbound', r.body->>'channelId', r.body->>'type',
               r.body->'from'->>'id', coalesce(r.body->'from'->>'role', 'bot'), r.body->>'text', ${input.inbound.id},
               r.body || jsonb_build_object('id', n.id), (r.body->>'timestamp')::timestamptz,
               case when r.body->>'channelId' = any(${this.pushChannels}::text[]) then 'pending' end
        from seq, jsonb_array_elements(${JSON.stringify(replies)}::jsonb) with ordinality as r(body, i),
             lateral (select seq.last_seq - ${count} + r.i as seq) s,
             lateral (select s.seq, ${conversationId} || '|' || lpad(s.seq::text, 7, '0') as id) n
        returning seq, body
      )
      select exists (select 1 from marked) as committed,
             (select last_seq from seq) as last_seq,
             coalesce((select json_agg(body order by seq) from inserted), '[]'::json) as replies`.execute(this.db);
    const row = rows[0]!;
    return row.committed ? { committed: true, replies: row.replies, lastSeq: row.last_seq! } : { committed: false };
  }

  /** Points an attachment of a stored activity at where its content is now kept (fetched media). */
  async setAttachmentUrl(activityId: string, index: number, contentUrl: string): Promise<void> {
    await sql`
      update activities
      set body = jsonb_set(body, array['attachments', ${String(index)}::text, 'contentUrl'], to_jsonb(${contentUrl}::text))
      where id = ${activityId} and jsonb_typeof(body->'attachments'->${index}::int) = 'object'`.execute(this.db);
  }

  /** Outbound activities on push channels still waiting to be sent, older than `olderThanMs`. */
  async pendingDeliveries(olderThanMs: number, limit = 500): Promise<string[]> {
    const rows = await this.db
      .selectFrom('activities')
      .select('id')
      .where('delivery_status', '=', 'pending')
      .where('created_at', '<', new Date(Date.now() - olderThanMs))
      .orderBy('created_at')
      .limit(limit)
      .execute();
    return rows.map((r) => r.id);
  }

  /** An outbound activity with its delivery status (for the delivery job). */
  async deliveryOf(
    activityId: string,
  ): Promise<{ activity: StoredActivity; status: DeliveryStatus | null } | undefined> {
    const row = await this.db
      .selectFrom('activities')
      .select(['body', 'delivery_status'])
      .where('id', '=', activityId)
      .where('direction', '=', 'outbound')
      .executeTakeFirst();
    return row && { activity: row.body as unknown as StoredActivity, status: row.delivery_status };
  }

  async markDelivery(
    activityId: string,
    status: DeliveryStatus,
    details: { attempts: number; providerMessageId?: string; error?: string },
  ): Promise<void> {
    await this.db
      .updateTable('activities')
      .set({
        delivery_status: status,
        delivery_attempts: details.attempts,
        provider_message_id: details.providerMessageId ?? null,
        delivery_error: details.error ?? null,
        delivery_updated_at: sql`now()`,
      })
      .where('id', '=', activityId)
      .execute();
  }

  /**
   * Takes pending replies for a reply in the channel's response (WeChat's passive reply): returns the ids
   * it marked sent, so a delivery job that runs later finds them sent and sends nothing.
   */
  async claimDeliveries(activityIds: string[]): Promise<string[]> {
    if (activityIds.length === 0) return [];
    const rows = await this.db
      .updateTable('activities')
      .set({ delivery_status: 'sent', delivery_attempts: 1, delivery_updated_at: sql`now()` })
      .where('id', 'in', activityIds)
      .where('delivery_status', '=', 'pending')
      .returning('id')
      .execute();
    return rows.map((r) => r.id);
  }

  /** Gives claimed replies back to the delivery job (the channel's response could not carry them). */
  async releaseDeliveries(activityIds: string[]): Promise<void> {
    if (activityIds.length === 0) return;
    await this.db
      .updateTable('activities')
      .set({ delivery_status: 'pending', delivery_attempts: 0, delivery_updated_at: sql`now()` })
      .where('id', 'in', activityIds)
      .where('delivery_status', '=', 'sent')
      .execute();
  }

  /** A provider's later report on a sent message; false when no sent message has that id. */
  async recordDeliveryReport(
    providerMessageId: string,
    status: 'delivered' | 'failed',
    error?: string,
  ): Promise<boolean> {
    const result = await this.db
      .updateTable('activities')
      .set({ delivery_status: status, delivery_error: error ?? null, delivery_updated_at: sql`now()` })
      .where('provider_message_id', '=', providerMessageId)
      .where('delivery_status', 'in', ['sent', 'delivered', 'failed'])
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
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
}

const toActivity = (row: { body: unknown }): StoredActivity => row.body as StoredActivity;

function recordOf(row: Selectable<ConversationsTable>): ConversationRecord {
  return { id: row.id, channelId: row.channel_id, mode: row.mode, locale: row.locale, lastSeq: row.last_seq };
}
