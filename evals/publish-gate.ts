/**
 * Eval-gated publishing: before a reviewed article revision goes live, the retrieval eval questions it
 * touches (those that expect it) and a fixed sample of the rest are answered twice: by the live search, and
 * by a search inside a transaction where the revision is already written (then rolled back). A question
 * answered right before and wrong after is a regression; any blocks the publish.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../core/db/schema.js';
import { writeLive } from '../knowledge/article-store.js';
import type { PublishGate } from '../knowledge/editorial.js';
import type { ArticleRecord } from '../knowledge/article.js';
import { KnowledgeSearch } from '../knowledge/search.js';
import { loadSynonyms } from '../knowledge/synonyms.js';
import type { VectorIndex } from '../knowledge/vector-index.js';

export interface GateCase {
  q: string;
  expect: string;
}

export interface EvalPublishGateOptions {
  db: Kysely<Database>;
  index: VectorIndex;
  /** The live search (the "before"). */
  search: Pick<KnowledgeSearch, 'search'>;
  /** The retrieval eval's questions. */
  cases: () => Promise<GateCase[]>;
  /** Questions that do not expect the article, checked too (spread evenly over the suite). */
  sample?: number;
}

/** Thrown to roll the shadow transaction back once its answers are in. */
const ROLLBACK = Symbol('rollback');

export class EvalPublishGate implements PublishGate {
  constructor(private readonly options: EvalPublishGateOptions) {}

  async check(record: ArticleRecord, revision: number) {
    const all = await this.options.cases();
    const touching = all.filter((c) => c.expect === record.id);
    const others = all.filter((c) => c.expect !== record.id && c.expect !== 'none');
    const step = Math.max(1, Math.floor(others.length / (this.options.sample ?? 60)));
    const chosen = [...touching, ...others.filter((_, i) => i % step === 0)];

    const before = await Promise.all(chosen.map(async (c) => (await this.options.search.search(c.q))[0]?.articleId));
    const passing = chosen.map((c, i) => c.expect === before[i]);
    // Loaded before the transaction: on PGlite every query inside it must go through it.
    const synonyms = await loadSynonyms(this.options.db);
    let after: (string | undefined)[] = [];
    await this.options.db
      .transaction()
      .execute(async (trx) => {
        await writeLive(trx, this.options.index, [{ record, version: revision, actor: 'eval-gate' }]);
        const shadow = await KnowledgeSearch.within(trx, this.options.index, synonyms);
        after = [];
        for (const c of chosen) after.push((await shadow.search(c.q))[0]?.articleId);
        throw ROLLBACK;
      })
      .catch((error: unknown) => {
        if (error !== ROLLBACK) throw error;
      });
    // As in the retrieval eval, right means the expected article first (no `none` case is chosen).
    const regressions = chosen.flatMap((c, i) =>
      passing[i] && after[i] !== c.expect
        ? [{ question: c.q, expected: c.expect, before: before[i] ?? 'none', after: after[i] ?? 'none' }]
        : [],
    );
    return { checked: chosen.length, regressions };
  }
}
