import { sql, type Kysely } from 'kysely';

/**
 * Answer evals: one row a run (the knowledge base's version and the embedder it ran against, its summary)
 * and one a case, so any two runs can be compared case by case. Valid on PostgreSQL 15 and PGlite.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('eval_runs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('started_at', 'timestamptz', (c) => c.notNull())
    .addColumn('finished_at', 'timestamptz', (c) => c.notNull())
    .addColumn('knowledge_version', 'text', (c) => c.notNull())
    .addColumn('embedder', 'text', (c) => c.notNull())
    .addColumn('suites', 'jsonb', (c) => c.notNull())
    .addColumn('passed', 'boolean', (c) => c.notNull())
    // The run summary the report is drawn from.
    .addColumn('summary', 'jsonb', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('eval_runs_started').on('eval_runs').column('started_at').execute();
  await db.schema
    .createTable('eval_results')
    .addColumn('run_id', 'text', (c) => c.notNull().references('eval_runs.id').onDelete('cascade'))
    .addColumn('suite', 'text', (c) => c.notNull())
    .addColumn('case_id', 'text', (c) => c.notNull())
    .addColumn('category', 'text', (c) => c.notNull())
    .addColumn('question', 'text', (c) => c.notNull())
    .addColumn('expected', 'text', (c) => c.notNull())
    .addColumn('got', 'text', (c) => c.notNull())
    .addColumn('passed', 'boolean', (c) => c.notNull())
    .addColumn('score', 'real')
    .addColumn('detail', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    // An editor's reading of a failure: correct after all, wrong, or the expectation itself is wrong.
    .addColumn('verdict', 'text')
    .addColumn('verdict_by', 'text')
    .addColumn('verdict_at', 'timestamptz')
    .addPrimaryKeyConstraint('eval_results_pk', ['run_id', 'suite', 'case_id'])
    .execute();

  // Cases taken from real conversations (a citizen's words, with the phone and ID numbers masked), measured
  // with the suite files as the suite `transcripts`.
  await db.schema
    .createTable('eval_cases')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('question', 'text', (c) => c.notNull().unique())
    .addColumn('expect', 'text', (c) => c.notNull())
    .addColumn('conversation_id', 'text')
    .addColumn('activity_id', 'text')
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('eval_cases').ifExists().execute();
  await db.schema.dropTable('eval_results').ifExists().execute();
  await db.schema.dropTable('eval_runs').ifExists().execute();
}
