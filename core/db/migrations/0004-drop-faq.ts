import type { Kysely } from 'kysely';

/** The first, 15-entry FAQ table gave way to the knowledge base (0002). */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('knowledge_faq').ifExists().execute();
}

export async function down(): Promise<void> {
  // The FAQ data is not restored; 0001 recreates an empty table if rolled back that far.
}
