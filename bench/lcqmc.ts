/**
 * How well an embedder tells paraphrases from non-paraphrases, on LCQMC dev (8,802 Chinese question
 * pairs, read from ../shared/data; research use only, never copied into the project). The decision
 * threshold is chosen on the first half and accuracy is measured on the second, for the embedder and for
 * a plain character-overlap baseline alike.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { cosine } from '../knowledge/embedders/builtin-embedder.js';
import { normalizeText } from '../knowledge/embedders/text-features.js';

export const LCQMC_PATH = fileURLToPath(new URL('../../shared/data/lcqmc-dev.tsv', import.meta.url));

export interface Pair {
  a: string;
  b: string;
  same: boolean;
}

export function loadLcqmc(path = LCQMC_PATH): Pair[] | undefined {
  if (!existsSync(path)) return undefined;
  return readFileSync(path, 'utf8')
    .split('\n')
    .slice(1)
    .map((line) => line.split('\t'))
    .filter((cols) => cols.length === 3)
    .map(([a, b, label]) => ({ a: a!, b: b!, same: label!.trim() === '1' }));
}

/** The threshold with the best accuracy on these scores (midpoints between neighbouring scores). */
export function bestThreshold(scores: number[], labels: boolean[]): number {
  const order = scores.map((s, i) => [s, labels[i]!] as const).sort((x, y) => x[0] - y[0]);
  // Predict "same" above the threshold. Start with everything above: correct = number of positives.
  let correct = order.filter(([, same]) => same).length;
  let best = correct;
  let threshold = order[0]![0] - 1e-9;
  for (let i = 0; i < order.length; i++) {
    correct += order[i]![1] ? -1 : 1;
    if (correct > best && (i + 1 === order.length || order[i + 1]![0] !== order[i]![0])) {
      best = correct;
      threshold = i + 1 < order.length ? (order[i]![0] + order[i + 1]![0]) / 2 : order[i]![0] + 1e-9;
    }
  }
  return threshold;
}

export function accuracy(scores: number[], labels: boolean[], threshold: number): number {
  let correct = 0;
  scores.forEach((s, i) => (correct += s > threshold === labels[i] ? 1 : 0));
  return correct / scores.length;
}

/** Jaccard overlap of the two texts' character sets: the baseline any embedder must beat. */
export function charOverlap(a: string, b: string): number {
  const x = new Set(normalizeText(a));
  const y = new Set(normalizeText(b));
  let shared = 0;
  for (const c of x) if (y.has(c)) shared++;
  return shared / (x.size + y.size - shared || 1);
}

export interface SplitResult {
  threshold: number;
  trainAccuracy: number;
  testAccuracy: number;
}

/** Threshold from the first half, accuracy on the second. */
export function splitEvaluate(pairs: Pair[], score: (pair: Pair) => number): SplitResult {
  const half = pairs.length >> 1;
  const scores = pairs.map(score);
  const labels = pairs.map((p) => p.same);
  const threshold = bestThreshold(scores.slice(0, half), labels.slice(0, half));
  return {
    threshold,
    trainAccuracy: accuracy(scores.slice(0, half), labels.slice(0, half), threshold),
    testAccuracy: accuracy(scores.slice(half), labels.slice(half), threshold),
  };
}

export const embeddingScore = (embed: (text: string) => number[]) => (pair: Pair) =>
  cosine(embed(pair.a), embed(pair.b));
