import { diffChars } from 'diff';
import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import { audit, SYSTEM_ACTOR, type Actor } from '../core/audit.js';
import type { Database, KnowledgeRevisionsTable, RevisionStatus } from '../core/db/schema.js';
import { AppError } from '../core/errors.js';
import type { ArticleContent, ArticleRecord, ArticleStatus } from './article.js';
import { validateArticle } from './import/validate.js';
import type { VectorIndex } from './vector-index.js';
import {
  deleteChunks,
  isoDate,
  loadDemoRecords,
  recordOf,
  writeLive,
  writeUnpublished,
  type ChunkWriter,
} from './article-store.js';

export type { Actor } from '../core/audit.js';

/** Who may do what to the knowledge base. Reviewers approve; nobody approves their own submission. */
export const KNOWLEDGE_ROLES = {
  edit: ['editor', 'reviewer', 'admin'],
  review: ['reviewer', 'admin'],
  retire: ['editor', 'reviewer', 'admin'],
  read: ['agent', 'editor', 'reviewer', 'supervisor', 'admin'],
  /** Re-embed the whole base (costly with a paid endpoint; the embedder itself is deployment config). */
  reindex: ['admin'],
} as const satisfies Record<string, readonly string[]>;

export type KnowledgePermission = keyof typeof KNOWLEDGE_ROLES;

export function may(actor: Actor, permission: KnowledgePermission): boolean {
  return actor.roles.some((r) => (KNOWLEDGE_ROLES[permission] as readonly string[]).includes(r));
}

function assertMay(actor: Actor, permission: KnowledgePermission): void {
  if (!may(actor, permission))
    throw new AppError('E_FORBIDDEN', `${actor.name} may not ${permission} knowledge articles`, {
      required: KNOWLEDGE_ROLES[permission],
    });
}

export interface Revision {
  revision: number;
  status: RevisionStatus;
  content: ArticleContent;
  author: string;
  createdAt: Date;
  updatedAt: Date;
  submittedBy: string | null;
  submittedAt: Date | null;
  reviewedBy: string | null;
  reviewedAt: Date | null;
  reviewNote: string | null;
}

export interface ArticleSummary {
  id: string;
  category: string;
  title: string;
  question: string;
  department: string;
  region: string;
  status: ArticleStatus;
  /** The published revision's number; 0 when never published. */
  version: number;
  /** The open revision (draft or in review) waiting beside the published one, if any. */
  pending: { revision: number; status: 'draft' | 'in_review' } | null;
  effectiveFrom: string;
  expiresAt: string | null;
  updatedAt: Date;
  updatedBy: string | null;
}

export interface ArticleDetail {
  record: ArticleRecord;
  status: ArticleStatus;
  version: number;
  publishedAt: Date | null;
  /** The open revision, if any: what an editor is working on. */
  pending: Revision | null;
}

export interface ListFilter {
  status?: ArticleStatus | 'pending_review';
  category?: string;
  region?: string;
  /** Words in the title, question or variants. */
  q?: string;
  page?: number;
  pageSize?: number;
}

export interface FieldDiff {
  field: keyof ArticleContent;
  parts: { value: string; added?: boolean; removed?: boolean }[];
}

const OPEN: RevisionStatus[] = ['draft', 'in_review'];

/**
 * The editorial workflow. Every edit is a revision: draft -> in review -> published, with the published
 * revision answering citizens until the next one is approved (editing never takes an answer offline).
 * Only published, unexpired articles are searchable; retiring takes an article out of search at once.
 * Every action is checked against the actor's roles and written to the audit log in the same transaction.
 */
/** What a publish would break: the eval questions answered right before and wrong after. */
export interface PublishGate {
  check(
    record: ArticleRecord,
    revision: number,
  ): Promise<{ checked: number; regressions: { question: string; expected: string; before: string; after: string }[] }>;
}

export class KnowledgeEditorial {
  /**
   * @param onPublishedChange called after a change to what citizens can be answered from (publish,
   *   retire), so this instance's search index catches up at once rather than at its next check.
   */
  /**
   * Checked before a reviewed revision is published (evals/publish-gate.ts): it answers what the change
   * would break; anything makes the approval fail with those regressions, and nothing is published.
   */
  private gate?: PublishGate;

  useGate(gate: PublishGate): void {
    this.gate = gate;
  }

  constructor(
    private readonly db: Kysely<Database>,
    private readonly chunks: ChunkWriter,
    private readonly onPublishedChange: () => void = () => {},
  ) {}

  /** Saves each record as the article's open draft revision, creating the article when new. */
  async saveDrafts(actor: Actor, records: ArticleRecord[]): Promise<{ created: number; updated: number }> {
    assertMay(actor, 'edit');
    return this.db.transaction().execute(async (trx) => {
      let created = 0;
      for (const record of await this.validated(trx, records)) {
        if (await this.saveDraftIn(trx, actor, record)) created++;
      }
      return { created, updated: records.length - created };
    });
  }

  /** Saves one draft; with `baseRevision`, refuses when someone else saved a newer revision meanwhile. */
  async saveDraft(actor: Actor, record: ArticleRecord, baseRevision?: number): Promise<ArticleDetail> {
    assertMay(actor, 'edit');
    await this.db.transaction().execute(async (trx) => {
      if (baseRevision !== undefined) {
        const latest = await this.latestRevision(trx, record.id);
        if (latest !== baseRevision)
          throw new AppError('E_CONFLICT', `article ${record.id} changed meanwhile (revision ${latest})`, {
            revision: latest,
          });
      }
      const [valid] = await this.validated(trx, [record]);
      await this.saveDraftIn(trx, actor, valid!);
    });
    return this.get(record.id);
  }

  /** Returns true when the article was created. */
  private async saveDraftIn(trx: Transaction<Database>, actor: Actor, record: ArticleRecord): Promise<boolean> {
    const { id, ...content } = record;
    const article = await trx
      .selectFrom('knowledge_articles')
      .select(['status'])
      .where('id', '=', id)
      .forUpdate()
      .executeTakeFirst();
    const open = article ? await this.openRevision(trx, id) : undefined;
    if (article?.status === 'retired')
      throw new AppError('E_CONFLICT', `article ${id} is retired; create a new article instead`);
    if (open) {
      await trx
        .updateTable('knowledge_revisions')
        .set({
          content: JSON.stringify(content),
          status: 'draft',
          updated_at: sql`now()`,
          submitted_by: null,
          submitted_at: null,
        })
        .where('article_id', '=', id)
        .where('revision', '=', open.revision)
        .execute();
    } else {
      const next = article ? (await this.latestRevision(trx, id)) + 1 : 1;
      if (!article) await writeUnpublished(trx, record, 'draft', actor.name);
      await trx
        .insertInto('knowledge_revisions')
        .values({
          article_id: id,
          revision: next,
          status: 'draft',
          content: JSON.stringify(content),
          author: actor.name,
        })
        .execute();
    }
    // A never-published article shows its draft in lists; a published one keeps its live content.
    if (article && article.status !== 'published') await writeUnpublished(trx, record, 'draft', actor.name);
    await audit(trx, actor, {
      action: article ? 'knowledge.draft.save' : 'knowledge.article.create',
      targetType: 'knowledge_article',
      targetId: id,
      detail: { title: record.title },
    });
    return !article;
  }

  /** Draft -> in review. */
  async submit(actor: Actor, id: string): Promise<ArticleDetail> {
    assertMay(actor, 'edit');
    await this.db.transaction().execute(async (trx) => {
      const open = await this.openRevision(trx, id, true);
      if (open.status !== 'draft') throw new AppError('E_CONFLICT', `article ${id} is already in review`);
      await trx
        .updateTable('knowledge_revisions')
        .set({ status: 'in_review', submitted_by: actor.name, submitted_at: sql`now()`, review_note: null })
        .where('article_id', '=', id)
        .where('revision', '=', open.revision)
        .execute();
      await trx
        .updateTable('knowledge_articles')
        .set({ status: 'in_review' })
        .where('id', '=', id)
        .where('status', '=', 'draft')
        .execute();
      await audit(trx, actor, {
        action: 'knowledge.review.submit',
        targetType: 'knowledge_article',
        targetId: id,
        detail: { revision: open.revision },
      });
    });
    return this.get(id);
  }

  /**
   * In review -> published: the revision becomes the live content (searchable at once), the previous
   * published revision is superseded. The reviewer must not be the one who submitted or wrote it.
   */
  async approve(actor: Actor, id: string, note?: string): Promise<ArticleDetail> {
    assertMay(actor, 'review');
    if (this.gate) {
      const open = await this.openRevision(this.db, id, true);
      if (open.status === 'in_review') {
        const record = { id, ...(open.content as unknown as ArticleContent) };
        const verdict = await this.gate.check(record, open.revision);
        if (verdict.regressions.length) {
          await audit(this.db, actor, {
            action: 'knowledge.review.blocked',
            targetType: 'knowledge_article',
            targetId: id,
            detail: { revision: open.revision, regressions: verdict.regressions.length, checked: verdict.checked },
          });
          const shown = verdict.regressions
            .slice(0, 3)
            .map((r) => `“${r.question}”`)
            .join('、');
          throw new AppError(
            'E_CONFLICT',
            `Not published: ${verdict.regressions.length} of ${verdict.checked} eval questions answered right now would go wrong (${shown}).`,
            { regressions: verdict.regressions, checked: verdict.checked },
          );
        }
      }
    }
    await this.db.transaction().execute(async (trx) => {
      const open = await this.openRevision(trx, id, true);
      if (open.status !== 'in_review')
        throw new AppError('E_CONFLICT', `article ${id} has not been submitted for review`);
      if (open.submitted_by === actor.name || open.author === actor.name)
        throw new AppError('E_FORBIDDEN', 'a revision must be approved by someone other than its author or submitter');
      await this.publishIn(trx, actor, { id, ...(open.content as unknown as ArticleContent) }, open.revision, note);
      await audit(trx, actor, {
        action: 'knowledge.review.approve',
        targetType: 'knowledge_article',
        targetId: id,
        detail: { revision: open.revision, note: note ?? null },
      });
    });
    this.onPublishedChange();
    return this.get(id);
  }

  /** In review -> draft, with the reviewer's reason. */
  async reject(actor: Actor, id: string, note: string): Promise<ArticleDetail> {
    assertMay(actor, 'review');
    if (!note.trim()) throw new AppError('E_VALIDATION', 'a rejection needs a reason');
    await this.db.transaction().execute(async (trx) => {
      const open = await this.openRevision(trx, id, true);
      if (open.status !== 'in_review')
        throw new AppError('E_CONFLICT', `article ${id} has not been submitted for review`);
      await trx
        .updateTable('knowledge_revisions')
        .set({ status: 'draft', reviewed_by: actor.name, reviewed_at: sql`now()`, review_note: note })
        .where('article_id', '=', id)
        .where('revision', '=', open.revision)
        .execute();
      await trx
        .updateTable('knowledge_articles')
        .set({ status: 'draft' })
        .where('id', '=', id)
        .where('status', '=', 'in_review')
        .execute();
      await audit(trx, actor, {
        action: 'knowledge.review.reject',
        targetType: 'knowledge_article',
        targetId: id,
        detail: { revision: open.revision, note },
      });
    });
    return this.get(id);
  }

  /** Discards the open revision; the published content (if any) stays as it is. */
  async withdraw(actor: Actor, id: string): Promise<ArticleDetail> {
    assertMay(actor, 'edit');
    await this.db.transaction().execute(async (trx) => {
      const open = await this.openRevision(trx, id, true);
      await trx
        .updateTable('knowledge_revisions')
        .set({ status: 'withdrawn', updated_at: sql`now()` })
        .where('article_id', '=', id)
        .where('revision', '=', open.revision)
        .execute();
      await audit(trx, actor, {
        action: 'knowledge.draft.withdraw',
        targetType: 'knowledge_article',
        targetId: id,
        detail: { revision: open.revision },
      });
    });
    return this.get(id);
  }

  /** Takes an article out of service at once: never answered from again; its open revision is withdrawn. */
  async retire(actor: Actor, id: string, note?: string): Promise<ArticleDetail> {
    assertMay(actor, 'retire');
    await this.db.transaction().execute(async (trx) => {
      const updated = await trx
        .updateTable('knowledge_articles')
        .set({ status: 'retired', updated_by: actor.name, updated_at: sql`now()` })
        .where('id', '=', id)
        .where('status', '!=', 'retired')
        .executeTakeFirst();
      if (updated.numUpdatedRows === 0n) {
        await this.mustExist(trx, id);
        throw new AppError('E_CONFLICT', `article ${id} is already retired`);
      }
      await trx
        .updateTable('knowledge_revisions')
        .set({ status: 'withdrawn', updated_at: sql`now()` })
        .where('article_id', '=', id)
        .where('status', 'in', OPEN)
        .execute();
      await deleteChunks(trx, [id]);
      await audit(trx, actor, {
        action: 'knowledge.article.retire',
        targetType: 'knowledge_article',
        targetId: id,
        detail: { note: note ?? null },
      });
    });
    this.onPublishedChange();
    return this.get(id);
  }

  /**
   * Publishes records directly, without review: for loading content approved elsewhere (the demo set, an
   * administrator's import). Audited as such.
   */
  async publishRecords(actor: Actor, records: ArticleRecord[]): Promise<{ created: number; updated: number }> {
    if (!actor.roles.includes('admin'))
      throw new AppError('E_FORBIDDEN', 'only an administrator may publish without review');
    const result = await this.publishRecordsIn(actor, records);
    this.onPublishedChange();
    return result;
  }

  private publishRecordsIn(actor: Actor, records: ArticleRecord[]): Promise<{ created: number; updated: number }> {
    return this.db.transaction().execute(async (trx) => {
      let created = 0;
      const live: Parameters<typeof writeLive>[2] = [];
      for (const record of await this.validated(trx, records)) {
        const exists = await trx
          .selectFrom('knowledge_articles')
          .select('id')
          .where('id', '=', record.id)
          .forUpdate()
          .executeTakeFirst();
        if (!exists) created++;
        const open = exists ? await this.openRevision(trx, record.id) : undefined;
        const revision = open ? open.revision : exists ? (await this.latestRevision(trx, record.id)) + 1 : 1;
        const { id, ...content } = record;
        if (open) {
          await trx
            .updateTable('knowledge_revisions')
            .set({ content: JSON.stringify(content) })
            .where('article_id', '=', id)
            .where('revision', '=', revision)
            .execute();
        } else {
          // The revision row references the article: write the article (unpublished) first when new.
          if (!exists) await writeUnpublished(trx, record, 'draft', actor.name);
          await trx
            .insertInto('knowledge_revisions')
            .values({ article_id: id, revision, status: 'draft', content: JSON.stringify(content), author: actor.name })
            .execute();
        }
        await this.markPublished(trx, actor, record.id, revision);
        live.push({ record, version: revision, actor: actor.name });
      }
      // Embedding and chunk writes for the whole batch at once: the expensive part, done set-wise.
      await writeLive(trx, this.chunks, live);
      await audit(
        trx,
        actor,
        records.map((r) => ({
          action: 'knowledge.publish.direct',
          targetType: 'knowledge_article',
          targetId: r.id,
          detail: { title: r.title },
        })),
      );
      return { created, updated: records.length - created };
    });
  }

  private async publishIn(
    trx: Transaction<Database>,
    actor: Actor,
    record: ArticleRecord,
    revision: number,
    note?: string,
  ): Promise<void> {
    await this.markPublished(trx, actor, record.id, revision, note);
    await writeLive(trx, this.chunks, [{ record, version: revision, actor: actor.name }]);
  }

  /** The revision becomes the published one; the one published before is superseded. */
  private async markPublished(
    trx: Transaction<Database>,
    actor: Actor,
    id: string,
    revision: number,
    note?: string,
  ): Promise<void> {
    await trx
      .updateTable('knowledge_revisions')
      .set({ status: 'superseded' })
      .where('article_id', '=', id)
      .where('status', '=', 'published')
      .execute();
    await trx
      .updateTable('knowledge_revisions')
      .set({ status: 'published', reviewed_by: actor.name, reviewed_at: sql`now()`, review_note: note ?? null })
      .where('article_id', '=', id)
      .where('revision', '=', revision)
      .execute();
  }

  async exists(id: string): Promise<boolean> {
    return !!(await this.db.selectFrom('knowledge_articles').select('id').where('id', '=', id).executeTakeFirst());
  }

  async get(id: string): Promise<ArticleDetail> {
    const row = await this.db.selectFrom('knowledge_articles').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new AppError('E_NOT_FOUND', `no article ${id}`);
    const open = await this.openRevision(this.db, id);
    return {
      record: recordOf(row),
      status: row.status,
      version: row.version,
      publishedAt: row.published_at,
      pending: open ? revisionOf(open) : null,
    };
  }

  /** A page of articles, newest change first. */
  async list(
    filter: ListFilter = {},
  ): Promise<{ items: ArticleSummary[]; total: number; page: number; pageSize: number }> {
    const page = Math.max(1, filter.page ?? 1);
    const pageSize = Math.min(Math.max(1, filter.pageSize ?? 20), 200);
    let query = this.db
      .selectFrom('knowledge_articles as a')
      .leftJoin('knowledge_revisions as r', (join) =>
        join.onRef('r.article_id', '=', 'a.id').on('r.status', 'in', OPEN),
      );
    if (filter.status === 'pending_review') query = query.where('r.status', '=', 'in_review');
    else if (filter.status) query = query.where('a.status', '=', filter.status);
    if (filter.category) query = query.where('a.category', '=', filter.category);
    if (filter.region) query = query.where('a.region', '=', filter.region);
    if (filter.q?.trim()) {
      const like = `%${filter.q.trim().replace(/[\\%_]/g, (c) => '\\' + c)}%`;
      query = query.where((eb) =>
        eb.or([
          eb('a.title', 'ilike', like),
          eb('a.question', 'ilike', like),
          eb(sql`a.variants::text`, 'ilike', like),
          eb('a.id', 'ilike', like),
        ]),
      );
    }
    const { total } = await query.select((eb) => eb.fn.countAll<string>().as('total')).executeTakeFirstOrThrow();
    const rows = await query
      .select([
        'a.id',
        'a.category',
        'a.title',
        'a.question',
        'a.department',
        'a.region',
        'a.status',
        'a.version',
        'a.effective_from',
        'a.expires_at',
        'a.updated_at',
        'a.updated_by',
        'r.revision as pending_revision',
        'r.status as pending_status',
      ])
      .orderBy('a.updated_at', 'desc')
      .orderBy('a.id')
      .limit(pageSize)
      .offset((page - 1) * pageSize)
      .execute();
    return {
      items: rows.map((r) => {
        return {
          id: r.id,
          category: r.category,
          title: r.title,
          question: r.question,
          department: r.department,
          region: r.region,
          status: r.status,
          version: r.version,
          pending:
            r.pending_revision === null
              ? null
              : { revision: r.pending_revision, status: r.pending_status as 'draft' | 'in_review' },
          effectiveFrom: isoDate(r.effective_from)!,
          expiresAt: isoDate(r.expires_at),
          updatedAt: r.updated_at,
          updatedBy: r.updated_by,
        };
      }),
      total: Number(total),
      page,
      pageSize,
    };
  }

  /**
   * Every article's content (for export): the published articles as they answer citizens, or (`all`) every
   * article with its latest content: the open draft where there is one.
   */
  async listRecords(filter: { status?: 'published' | 'all' } = {}): Promise<ArticleRecord[]> {
    let query = this.db
      .selectFrom('knowledge_articles as a')
      .leftJoin('knowledge_revisions as r', (join) =>
        join.onRef('r.article_id', '=', 'a.id').on('r.status', 'in', OPEN),
      )
      .selectAll('a')
      .select('r.content as pending_content')
      .orderBy('a.category')
      .orderBy('a.id');
    if (filter.status !== 'all') query = query.where('a.status', '=', 'published');
    return (await query.execute()).map((row) => {
      const live = recordOf(row);
      return filter.status === 'all' && row.pending_content
        ? { ...(row.pending_content as unknown as ArticleContent), id: live.id }
        : live;
    });
  }

  /** Every revision of an article, newest first. */
  async history(id: string): Promise<Revision[]> {
    await this.mustExist(this.db, id);
    const rows = await this.db
      .selectFrom('knowledge_revisions')
      .selectAll()
      .where('article_id', '=', id)
      .orderBy('revision', 'desc')
      .execute();
    return rows.map(revisionOf);
  }

  /** What changed between two revisions, field by field (character diff: Chinese has no spaces to split on). */
  async diff(id: string, from: number, to: number): Promise<FieldDiff[]> {
    const rows = await this.db
      .selectFrom('knowledge_revisions')
      .select(['revision', 'content'])
      .where('article_id', '=', id)
      .where('revision', 'in', [from, to])
      .execute();
    const a = rows.find((r) => r.revision === from);
    const b = rows.find((r) => r.revision === to);
    if (!a || !b) throw new AppError('E_NOT_FOUND', `article ${id} has no revision ${!a ? from : to}`);
    const fields = Object.keys({ ...a.content, ...b.content }) as (keyof ArticleContent)[];
    return fields
      .map((field) => ({ field, parts: diffChars(show(a.content[field]), show(b.content[field])) }))
      .filter((d) => d.parts.some((p) => p.added || p.removed))
      .map(({ field, parts }) => ({
        field,
        parts: parts.map((p) => ({
          value: p.value,
          ...(p.added ? { added: true } : {}),
          ...(p.removed ? { removed: true } : {}),
        })),
      }));
  }

  private async openRevision(
    db: Kysely<Database> | Transaction<Database>,
    id: string,
    required: true,
  ): Promise<Selectable<KnowledgeRevisionsTable>>;
  private async openRevision(
    db: Kysely<Database> | Transaction<Database>,
    id: string,
    required?: false,
  ): Promise<Selectable<KnowledgeRevisionsTable> | undefined>;
  private async openRevision(db: Kysely<Database> | Transaction<Database>, id: string, required = false) {
    const row = await db
      .selectFrom('knowledge_revisions')
      .selectAll()
      .where('article_id', '=', id)
      .where('status', 'in', OPEN)
      .executeTakeFirst();
    if (!row && required) {
      await this.mustExist(db, id);
      throw new AppError('E_CONFLICT', `article ${id} has no open draft`);
    }
    return row;
  }

  private async latestRevision(db: Kysely<Database> | Transaction<Database>, id: string): Promise<number> {
    const row = await db
      .selectFrom('knowledge_revisions')
      .select((eb) => eb.fn.max('revision').as('latest'))
      .where('article_id', '=', id)
      .executeTakeFirst();
    return Number(row?.latest ?? 0);
  }

  /**
   * Every way in (API, import, direct publish) passes the importer's rules: required fields, real dates in
   * order, known category, lengths; records come back normalised. One category lookup per call.
   */
  private async validated(
    db: Kysely<Database> | Transaction<Database>,
    records: ArticleRecord[],
  ): Promise<ArticleRecord[]> {
    const categories = new Set(
      (await db.selectFrom('knowledge_categories').select('code').execute()).map((r) => r.code),
    );
    return records.map((record) => {
      const result = validateArticle(record as unknown as Record<string, unknown>, { categories });
      if (!result.ok)
        throw new AppError('E_VALIDATION', `article ${record.id}: ${result.errors.join('; ')}`, {
          id: record.id,
          errors: result.errors,
        });
      return result.record;
    });
  }

  /** The categories articles file under, in display order. */
  async categories(): Promise<{ code: string; name: string }[]> {
    return this.db
      .selectFrom('knowledge_categories')
      .select(['code', 'name'])
      .orderBy('sort')
      .orderBy('code')
      .execute();
  }

  private async mustExist(db: Kysely<Database> | Transaction<Database>, id: string): Promise<void> {
    const row = await db.selectFrom('knowledge_articles').select('id').where('id', '=', id).executeTakeFirst();
    if (!row) throw new AppError('E_NOT_FOUND', `no article ${id}`);
  }
}

function revisionOf(row: Selectable<KnowledgeRevisionsTable>): Revision {
  return {
    revision: row.revision,
    status: row.status,
    content: row.content as unknown as ArticleContent,
    author: row.author,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    submittedBy: row.submitted_by,
    submittedAt: row.submitted_at,
    reviewedBy: row.reviewed_by,
    reviewedAt: row.reviewed_at,
    reviewNote: row.review_note,
  };
}

function show(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return value.join('\n');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** Loads the demo articles into an empty knowledge base (first start of the embedded default). */
export async function seedDemoArticles(db: Kysely<Database>, index: VectorIndex): Promise<number> {
  const records = await loadDemoRecords();
  return db.transaction().execute(async (trx) => {
    // Several instances may start at once on one database: only one seeds.
    await sql`select pg_advisory_xact_lock(hashtext('minsheng.seed.knowledge_articles'))`.execute(trx);
    if (await trx.selectFrom('knowledge_articles').select('id').limit(1).executeTakeFirst()) return 0;
    // The table is empty and locked by this transaction meanwhile.
    await index.bulkLoad(trx, () =>
      writeLive(
        trx,
        index,
        records.map((record) => ({ record, version: 1, actor: SYSTEM_ACTOR.name })),
      ),
    );
    await trx
      .insertInto('knowledge_revisions')
      .values(
        records.map(({ id, ...content }) => ({
          article_id: id,
          revision: 1,
          status: 'published' as const,
          content: JSON.stringify(content),
          author: SYSTEM_ACTOR.name,
          reviewed_by: SYSTEM_ACTOR.name,
          reviewed_at: sql<Date>`now()`,
        })),
      )
      .execute();
    await audit(trx, SYSTEM_ACTOR, {
      action: 'knowledge.seed.demo',
      targetType: 'knowledge_base',
      targetId: 'demo',
      detail: { articles: records.length },
    });
    return records.length;
  });
}
