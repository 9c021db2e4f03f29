/**
 * Retrieval on the eval suite evals/suites/retrieval-zh.yaml over the demo articles: hit@1, hit@5, MRR,
 * and no-answer rejection. Any ranker can be measured; two are: the built-in embedder alone in memory
 * (best cosine over title, question and variants; the baseline) and the knowledge base's hybrid search.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { loadDemoDomains } from '../knowledge/article-store.js';
import { BuiltinEmbedder, cosine } from '../knowledge/embedders/builtin-embedder.js';
import type { KnowledgeSearch } from '../knowledge/search.js';
import { percentile } from './stats.js';

export interface Ranked {
  id: string;
  /** What a caller would threshold on to decide "no answer". */
  score: number;
}
export type Ranker = (question: string) => Promise<Ranked[]>;

export interface RetrievalResult {
  answerable: number;
  noAnswer: number;
  hitAt1: number;
  hitAt5: number;
  mrr: number;
  /** Rejection threshold: the score above which 95% of correct top-1 answers lie. */
  threshold: number;
  noAnswerRejected: number;
  answerableAcceptedCorrect: number;
  /** Milliseconds per question. */
  latency: { p50: number; p95: number };
}

export function loadSuite(): { q: string; expect: string }[] {
  return (
    parse(readFileSync(new URL('../evals/suites/retrieval-zh.yaml', import.meta.url), 'utf8')) as {
      cases: { q: string; expect: string }[];
    }
  ).cases;
}

export async function inMemoryRanker(embedder = new BuiltinEmbedder()): Promise<Ranker> {
  const articles = (await loadDemoDomains()).flatMap((d) => d.articles);
  const index = articles.map((a) => ({
    id: a.id,
    vectors: [a.title, a.question, ...a.variants].map((t) => embedder.embed(t)),
  }));
  return async (q) => {
    const v = embedder.embed(q);
    return index
      .map(({ id, vectors }) => ({ id, score: Math.max(...vectors.map((x) => cosine(v, x))) }))
      .sort((a, b) => b.score - a.score);
  };
}

export const hybridRanker =
  (search: KnowledgeSearch): Ranker =>
  async (q) =>
    (await search.search(q, { limit: 10 })).map((h) => ({ id: h.articleId, score: h.similarity }));

export async function measureRetrieval(rank: Ranker, cases = loadSuite()): Promise<RetrievalResult> {
  const answerable = cases.filter((c) => c.expect !== 'none');
  const none = cases.filter((c) => c.expect === 'none');
  let hit1 = 0;
  let hit5 = 0;
  let rr = 0;
  const correctTopScores: number[] = [];
  const answerableTop: { correct: boolean; score: number }[] = [];
  const times: number[] = [];
  const timed = async (q: string) => {
    const started = performance.now();
    const ranked = await rank(q);
    times.push(performance.now() - started);
    return ranked;
  };
  for (const c of answerable) {
    const ranked = await timed(c.q);
    const position = ranked.findIndex((r) => r.id === c.expect);
    if (position === 0) {
      hit1++;
      correctTopScores.push(ranked[0]!.score);
    }
    if (position >= 0 && position < 5) hit5++;
    if (position >= 0) rr += 1 / (position + 1);
    answerableTop.push({ correct: position === 0, score: ranked[0]?.score ?? 0 });
  }
  correctTopScores.sort((a, b) => a - b);
  const threshold = percentile(correctTopScores, 5);
  const noneTop: number[] = [];
  for (const c of none) noneTop.push((await timed(c.q))[0]?.score ?? 0);
  times.sort((a, b) => a - b);
  return {
    answerable: answerable.length,
    noAnswer: none.length,
    hitAt1: hit1 / answerable.length,
    hitAt5: hit5 / answerable.length,
    mrr: rr / answerable.length,
    threshold,
    noAnswerRejected: noneTop.filter((s) => s < threshold).length / none.length,
    answerableAcceptedCorrect:
      answerableTop.filter((t) => t.correct && t.score >= threshold).length / answerable.length,
    latency: { p50: percentile(times, 50), p95: percentile(times, 95) },
  };
}
