import { sql, type Kysely } from 'kysely';
import type { Database } from '../core/db/schema.js';
import type { BuiltinEmbedder } from './embedders/builtin-embedder.js';
import { searchTokens } from './embedders/text-features.js';
import type { SynonymDictionary } from './synonyms.js';

export interface KnowledgeHit {
  articleId: string;
  title: string;
  question: string;
  answerShort: string;
  answerFull: string;
  department: string;
  source: { title: string; url: string | null } | null;
  /** Reciprocal-rank-fusion score of the vector and full-text rankings. */
  score: number;
  /** Best cosine similarity of the query with any phrasing of the article. */
  similarity: number;
  /** The phrasing that matched best (for the agent desk and the editors' "try a question" panel). */
  matched: { kind: string; text: string };
}

export interface SearchOptions {
  limit?: number;
  /** The citizen's district: articles for it or for the whole city. */
  region?: string;
  /** "Today" for effective/expiry dates; tests pass a fixed day. */
  today?: string;
}

/** RRF's k: dampens the head of each ranking so neither list alone decides (Cormack et al., 2009). */
const RRF_K = 60;
/** Candidates each ranking contributes (HNSW's default ef_search is 40). */
const CANDIDATES = 40;
/** Query words rarer than this (IDF) carry meaning; 怎么, 请问, 的 do not. */
const QUERY_MIN_IDF = 5;

interface CandidateRow {
  article_id: string;
  kind: string;
  text: string;
  /** Cosine similarity with the query, computed in the database (vectors never travel back). */
  similarity: number;
  rank: number;
}

/**
 * Hybrid search over published, effective articles: nearest phrasings by vector (HNSW), and phrasings
 * sharing the query's telling words (full text over jieba tokens), fused per article by reciprocal rank.
 * The query is expanded with synonyms first. Retired, draft and expired articles are never returned.
 */
export class KnowledgeSearch {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly embedder: BuiltinEmbedder,
    private synonyms: SynonymDictionary,
  ) {}

  /** Swaps in an edited synonym dictionary. */
  useSynonyms(synonyms: SynonymDictionary): void {
    this.synonyms = synonyms;
  }

  get synonymGroups(): readonly (readonly string[])[] {
    return this.synonyms.groups;
  }

  async search(query: string, options: SearchOptions = {}): Promise<KnowledgeHit[]> {
    const expanded = this.synonyms.expand(query);
    const vector = this.embedder.embed(expanded);
    const terms = searchTokens(expanded, QUERY_MIN_IDF);
    const today = options.today ?? new Date().toISOString().slice(0, 10);
    const region = options.region ?? null;
    const literal = JSON.stringify(vector);
    const tsquery = terms.map((t) => `'${t.replaceAll("'", "''")}'`).join(' | ');

    // Without a telling word (only 怎么/请问/punctuation) there is no full-text ranking to make.
    const byText =
      tsquery === ''
        ? sql`select null::text as article_id, null::text as kind, null::text as text, 0::float8 as distance, 0::float4 as weight where false`
        : sql`
        select c.article_id, c.kind, c.text, c.embedding <=> ${literal}::vector as distance,
               ts_rank(c.tokens, to_tsquery('simple', ${tsquery})) as weight
        from knowledge_chunks c
        where c.tokens @@ to_tsquery('simple', ${tsquery})
        order by weight desc
        limit ${CANDIDATES}`;

    // Both rankings in one round trip. The vector ranking must order by the distance to a parameter for
    // the HNSW index to serve it; the article filter applies to the candidates it returns.
    const { rows } = await sql<CandidateRow & { source_list: 'vector' | 'text' }>`
      with visible as (
        select id from knowledge_articles
        where status = 'published' and effective_from <= ${today}::date
          and (expires_at is null or expires_at > ${today}::date)
          and (${region}::text is null or region = '全市' or region = ${region}::text)
      ), by_vector as (
        select c.article_id, c.kind, c.text, c.embedding <=> ${literal}::vector as distance
        from knowledge_chunks c
        order by c.embedding <=> ${literal}::vector
        limit ${CANDIDATES}
      ), by_text as (${byText})
      select 'vector' as source_list, v.article_id, v.kind, v.text, 1 - v.distance as similarity,
             row_number() over (order by v.distance)::int as rank
      from by_vector v where v.article_id in (select id from visible)
      union all
      select 'text', t.article_id, t.kind, t.text, 1 - t.distance,
             row_number() over (order by t.weight desc)::int
      from by_text t where t.article_id in (select id from visible)`.execute(this.db);

    const fused = new Map<
      string,
      { score: number; similarity: number; matched: { kind: string; text: string }; seen: Set<string> }
    >();
    for (const row of rows.sort((a, b) => a.rank - b.rank)) {
      const entry = fused.get(row.article_id) ?? {
        score: 0,
        similarity: -1,
        matched: { kind: row.kind, text: row.text },
        seen: new Set(),
      };
      // Each list counts once per article, at the article's best phrasing in that list.
      if (!entry.seen.has(row.source_list)) {
        entry.seen.add(row.source_list);
        entry.score += 1 / (RRF_K + row.rank);
      }
      if (row.similarity > entry.similarity) {
        entry.similarity = row.similarity;
        entry.matched = { kind: row.kind, text: row.text };
      }
      fused.set(row.article_id, entry);
    }
    const ranked = [...fused.entries()]
      .sort((a, b) => b[1].score - a[1].score || b[1].similarity - a[1].similarity)
      .slice(0, options.limit ?? 5);
    if (ranked.length === 0) return [];
    const articles = await this.db
      .selectFrom('knowledge_articles')
      .select(['id', 'title', 'question', 'answer_short', 'answer_full', 'department', 'source'])
      .where(
        'id',
        'in',
        ranked.map(([id]) => id),
      )
      .execute();
    const byId = new Map(articles.map((a) => [a.id, a]));
    return ranked.map(([id, e]) => {
      const a = byId.get(id)!;
      return {
        articleId: id,
        title: a.title,
        question: a.question,
        answerShort: a.answer_short,
        answerFull: a.answer_full,
        department: a.department,
        source: a.source,
        score: e.score,
        similarity: e.similarity,
        matched: e.matched,
      };
    });
  }
}
