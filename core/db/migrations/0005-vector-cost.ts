import { sql, type Kysely } from 'kysely';

/**
 * pgvector declares its cosine distance as costing what one addition costs (procost 1), while a
 * 512-dimension distance costs about a hundred. Around 10k phrasings the planner then prefers computing
 * every distance (a sequential scan: 35 ms measured on PostgreSQL, 59 ms on PGlite) to the HNSW index
 * (about 1 ms). Telling it the true cost fixes the choice for every query at no cost per query.
 * Changing an extension's function needs its owner: where the gateway's role is not (a managed database
 * whose administrator created the extension), the migration notes it and goes on, and the plan may be the
 * slow one at that size.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    do $$
    begin
      alter function cosine_distance(vector, vector) cost 100;
    exception when insufficient_privilege then
      raise notice 'minsheng: could not set the cost of cosine_distance (not its owner); HNSW may be skipped at ~10k phrasings';
    end
    $$`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    do $$
    begin
      alter function cosine_distance(vector, vector) cost 1;
    exception when insufficient_privilege then null;
    end
    $$`.execute(db);
}
