/** What the confidence of a hit is computed from. */
export interface ConfidenceFeatures {
  /** Best cosine similarity of the query with the article's phrasings. */
  similarity: number;
  /** How far that similarity is ahead of the next hit's. */
  margin: number;
  /** The article's BM25 score over its own plus the best other article's: 0.5 is a tie, 1 no rival. */
  lexicalShare: number;
  lexicalFirst: boolean;
  vectorFirst: boolean;
}

export interface ConfidenceModel {
  bias: number;
  weights: [similarity: number, margin: number, lexicalShare: number, lexicalFirst: number, vectorFirst: number];
}

/**
 * Logistic regression fitted by `npm run bench` on the first half of evals/suites/retrieval-zh.yaml
 * (answerable questions whose first hit is right = 1; wrong first hit or no answer in the base = 0) and
 * measured on the other half. The bench prints a fresh fit next to these numbers; paste it here when the
 * ranking or the demo base changes.
 */
export const CONFIDENCE_MODEL: ConfidenceModel = {
  bias: -3.898,
  weights: [3.064, 1.839, 3.426, 1.822, 1.057],
};

/**
 * The assistant answers at this confidence or above: the lowest threshold at which, on the fitting half,
 * answers were >= 95% right and >= 80% of the no-answer questions were declined. On the held-out half:
 * 64% of answerable questions answered, 94.6% of those right, 90% of no-answer questions declined.
 */
export const ANSWER_CONFIDENCE = 0.83;
/** Below the answer threshold but at least this: the assistant offers the likely questions to pick from. */
export const SUGGEST_CONFIDENCE = 0.2;

export function featureVector(f: ConfidenceFeatures): number[] {
  return [f.similarity, f.margin, f.lexicalShare, f.lexicalFirst ? 1 : 0, f.vectorFirst ? 1 : 0];
}

/** The probability that a hit answers the question. */
export function confidence(f: ConfidenceFeatures, model: ConfidenceModel = CONFIDENCE_MODEL): number {
  const x = featureVector(f);
  let z = model.bias;
  for (let i = 0; i < x.length; i++) z += model.weights[i]! * x[i]!;
  return 1 / (1 + Math.exp(-z));
}

/** Fits a logistic regression by batch gradient descent with a little L2 (a few hundred samples). */
export function fitConfidence(
  samples: readonly { features: ConfidenceFeatures; correct: boolean }[],
  { iterations = 4000, rate = 0.5, l2 = 1e-3 } = {},
): ConfidenceModel {
  const xs = samples.map((s) => featureVector(s.features));
  const ys = samples.map((s) => (s.correct ? 1 : 0));
  const d = xs[0]?.length ?? 5;
  const w = new Array<number>(d).fill(0);
  let b = 0;
  for (let it = 0; it < iterations; it++) {
    const gw = new Array<number>(d).fill(0);
    let gb = 0;
    for (let i = 0; i < xs.length; i++) {
      let z = b;
      for (let j = 0; j < d; j++) z += w[j]! * xs[i]![j]!;
      const error = 1 / (1 + Math.exp(-z)) - ys[i]!;
      gb += error;
      for (let j = 0; j < d; j++) gw[j]! += error * xs[i]![j]!;
    }
    b -= (rate * gb) / xs.length;
    for (let j = 0; j < d; j++) w[j]! -= rate * (gw[j]! / xs.length + l2 * w[j]!);
  }
  const round = (n: number) => Math.round(n * 1000) / 1000;
  return { bias: round(b), weights: w.map(round) as ConfidenceModel['weights'] };
}
