/**
 * Retrieval on the eval suite evals/suites/retrieval-zh.yaml over the demo articles, with the built-in
 * embedder alone, in memory: an article's score is its best cosine over title, question and variants.
 * No synonyms, no full text, no database: the baseline the knowledge base's hybrid search must beat.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { BuiltinEmbedder, cosine } from '../knowledge/embedders/builtin-embedder.js';
import { percentile } from './stats.js';

interface Article {
  id: string;
  title: string;
  question: string;
  variants: string[];
}

export interface RetrievalResult {
  articles: number;
  answerable: number;
  noAnswer: number;
  hitAt1: number;
  hitAt5: number;
  mrr: number;
  /** Rejection threshold: the score above which 95% of correct top-1 answers lie. */
  threshold: number;
  noAnswerRejected: number;
  answerableAcceptedCorrect: number;
}

export function measureRetrieval(embedder = new BuiltinEmbedder()): RetrievalResult {
  const dir = new URL('../knowledge/demo/articles/', import.meta.url);
  const articles = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .flatMap((f) => (JSON.parse(readFileSync(new URL(f, dir), 'utf8')) as { articles: Article[] }).articles);
  const { cases } = parse(readFileSync(new URL('../evals/suites/retrieval-zh.yaml', import.meta.url), 'utf8')) as {
    cases: { q: string; expect: string }[];
  };
  const index = articles.map((a) => ({
    id: a.id,
    vectors: [a.title, a.question, ...a.variants].map((t) => embedder.embed(t)),
  }));
  const rank = (q: string) => {
    const v = embedder.embed(q);
    return index
      .map(({ id, vectors }) => ({ id, score: Math.max(...vectors.map((x) => cosine(v, x))) }))
      .sort((a, b) => b.score - a.score);
  };

  const answerable = cases.filter((c) => c.expect !== 'none');
  const none = cases.filter((c) => c.expect === 'none');
  let hit1 = 0;
  let hit5 = 0;
  let rr = 0;
  const correctTopScores: number[] = [];
  const answerableTop: { correct: boolean; score: number }[] = [];
  for (const c of answerable) {
    const ranked = rank(c.q);
    const position = ranked.findIndex((r) => r.id === c.expect);
    if (position === 0) {
      hit1++;
      correctTopScores.push(ranked[0]!.score);
    }
    if (position >= 0 && position < 5) hit5++;
    if (position >= 0) rr += 1 / (position + 1);
    answerableTop.push({ correct: position === 0, score: ranked[0]!.score });
  }
  correctTopScores.sort((a, b) => a - b);
  const threshold = percentile(correctTopScores, 5);
  const noneTop = none.map((c) => rank(c.q)[0]!.score);
  return {
    articles: articles.length,
    answerable: answerable.length,
    noAnswer: none.length,
    hitAt1: hit1 / answerable.length,
    hitAt5: hit5 / answerable.length,
    mrr: rr / answerable.length,
    threshold,
    noAnswerRejected: noneTop.filter((s) => s < threshold).length / none.length,
    answerableAcceptedCorrect:
      answerableTop.filter((t) => t.correct && t.score >= threshold).length / answerable.length,
  };
}
