import { sql, type Kysely } from 'kysely';
import type { Database } from '../core/db/schema.js';
import { confidence, type ConfidenceFeatures } from './confidence.js';
import { searchTokens } from './embedders/text-features.js';
import { LexicalIndex } from './lexical-index.js';
import type { SynonymDictionary } from './synonyms.js';
import type { FusionWeights, VectorIndex } from './vector-index.js';

export interface KnowledgeHit {
  articleId: string;
  title: string;
  question: string;
  answerShort: string;
  answerFull: string;
  department: string;
  source: { title: string; url: string | null } | null;
  /** Weighted reciprocal-rank fusion of the lexical and vector rankings. */
  score: number;
  /** Best cosine similarity of the query with any phrasing of the article (0 when not embedded). */
  similarity: number;
  /** Calibrated probability that this article answers the question (knowledge/confidence.ts). */
  confidence: number;
  /** What the confidence was computed from. */
  signals: ConfidenceFeatures;
  /** The article's place in each ranking (1 = first), null when it was not among the candidates. */
  ranks: { lexical: number | null; vector: number | null };
  /** The phrasing that matched best (for the agent desk and the editors' "try a question" panel). */
  matched: { kind: string; text: string };
  /** The query's telling words found in the matched phrasing or the standard question. */
  highlights: string[];
}

export interface SearchOptions {
  limit?: number;
  /** The citizen's district: articles for it or for the whole city. */
  region?: string;
  /** "Today" for effective/expiry dates; tests pass a fixed day. */
  today?: string;
}

/** RRF's k: dampens the head of each ranking so neither list alone decides (Cormack et al., 2009). */
const RRF_K = 10;
/** Candidates each ranking contributes (HNSW's default ef_search is 40). */
const CANDIDATES = 20;
/**
 * Effective and expiry dates are the city's calendar days: in China, not UTC (which is still on yesterday
 * until 08:00). en-CA formats as YYYY-MM-DD.
 */
const CITY_DAY = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' });

/** The leading articles whose similarity is computed: the hits and the rivals their confidence weighs. */
const RIVALS = 10;
/** How often an instance checks whether another one changed the published articles. */
const REFRESH_CHECK_MS = 15_000;

interface CandidateRow {
  article_id: string;
  /** Rank of the article's best phrasing among the nearest phrasings; null when not among them. */
  vector_rank: number | null;
  /** Best cosine similarity with any phrasing, computed in the database (vectors never travel back). */
  similarity: number | null;
  /** The best similarity among the other candidates. */
  rival_similarity: number | null;
  score: number;
  kind: string | null;
  text: string | null;
  title: string;
  question: string;
  answer_short: string;
  answer_full: string;
  department: string;
  source: { title: string; url: string | null } | null;
}

/**
 * Hybrid search over published, effective articles: BM25 over the articles' phrasings (in memory, with
 * the knowledge base's own word statistics) and nearest phrasings by vector (pgvector HNSW), fused per
 * article by weighted reciprocal rank. The query is expanded with synonyms first. The database decides
 * what is visible, on every query: retired, draft, expired and other districts' articles are never
 * returned, even before the in-memory index has caught up with a change.
 */
export class KnowledgeSearch {
  private lexical = new LexicalIndex();
  private indexed: string | undefined;
  private refreshing: Promise<void> | undefined;
  private queued: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly index: VectorIndex,
    private synonyms: SynonymDictionary,
    /** Weights of the two rankings; by default the index's (knowledge/vector-index.ts). */
    private readonly fusionWeights?: FusionWeights,
  ) {}

  /** Builds the lexical index, then keeps it current (checks every 15 s; `refresh()` after own changes). */
  async start(): Promise<this> {
    await this.refresh();
    this.timer = setInterval(() => void this.refresh().catch(() => undefined), REFRESH_CHECK_MS).unref();
    return this;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /**
   * Rebuilds the lexical index when the published articles changed since it was built. A call during a
   * rebuild runs one more check after it, so a change made meanwhile is never missed.
   */
  refresh(): Promise<void> {
    if (this.refreshing) {
      this.queued ??= this.refreshing.then(() => {
        this.queued = undefined;
        return this.refresh();
      });
      return this.queued;
    }
    this.refreshing = this.rebuildIfChanged().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  /**
   * A search over the database as one transaction sees it (an article change not committed yet): for the
   * publish gate. It reads the index's state as it is (no reload) and builds its word index once.
   */
  static async within(
    trx: Kysely<Database>,
    index: VectorIndex,
    synonyms: SynonymDictionary,
  ): Promise<KnowledgeSearch> {
    const search = new KnowledgeSearch(trx, index, synonyms);
    search.fixedIndex = true;
    await search.refresh();
    return search;
  }

  private fixedIndex = false;

  private async rebuildIfChanged(): Promise<void> {
    if (!this.fixedIndex) await this.index.reload();
    const { n, latest } = await this.db
      .selectFrom('knowledge_articles')
      .select((eb) => [eb.fn.countAll<string>().as('n'), eb.fn.max('updated_at').as('latest')])
      .where('status', '=', 'published')
      .executeTakeFirstOrThrow();
    const stamp = `${n}@${latest ? new Date(latest).toISOString() : ''}`;
    if (stamp === this.indexed) return;
    const rows = await this.db
      .selectFrom('knowledge_articles')
      .select(['id', 'title', 'question', 'variants', 'answer_short', 'answer_full'])
      .where('status', '=', 'published')
      .execute();
    this.lexical = await LexicalIndex.build(
      rows.map((r) => ({ id: r.id, texts: [r.title, r.question, ...r.variants, r.answer_short, r.answer_full] })),
    );
    this.indexed = stamp;
  }

  /** Swaps in an edited synonym dictionary. */
  useSynonyms(synonyms: SynonymDictionary): void {
    this.synonyms = synonyms;
  }

  get synonymGroups(): readonly (readonly string[])[] {
    return this.synonyms.groups;
  }

  async search(query: string, options: SearchOptions = {}): Promise<KnowledgeHit[]> {
    if (this.indexed === undefined) await this.refresh();
    const expanded = this.synonyms.expand(query);
    const today = options.today ?? CITY_DAY.format(new Date());
    const region = options.region ?? null;
    const limit = options.limit ?? 5;
    const lexical = this.lexical.search(expanded, CANDIDATES);
    const lexicalRank = new Map(lexical.map((h, i) => [h.id, i + 1]));
    const lexicalScore = new Map(lexical.map((h) => [h.id, h.score]));
    /** The article's BM25 score against the best other article's. */
    const lexicalShare = (id: string) => {
      const own = lexicalScore.get(id) ?? 0;
      const rival = lexical.find((h) => h.id !== id)?.score ?? 0;
      return own + rival > 0 ? own / (own + rival) : 0;
    };
    // Five significant digits are plenty for a cosine ranking and make the literal a third as long.
    const embedder = this.index.queryEmbedder();
    const vector = embedder
      ? `[${(await embedder.embedQuery(expanded)).map((v) => +v.toPrecision(5)).join(',')}]`
      : null;

    // One round trip: the nearest phrasings (the active embedder's HNSW index serves the order by distance
    // to the constant subquery); for the articles of either list that are visible today, each one's best
    // phrasing (by the article_id index); the fusion. Every step is an index lookup, whatever the size of
    // the base, and only the first `limit` articles bring their answers back. Without a query embedder
    // (the index is another embedder's) the vector ranking is empty and similarities are 0.
    const { lexical: wl, vector: wv } = this.fusionWeights ?? this.index.fusion;
    const lexicalIds = lexical.map((h) => h.id);
    const embedding = this.index.embeddingExpression('c.embedding');
    const ofIndex = sql`c.embedder = ${this.index.embedderLiteral()}`;
    const { rows } = await sql<CandidateRow>`
      with q as materialized (select ${vector}::vector(${sql.raw(String(this.index.dimensions))}) as v),
      nearest as materialized (
        select article_id, row_number() over () as rank
        from (select c.article_id from knowledge_chunks c
              where ${ofIndex} and (select v from q) is not null
              order by ${embedding} <=> (select v from q) limit ${CANDIDATES}) n
      ), candidates as (
        select a.id, (select min(rank) from nearest n where n.article_id = a.id)::int as vector_rank,
               array_position(${lexicalIds}::text[], a.id) as lexical_rank
        from knowledge_articles a
        where a.id = any(array(select article_id from nearest) || ${lexicalIds}::text[])
          and a.status = 'published' and a.effective_from <= ${today}::date
          and (a.expires_at is null or a.expires_at > ${today}::date)
          and (${region}::text is null or a.region = '全市' or a.region = ${region}::text)
      ), fused as (
        select c.*, coalesce(${wl}::float8 / (${RRF_K} + lexical_rank), 0)
                    + coalesce(${wv}::float8 / (${RRF_K} + vector_rank), 0) as score
        from candidates c
      ), top as (
        -- Only the leading articles need their best phrasing and its similarity (the confidence's rivals).
        select f.*, row_number() over (order by score desc, vector_rank nulls last, id) as position
        from fused f order by position limit ${Math.max(limit, RIVALS)}
      ), scored as (
        select t.*, p.kind, p.text, p.similarity
        from top t
        left join lateral (
          select c.kind, c.text, (1 - (${embedding} <=> (select v from q)))::float8 as similarity
          from knowledge_chunks c where c.article_id = t.id and ${ofIndex} and (select v from q) is not null
          -- "+ 0": an article's few phrasings are found by article_id; the planner must not walk the HNSW
          -- graph filtering on article_id instead (slow, and it may find none within ef_search).
          order by (${embedding} <=> (select v from q)) + 0 limit 1
        ) p on true
      )
      select r.id as article_id, r.vector_rank, r.similarity, r.kind, r.text, a.title, a.question, r.score,
             (select max(similarity) from scored o where o.id <> r.id) as rival_similarity,
             a.answer_short, a.answer_full, a.department, a.source
      from scored r
      join knowledge_articles a on a.id = r.id
      where r.position <= ${limit}
      order by r.position`.execute(this.db);

    const terms = highlightTerms(expanded);
    return rows.map((r) => ({
      articleId: r.article_id,
      title: r.title,
      question: r.question,
      answerShort: r.answer_short,
      answerFull: r.answer_full,
      department: r.department,
      source: r.source,
      score: r.score,
      similarity: r.similarity ?? 0,
      ...withConfidence({
        similarity: r.similarity ?? 0,
        margin: (r.similarity ?? 0) - Math.max(0, r.rival_similarity ?? 0),
        lexicalShare: lexicalShare(r.article_id),
        lexicalFirst: lexicalRank.get(r.article_id) === 1,
        vectorFirst: r.vector_rank === 1,
      }),
      ranks: { lexical: lexicalRank.get(r.article_id) ?? null, vector: r.vector_rank },
      matched:
        r.kind !== null && r.text !== null ? { kind: r.kind, text: r.text } : { kind: 'question', text: r.question },
      highlights: terms.filter((t) => r.text?.includes(t) || r.question.includes(t)),
    }));
  }
}

const withConfidence = (signals: ConfidenceFeatures) => ({ confidence: confidence(signals), signals });

/** The query's telling words, for the agent desk to highlight in the matched phrasing. */
function highlightTerms(text: string): string[] {
  return searchTokens(text, QUERY_MIN_IDF).filter((t) => t.length > 1);
}

/** Query words rarer than this (IDF) carry meaning; 怎么, 请问, 的 do not. */
const QUERY_MIN_IDF = 5;
