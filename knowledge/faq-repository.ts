import { readFile } from 'node:fs/promises';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../core/db/schema.js';
import { FaqIndex, type FaqEntry } from './faq-index.js';

const DEMO_FILE = new URL('./demo/faq.zh-CN.json', import.meta.url);

/** Loads the FAQ table into an index the assistant searches in memory. */
export async function loadFaqIndex(db: Kysely<Database>): Promise<FaqIndex> {
  const rows = await db.selectFrom('knowledge_faq').selectAll().orderBy('id').execute();
  const entries: FaqEntry[] = rows.map((r) => ({
    id: r.id,
    question: r.question,
    variants: r.variants,
    answer: r.answer,
    source: r.source,
  }));
  return new FaqIndex(entries);
}

/** Loads the demo FAQ into an empty table (first start of the embedded default). Returns rows added. */
export async function seedDemoFaq(db: Kysely<Database>): Promise<number> {
  const { entries } = JSON.parse(await readFile(DEMO_FILE, 'utf8')) as { entries: Omit<FaqEntry, 'id'>[] };
  return db.transaction().execute(async (trx) => {
    // Several instances may start at once on one database: only one seeds.
    await sql`select pg_advisory_xact_lock(hashtext('minsheng.seed.knowledge_faq'))`.execute(trx);
    const existing = await trx.selectFrom('knowledge_faq').select('id').limit(1).executeTakeFirst();
    if (existing) return 0;
    await trx
      .insertInto('knowledge_faq')
      .values(entries.map((e) => ({ ...e, variants: JSON.stringify(e.variants) })))
      .execute();
    return entries.length;
  });
}
