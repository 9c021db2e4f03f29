/**
 * Retrieval on the eval suite evals/suites/retrieval-zh.yaml over the demo articles: hit@1, hit@5, MRR,
 * and no-answer rejection. Any ranker can be measured; two are: the built-in embedder alone in memory
 * (best cosine over title, question and variants; the baseline) and the knowledge base's hybrid search.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { loadDemoRecords } from '../knowledge/article-store.js';
import { BuiltinEmbedder, cosine } from '../knowledge/embedders/builtin-embedder.js';
import {
  ANSWER_CONFIDENCE,
  CONFIDENCE_MODEL,
  confidence,
  fitConfidence,
  type ConfidenceFeatures,
  type ConfidenceModel,
} from '../knowledge/confidence.js';
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
  const articles = await loadDemoRecords();
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
    (await search.search(q, { limit: 10 })).map((h) => ({ id: h.articleId, score: h.confidence }));

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

export interface CalibrationResult {
  /** Fitted on the even-numbered cases. */
  model: ConfidenceModel;
  /** Lowest confidence to answer, chosen on the even-numbered cases (see below). */
  answerAt: number;
  /** Measured on the odd-numbered cases with the fitted model (`fresh`) and with the shipped one. */
  heldOut: Record<'fresh' | 'shipped', { answered: number; precision: number; noAnswerRejected: number }>;
}

/**
 * Calibrates the hybrid search's confidence: fits the logistic model on half of the suite (is the first
 * hit right?), picks the answer threshold there, and measures on the other half how often the assistant
 * would answer, how often those answers are right, and how many no-answer questions it declines.
 */
export async function calibrate(search: KnowledgeSearch, cases = loadSuite()): Promise<CalibrationResult> {
  const samples: { features: ConfidenceFeatures; correct: boolean; none: boolean }[] = [];
  for (const c of cases) {
    const [top] = await search.search(c.q, { limit: 1 });
    samples.push({
      features: top?.signals ?? { similarity: 0, margin: 0, lexicalShare: 0, lexicalFirst: false, vectorFirst: false },
      correct: top?.articleId === c.expect,
      none: c.expect === 'none',
    });
  }
  const fitHalf = samples.filter((_, i) => i % 2 === 0);
  const testHalf = samples.filter((_, i) => i % 2 === 1);
  const model = fitConfidence(fitHalf);
  const outcome = (half: typeof samples, m: ConfidenceModel, at: number) => {
    const answered = half.filter((s) => !s.none && confidence(s.features, m) >= at);
    const none = half.filter((s) => s.none);
    return {
      answered: answered.length / half.filter((s) => !s.none).length,
      precision: answered.filter((s) => s.correct).length / Math.max(1, answered.length),
      noAnswerRejected: none.filter((s) => confidence(s.features, m) < at).length / Math.max(1, none.length),
    };
  };
  // The lowest threshold (most questions answered) at which, on the fitting half, answers are >= 95%
  // right and >= 80% of the questions without an answer in the base are declined.
  let answerAt = 0.95;
  for (let t = 30; t <= 95; t++) {
    const o = outcome(fitHalf, model, t / 100);
    if (o.precision >= 0.95 && o.noAnswerRejected >= 0.8) {
      answerAt = t / 100;
      break;
    }
  }
  return {
    model,
    answerAt,
    heldOut: {
      fresh: outcome(testHalf, model, answerAt),
      shipped: outcome(testHalf, CONFIDENCE_MODEL, ANSWER_CONFIDENCE),
    },
  };
}
