import { sql, type Kysely } from 'kysely';

/**
 * Vectors of any length, and passages of long answers as phrasings.
 *
 * The embedding column loses its fixed length (vector(512) was the built-in embedder's): an index may now
 * hold a second embedder's vectors beside the first one's while it is re-embedded, and each embedder gets
 * its own HNSW index, partial on its id and built over `embedding::vector(<its length>)`
 * (knowledge/vector-index.ts creates and drops them). The one HNSW index over every row goes.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`drop index if exists knowledge_chunks_embedding_idx`.execute(db);
  await sql`alter table knowledge_chunks alter column embedding type vector`.execute(db);
  await sql`alter table knowledge_chunks drop constraint knowledge_chunks_kind_check`.execute(db);
  await sql`alter table knowledge_chunks add constraint knowledge_chunks_kind_check
            check (kind in ('title', 'question', 'variant', 'answer', 'passage'))`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`delete from knowledge_chunks where kind = 'passage' or vector_dims(embedding) <> 512`.execute(db);
  await sql`alter table knowledge_chunks drop constraint knowledge_chunks_kind_check`.execute(db);
  await sql`alter table knowledge_chunks add constraint knowledge_chunks_kind_check
            check (kind in ('title', 'question', 'variant', 'answer'))`.execute(db);
  await sql`do $$ declare i record; begin
              for i in select indexname from pg_indexes where indexname like 'knowledge_chunks_hnsw_%' loop
                execute format('drop index %I', i.indexname);
              end loop;
            end $$`.execute(db);
  await sql`alter table knowledge_chunks alter column embedding type vector(512)`.execute(db);
  await sql`create index knowledge_chunks_embedding_idx on knowledge_chunks using hnsw (embedding vector_cosine_ops)`.execute(
    db,
  );
}
