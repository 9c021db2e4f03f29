import { sql, type Kysely } from 'kysely';

/**
 * The knowledge base: articles (approved answers with their variants), their searchable chunks, and the
 * editable synonym dictionary. Valid on PostgreSQL 15 and PGlite.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('knowledge_articles')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('domain', 'text', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('question', 'text', (c) => c.notNull())
    .addColumn('variants', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('answer_short', 'text', (c) => c.notNull())
    .addColumn('answer_full', 'text', (c) => c.notNull())
    .addColumn('department', 'text', (c) => c.notNull())
    .addColumn('tags', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('region', 'text', (c) => c.notNull().defaultTo('全市'))
    .addColumn('status', 'text', (c) =>
      c
        .notNull()
        .defaultTo('draft')
        .check(sql`status in ('draft', 'in_review', 'published', 'retired')`),
    )
    .addColumn('effective_from', 'date', (c) => c.notNull())
    .addColumn('expires_at', 'date')
    .addColumn('source', 'jsonb')
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  // One row per searchable phrasing of an article (title, standard question, each variant, the answer).
  // The vector length is the built-in embedder's; another embedder re-embeds into a new column type.
  await db.schema
    .createTable('knowledge_chunks')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('article_id', 'text', (c) => c.notNull().references('knowledge_articles.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('title', 'question', 'variant', 'answer')`))
    .addColumn('text', 'text', (c) => c.notNull())
    .addColumn('tokens', sql`tsvector`, (c) => c.notNull())
    .addColumn('embedding', sql`vector(512)`, (c) => c.notNull())
    .addColumn('embedder', 'text', (c) => c.notNull())
    .execute();
  await sql`create index knowledge_chunks_article_idx on knowledge_chunks (article_id)`.execute(db);
  await sql`create index knowledge_chunks_embedding_idx on knowledge_chunks using hnsw (embedding vector_cosine_ops)`.execute(
    db,
  );
  await sql`create index knowledge_chunks_tokens_idx on knowledge_chunks using gin (tokens)`.execute(db);
  await sql`create index knowledge_chunks_trgm_idx on knowledge_chunks using gin (text gin_trgm_ops)`.execute(db);

  // Terms citizens use for the same thing (社保卡 / 社会保障卡 / 市民卡): a query naming one also searches the others.
  await db.schema
    .createTable('knowledge_synonyms')
    .addColumn('group_id', 'integer', (c) => c.notNull())
    .addColumn('term', 'text', (c) => c.primaryKey())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['knowledge_synonyms', 'knowledge_chunks', 'knowledge_articles']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
