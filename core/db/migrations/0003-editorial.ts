import { sql, type Kysely } from 'kysely';

/** The knowledge base's categories at first start: the domains a 12345 hotline's articles fall into. */
const CATEGORIES: [code: string, name: string][] = [
  ['social-insurance', '社会保险'],
  ['housing-fund', '住房公积金'],
  ['household-registration', '户籍管理'],
  ['medical-insurance', '医疗保险'],
  ['education-enrollment', '教育入学'],
  ['real-estate-registration', '不动产登记'],
  ['utilities', '水电气暖'],
  ['transport', '交通出行'],
  ['market-regulation', '市场监管与消费维权'],
  ['labour', '劳动关系与欠薪'],
  ['environment', '生态环境与噪声'],
  ['urban-management', '城市管理'],
  ['civil-affairs', '养老与民政'],
  ['tax', '税务'],
  ['business-registration', '企业开办与登记'],
];

/**
 * Editorial workflow and staff identity: categories, article revisions (every edit is a new revision that
 * goes draft -> in review -> published while the published one keeps answering), staff accounts with roles,
 * their sessions, and an append-only audit log. Valid on PostgreSQL 15 and PGlite.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('knowledge_categories')
    .addColumn('code', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('sort', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db
    .insertInto('knowledge_categories' as never)
    .values(CATEGORIES.map(([code, name], sort) => ({ code, name, sort })) as never)
    .execute();

  await sql`alter table knowledge_articles rename column domain to category`.execute(db);
  await sql`alter table knowledge_articles add constraint knowledge_articles_category_fk
            foreign key (category) references knowledge_categories (code)`.execute(db);
  await sql`alter table knowledge_articles add column published_at timestamptz`.execute(db);
  await sql`alter table knowledge_articles add column updated_by text`.execute(db);
  await sql`update knowledge_articles set published_at = updated_at where status = 'published'`.execute(db);
  await sql`create index knowledge_articles_category_idx on knowledge_articles (category, status)`.execute(db);

  // Every edit of an article is a revision. The article row carries the live (published) content; an open
  // revision (draft or in review) waits beside it, so editing never takes an answer offline.
  await db.schema
    .createTable('knowledge_revisions')
    .addColumn('article_id', 'text', (c) => c.notNull().references('knowledge_articles.id').onDelete('cascade'))
    .addColumn('revision', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) =>
      c.notNull().check(sql`status in ('draft', 'in_review', 'published', 'superseded', 'withdrawn')`),
    )
    .addColumn('content', 'jsonb', (c) => c.notNull())
    .addColumn('author', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('submitted_by', 'text')
    .addColumn('submitted_at', 'timestamptz')
    .addColumn('reviewed_by', 'text')
    .addColumn('reviewed_at', 'timestamptz')
    .addColumn('review_note', 'text')
    .addPrimaryKeyConstraint('knowledge_revisions_pk', ['article_id', 'revision'])
    .execute();
  // At most one open revision per article: two editors cannot fork an answer.
  await sql`create unique index knowledge_revisions_open_idx on knowledge_revisions (article_id)
            where status in ('draft', 'in_review')`.execute(db);
  await sql`create index knowledge_revisions_review_idx on knowledge_revisions (status, submitted_at)
            where status = 'in_review'`.execute(db);
  // The articles already there (demo seed) become revision 1, published by the system.
  await sql`insert into knowledge_revisions (article_id, revision, status, content, author, reviewed_by, reviewed_at)
            select id, 1, case when status = 'published' then 'published' else 'draft' end,
                   jsonb_build_object('title', title, 'question', question, 'variants', variants,
                     'answerShort', answer_short, 'answerFull', answer_full, 'department', department,
                     'tags', tags, 'region', region, 'category', category,
                     'effectiveFrom', to_char(effective_from, 'YYYY-MM-DD'),
                     'expiresAt', to_char(expires_at, 'YYYY-MM-DD'), 'source', source),
                   'system', 'system', now()
            from knowledge_articles`.execute(db);
  await sql`update knowledge_articles set version = 1`.execute(db);

  await db.schema
    .createTable('staff_accounts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('username', 'text', (c) => c.notNull().unique())
    .addColumn('display_name', 'text', (c) => c.notNull())
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('roles', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('disabled', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  // Only a hash of the session token is stored: a copy of the table lets no one in.
  await db.schema
    .createTable('staff_sessions')
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull().references('staff_accounts.id').onDelete('cascade'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await sql`create index staff_sessions_account_idx on staff_sessions (account_id)`.execute(db);

  // Append-only: the API has no route that updates or deletes a row.
  await db.schema
    .createTable('audit_log')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('target_type', 'text', (c) => c.notNull())
    .addColumn('target_id', 'text', (c) => c.notNull())
    .addColumn('detail', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .execute();
  await sql`create index audit_log_target_idx on audit_log (target_type, target_id, at)`.execute(db);
  await sql`create index audit_log_actor_idx on audit_log (actor, at)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['audit_log', 'staff_sessions', 'staff_accounts', 'knowledge_revisions']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
  await sql`alter table knowledge_articles drop constraint knowledge_articles_category_fk`.execute(db);
  await sql`alter table knowledge_articles drop column published_at`.execute(db);
  await sql`alter table knowledge_articles drop column updated_by`.execute(db);
  await sql`alter table knowledge_articles rename column category to domain`.execute(db);
  await db.schema.dropTable('knowledge_categories').ifExists().execute();
}
