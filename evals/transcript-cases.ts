/**
 * Real conversations feed the evals: a citizen's message, chosen by an agent or editor with the article that
 * should answer it (or `none`), becomes a retrieval case of the suite `transcripts`, measured with the suite
 * files. Phone and ID numbers are masked before the words are kept.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { audit, type Actor } from '../core/audit.js';
import type { Database } from '../core/db/schema.js';
import { AppError } from '../core/errors.js';
import { maskPii } from '../core/pii.js';
import type { RetrievalEvalSuite } from './suite-schema.js';

export const TRANSCRIPT_SUITE = 'transcripts';

export interface TranscriptCase {
  id: string;
  question: string;
  expect: string;
  conversationId: string | null;
  createdBy: string;
  createdAt: string;
}

export async function addTranscriptCase(
  db: Kysely<Database>,
  actor: Actor,
  input: { conversationId: string; activityId: string; expect: string },
): Promise<TranscriptCase> {
  const activity = await db
    .selectFrom('activities')
    .select(['text', 'direction', 'from_role'])
    .where('id', '=', input.activityId)
    .where('conversation_id', '=', input.conversationId)
    .executeTakeFirst();
  if (!activity) throw new AppError('E_NOT_FOUND', `No message ${input.activityId} in that conversation.`);
  if (activity.direction !== 'inbound' || !activity.text?.trim())
    throw new AppError('E_VALIDATION', "Only a citizen's text message can become an eval case.");
  if (input.expect !== 'none') {
    const article = await db
      .selectFrom('knowledge_articles')
      .select('id')
      .where('id', '=', input.expect)
      .where('status', '=', 'published')
      .executeTakeFirst();
    if (!article) throw new AppError('E_VALIDATION', `No published article ${input.expect}; name one, or none.`);
  }
  const question = maskPii(activity.text.trim()).slice(0, 500);
  const id = randomUUID();
  return db.transaction().execute(async (trx) => {
    const inserted = await trx
      .insertInto('eval_cases')
      .values({
        id,
        kind: 'retrieval',
        question,
        expect: input.expect,
        conversation_id: input.conversationId,
        activity_id: input.activityId,
        created_by: actor.name,
      })
      .onConflict((oc) => oc.column('question').doNothing())
      .returning(['created_at'])
      .executeTakeFirst();
    if (!inserted) throw new AppError('E_CONFLICT', 'That question is an eval case already.');
    await audit(trx, actor, {
      action: 'evals.case.add',
      targetType: 'eval_case',
      targetId: id,
      detail: { conversationId: input.conversationId, expect: input.expect },
    });
    return {
      id,
      question,
      expect: input.expect,
      conversationId: input.conversationId,
      createdBy: actor.name,
      createdAt: inserted.created_at.toISOString(),
    };
  });
}

export async function listTranscriptCases(db: Kysely<Database>, limit = 200, offset = 0): Promise<TranscriptCase[]> {
  const rows = await db
    .selectFrom('eval_cases')
    .selectAll()
    .orderBy('created_at', 'desc')
    .limit(limit)
    .offset(offset)
    .execute();
  return rows.map((r) => ({
    id: r.id,
    question: r.question,
    expect: r.expect,
    conversationId: r.conversation_id,
    createdBy: r.created_by,
    createdAt: r.created_at.toISOString(),
  }));
}

/** The cases taken from conversations, as a retrieval suite; undefined while there are none. */
export async function transcriptSuite(db: Kysely<Database>): Promise<RetrievalEvalSuite | undefined> {
  const rows = await db.selectFrom('eval_cases').select(['id', 'question', 'expect']).orderBy('created_at').execute();
  if (rows.length === 0) return undefined;
  return {
    suite: TRANSCRIPT_SUITE,
    kind: 'retrieval',
    description: 'Citizen messages from real conversations, chosen by agents and editors.',
    cases: rows.map((r) => ({ id: r.id, q: r.question, expect: r.expect })),
  };
}
