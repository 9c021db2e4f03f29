import type { Kysely } from 'kysely';
import type { Database } from '../../core/db/schema.js';
import type { Actor, KnowledgeEditorial } from '../editorial.js';
import type { ArticleSink } from './importer.js';

/**
 * Imported records go through the editorial workflow like any edit: as each article's open draft, or —
 * for content approved elsewhere, by an administrator — published at once. Both are audited.
 */
export function editorialSink(editorial: KnowledgeEditorial, actor: Actor, mode: 'draft' | 'publish'): ArticleSink {
  return {
    write: (records) =>
      mode === 'publish' ? editorial.publishRecords(actor, records) : editorial.saveDrafts(actor, records),
  };
}

/** Writes nothing; counts which records would create an article and which would update one. */
export function dryRunSink(db: Kysely<Database>): ArticleSink {
  return {
    async write(records) {
      const existing = await db
        .selectFrom('knowledge_articles')
        .select('id')
        .where(
          'id',
          'in',
          records.map((r) => r.id),
        )
        .execute();
      return { created: records.length - existing.length, updated: existing.length };
    },
  };
}
