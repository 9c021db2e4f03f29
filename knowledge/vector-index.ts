import { createHash } from 'node:crypto';
import { sql, type Kysely, type RawBuilder, type Transaction } from 'kysely';
import type { Database } from '../core/db/schema.js';
import type { JobQueue } from '../core/queue/job-queue.js';
import { AppError } from '../core/errors.js';
import { phrasingsOf, type Phrasing } from './article.js';
import { recordOf } from './article-store.js';
import { readJsonSetting, writeJsonSetting } from '../core/settings.js';
import { searchTokens } from './embedders/text-features.js';
import { BuiltinEmbedder } from './embedders/builtin-embedder.js';
import type { KnowledgeEmbedder } from './embedders/embedder.js';

/** Whose vectors are searched: the embedder every published phrasing has a vector of. */
export interface ActiveIndex {
  embedder: string;
  dimensions: number;
}

/** A re-embedding's progress, kept in `settings` so every instance (and the console) can show it. */
export interface ReembedStatus {
  target: string;
  dimensions: number;
  state: 'running' | 'switched' | 'failed';
  /** Phrasings of the published articles when the run started. */
  total: number;
  /** Of those, how many have the target's vector. */
  done: number;
  startedAt: string;
  finishedAt: string | null;
  error: string | null;
}

export interface FusionWeights {
  lexical: number;
  vector: number;
}

/**
 * With the built-in embedder the vector ranking carries the same lexical signal as BM25, only hashed and
 * blurred: on retrieval-zh, BM25 alone ranks hit@1 0.88; fusing the vector list at a quarter weight gives
 * 0.85, at a tenth (a tie-breaker) 0.88. A model embedder (bge-m3 and the like) brings meaning BM25 lacks
 * and gets full weight.
 */
export const FUSION_FOR_BUILTIN: FusionWeights = { lexical: 1, vector: 0.1 };
export const FUSION_FOR_MODEL: FusionWeights = { lexical: 1, vector: 1 };

const ACTIVE_SETTING = 'knowledge.vector_index';
const REEMBED_SETTING = 'knowledge.reembed';
/** The queue re-embedding jobs go through (one job per target embedder at a time). */
export const REEMBED_QUEUE = 'knowledge-reembed';
/**
 * Queues the re-embedding to the configured embedder (once: a job already waiting or running is not
 * doubled). A run over a large base through a remote endpoint takes long; a retry resumes where it stopped.
 * Returns false when one was already queued.
 */
export async function queueReembed(queue: JobQueue, index: VectorIndex): Promise<boolean> {
  const id = await queue.send(
    REEMBED_QUEUE,
    { target: index.configured.id },
    { dedupeKey: index.configured.id, attempts: 3, backoffMs: 30_000, maxRunMs: 6 * 3600_000 },
  );
  return id !== null;
}

/** Writers of vectors share it; the switch to another embedder takes it alone. */
const LOCK = sql`hashtext('minsheng.knowledge.vector_index')`;
/** Articles whose phrasings are embedded and written per step of a re-embedding (one progress update each). */
const REEMBED_BATCH = 64;
const EMBEDDER_ID = /^[\w.:@/+-]{1,200}$/;

/**
 * The knowledge base's vector index and the one embedder it is built with.
 *
 * Vectors of several embedders can sit in `knowledge_chunks` at once, each marked with its embedder's id
 * and served by its own HNSW index (partial on that id). Searches and the confidence only ever use the
 * active embedder's. Changing the configured embedder starts a re-embedding (`reembed`, a queued job):
 * it writes the new embedder's vectors beside the active ones, with progress, and then in one transaction
 * fills in what changed meanwhile, deletes the old vectors and makes the new embedder the active one. A
 * search sees either the whole old index or the whole new one, never half of each.
 */
export class VectorIndex {
  private builtin: BuiltinEmbedder | undefined;

  private constructor(
    private readonly db: Kysely<Database>,
    /** The embedder this process is configured with (the index is re-embedded to it when it differs). */
    readonly configured: KnowledgeEmbedder,
    private active: ActiveIndex,
  ) {}

  /**
   * Reads which embedder the index is built with: on first use, the one of the vectors already stored
   * (a base written before this setting existed) or else the configured one. Builds its HNSW index when
   * missing.
   */
  static async open(db: Kysely<Database>, configured: KnowledgeEmbedder): Promise<VectorIndex> {
    assertEmbedderId(configured.id);
    const stored = await db
      .selectFrom('knowledge_chunks')
      .select(['embedder', sql<number>`vector_dims(embedding)`.as('dimensions')])
      .limit(1)
      .executeTakeFirst();
    const initial: ActiveIndex = stored ?? { embedder: configured.id, dimensions: configured.dimensions };
    await db
      .insertInto('settings')
      .values({ key: ACTIVE_SETTING, value: JSON.stringify(initial) })
      .onConflict((oc) => oc.column('key').doNothing())
      .execute();
    const index = new VectorIndex(db, configured, (await readJsonSetting<ActiveIndex>(db, ACTIVE_SETTING))!);
    await db.transaction().execute(async (trx) => {
      await sql`select pg_advisory_xact_lock(${LOCK})`.execute(trx);
      await createHnsw(trx, index.active);
    });
    return index;
  }

  get activeEmbedder(): string {
    return this.active.embedder;
  }

  get dimensions(): number {
    return this.active.dimensions;
  }

  /** True while the index is not (yet) the configured embedder's: a re-embedding is due. */
  get pending(): boolean {
    return this.configured.id !== this.active.embedder;
  }

  get fusion(): FusionWeights {
    return this.active.embedder.startsWith('builtin-') ? FUSION_FOR_BUILTIN : FUSION_FOR_MODEL;
  }

  /**
   * The embedder that can embed a query against the active vectors: the configured one, or the built-in
   * one while the index is still the built-in embedder's and the configured model's is being built.
   * Undefined when this process has neither (search is then lexical only, and confident of nothing).
   */
  queryEmbedder(): KnowledgeEmbedder | undefined {
    return this.embedderFor(this.active.embedder);
  }

  /** Re-reads the active embedder (another instance may have switched it); true when it changed. */
  async reload(): Promise<boolean> {
    const active = await readJsonSetting<ActiveIndex>(this.db, ACTIVE_SETTING);
    if (active === undefined || active.embedder === this.active.embedder) return false;
    this.active = active;
    return true;
  }

  /** The re-embedding in progress or last finished, if any. */
  status(): Promise<ReembedStatus | undefined> {
    return readJsonSetting<ReembedStatus>(this.db, REEMBED_SETTING);
  }

  /**
   * Writes the phrasings' vectors in the caller's transaction, for every embedder the index needs now: the
   * active one, and the one a re-embedding is building (so what is published meanwhile is not missed).
   * Refuses when this process cannot embed for the active index (it was switched to an embedder this
   * instance is not configured with): restarting it with the new configuration fixes that.
   */
  async writeChunks(trx: Transaction<Database>, phrasings: Phrasing[]): Promise<void> {
    if (phrasings.length === 0) return;
    await sql`select pg_advisory_xact_lock_shared(${LOCK})`.execute(trx);
    const active = (await readJsonSetting<ActiveIndex>(trx, ACTIVE_SETTING)) ?? this.active;
    const running = await readJsonSetting<ReembedStatus>(trx, REEMBED_SETTING);
    const needed = new Set([active.embedder]);
    if (this.pending) needed.add(this.configured.id);
    if (running?.state === 'running') needed.add(running.target);
    const writers = [...needed].flatMap((id) => this.embedderFor(id) ?? []);
    if (writers.length === 0) {
      throw new AppError(
        'E_UNAVAILABLE',
        `the knowledge index is now built with ${active.embedder}; this instance embeds with ${this.configured.id}: restart it with the current embedder settings`,
      );
    }
    for (const writer of writers) await insertChunks(trx, writer, phrasings);
  }

  private embedderFor(id: string): KnowledgeEmbedder | undefined {
    if (id === this.configured.id) return this.configured;
    this.builtin ??= new BuiltinEmbedder();
    return id === this.builtin.id ? this.builtin : undefined;
  }

  /**
   * Re-embeds every published phrasing with the configured embedder and switches the index to it.
   * Resumable: vectors a failed run wrote are kept and not embedded again. Progress goes to `settings`
   * after every batch and to `onProgress`. Returns the final status (`switched`), or undefined when the
   * index already is the configured embedder's.
   */
  async reembed(
    onProgress: (status: ReembedStatus) => void | Promise<void> = () => {},
  ): Promise<ReembedStatus | undefined> {
    await this.reload();
    if (!this.pending) return undefined;
    const target = this.configured;
    assertIndexable(target.dimensions);
    const published = await loadPublished(this.db);
    const status: ReembedStatus = {
      target: target.id,
      dimensions: target.dimensions,
      state: 'running',
      total: published.flat().length,
      done: 0,
      startedAt: new Date().toISOString(),
      finishedAt: null,
      error: null,
    };
    const report = async () => {
      await writeJsonSetting(this.db, REEMBED_SETTING, status);
      await onProgress({ ...status });
    };
    await report();
    try {
      for (let i = 0; i < published.length; i += REEMBED_BATCH) {
        const batch = published.slice(i, i + REEMBED_BATCH);
        await this.db.transaction().execute(async (trx) => {
          await sql`select pg_advisory_xact_lock_shared(${LOCK})`.execute(trx);
          await syncTarget(trx, target, batch);
        });
        status.done += batch.flat().length;
        await report();
      }
      const active = { embedder: target.id, dimensions: target.dimensions };
      await this.db.transaction().execute(async (trx) => {
        await sql`select pg_advisory_xact_lock(${LOCK})`.execute(trx);
        await createHnsw(trx, active);
      });
      // The switch: what was published, changed or retired since the start is caught up under the lock
      // publishers share, so nothing slips between the last check and the switch.
      await this.db.transaction().execute(async (trx) => {
        await sql`select pg_advisory_xact_lock(${LOCK})`.execute(trx);
        const now = await loadPublished(trx);
        await syncTarget(trx, target, now);
        await trx
          .deleteFrom('knowledge_chunks')
          .where((eb) =>
            eb.or([
              eb('embedder', '<>', target.id),
              eb.not(
                eb.exists(
                  eb
                    .selectFrom('knowledge_articles as a')
                    .select('a.id')
                    .whereRef('a.id', '=', 'knowledge_chunks.article_id')
                    .where('a.status', '=', 'published'),
                ),
              ),
            ]),
          )
          .execute();
        await dropHnswExcept(trx, active);
        await writeJsonSetting(trx, ACTIVE_SETTING, active);
        status.total = status.done = now.flat().length;
      });
      this.active = active;
      status.state = 'switched';
    } catch (error) {
      status.state = 'failed';
      status.error = error instanceof Error ? error.message : String(error);
      throw error;
    } finally {
      status.finishedAt = new Date().toISOString();
      await report();
    }
    return status;
  }

  /**
   * Runs `load` (a bulk load of many vectors) with the active HNSW index dropped and builds it once
   * afterwards, several times faster than inserting into it one vector at a time. In a transaction (the
   * caller's), searches wait for the index; outside one they run without it meanwhile (benchmarks).
   */
  async bulkLoad(db: Kysely<Database>, load: () => Promise<void>): Promise<void> {
    await sql`drop index if exists ${sql.id(hnswName(this.active.embedder))}`.execute(db);
    await load();
    await createHnsw(db, this.active);
  }

  /** `embedding` cast to the active length: the expression the active HNSW index is built on. */
  embeddingExpression(column = 'embedding'): RawBuilder<unknown> {
    return sql`(${sql.ref(column)}::vector(${sql.raw(String(this.active.dimensions))}))`;
  }

  /** The active embedder's id as an SQL literal (a parameter would hide it from the partial index). */
  embedderLiteral(): RawBuilder<unknown> {
    return sql.lit(this.active.embedder);
  }
}

function assertEmbedderId(id: string): void {
  if (!EMBEDDER_ID.test(id)) throw new Error(`embedder id ${JSON.stringify(id)} is not a plain name`);
}

/** Every published article's phrasings, by article id. */
async function loadPublished(db: Kysely<Database>): Promise<Phrasing[][]> {
  const rows = await db
    .selectFrom('knowledge_articles')
    .selectAll()
    .where('status', '=', 'published')
    .orderBy('id')
    .execute();
  return rows.map((row) => phrasingsOf(recordOf(row)));
}

/**
 * Makes the target embedder's vectors of these articles exactly their phrasings: embeds the missing ones
 * and deletes those of phrasings the articles no longer have.
 */
async function syncTarget(trx: Transaction<Database>, target: KnowledgeEmbedder, articles: Phrasing[][]) {
  const ids = articles.map((a) => a[0]!.articleId);
  const key = (p: { article_id: string; kind: string; text: string }) =>
    `${p.article_id}\u0000${p.kind}\u0000${p.text}`;
  const have = new Map<string, number>();
  for (let i = 0; i < ids.length; i += 1000) {
    const rows = await trx
      .selectFrom('knowledge_chunks')
      .select(['id', 'article_id', 'kind', 'text'])
      .where('embedder', '=', target.id)
      .where('article_id', 'in', ids.slice(i, i + 1000))
      .execute();
    for (const row of rows) have.set(key(row), row.id);
  }
  const missing: Phrasing[] = [];
  for (const phrasing of articles.flat()) {
    const k = key({ article_id: phrasing.articleId, kind: phrasing.kind, text: phrasing.text });
    if (have.has(k)) have.delete(k);
    else missing.push(phrasing);
  }
  const stale = [...have.values()];
  for (let i = 0; i < stale.length; i += 1000) {
    await trx
      .deleteFrom('knowledge_chunks')
      .where('id', 'in', stale.slice(i, i + 1000))
      .execute();
  }
  await insertChunks(trx, target, missing);
}

async function insertChunks(trx: Transaction<Database>, embedder: KnowledgeEmbedder, phrasings: Phrasing[]) {
  if (phrasings.length === 0) return;
  const vectors = await embedder.embedDocuments(phrasings.map((p) => p.text));
  for (let i = 0; i < phrasings.length; i += 500) {
    await trx
      .insertInto('knowledge_chunks')
      .values(
        phrasings.slice(i, i + 500).map((p, j) => ({
          article_id: p.articleId,
          kind: p.kind,
          text: p.text,
          tokens: sql<string>`to_tsvector('simple', ${searchTokens(p.text).join(' ')})`,
          embedding: JSON.stringify(vectors[i + j]),
          embedder: embedder.id,
        })),
      )
      .execute();
  }
}

/** The HNSW index of one embedder's vectors; a name from its id (ids are longer than names may be). */
const hnswName = (embedder: string) =>
  `knowledge_chunks_hnsw_${createHash('sha256').update(embedder).digest('hex').slice(0, 16)}`;

/** pgvector's HNSW indexes vectors of up to 2,000 dimensions. */
function assertIndexable(dimensions: number): void {
  if (!Number.isInteger(dimensions) || dimensions < 1 || dimensions > 2000) {
    throw new Error(
      `cannot index ${dimensions}-dimension vectors with HNSW (at most 2000): ask the embedder for fewer dimensions`,
    );
  }
}

async function createHnsw(trx: Kysely<Database>, active: ActiveIndex): Promise<void> {
  assertIndexable(active.dimensions);
  await sql`create index if not exists ${sql.id(hnswName(active.embedder))} on knowledge_chunks
            using hnsw ((embedding::vector(${sql.raw(String(active.dimensions))})) vector_cosine_ops)
            where embedder = ${sql.lit(active.embedder)}`.execute(trx);
}

async function dropHnswExcept(trx: Transaction<Database>, active: ActiveIndex): Promise<void> {
  const { rows } = await sql<{ indexname: string }>`
    select indexname from pg_indexes
    where tablename = 'knowledge_chunks' and indexname like 'knowledge_chunks_hnsw_%'`.execute(trx);
  for (const { indexname } of rows) {
    if (indexname !== hnswName(active.embedder)) await sql`drop index ${sql.id(indexname)}`.execute(trx);
  }
}
