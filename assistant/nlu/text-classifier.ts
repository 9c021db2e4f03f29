import { textFeatures, type FeatureWeights } from '../../knowledge/embedders/text-features.js';

export interface LabelledText {
  text: string;
  label: string;
}

export interface Classification {
  label: string;
  /** Calibrated probability that `label` is right. */
  confidence: number;
  /** Every label with its probability, best first. */
  ranked: { label: string; probability: number }[];
}

/** Words count fully, character pairs half and single characters a little (as in the built-in embedder). */
const FEATURES: FeatureWeights = { word: 1, bigram: 0.5, char: 0.2, idfExponent: 0.5 };
const EPOCHS = 30;
/** Updates for a label whose error is below this are skipped. */
const MIN_ERROR = 1e-3;
const LEARNING_RATE = 0.5;
const L2 = 1e-4;
/** Folds of the cross-validation that fits the temperature. */
const FOLDS = 5;
const TEMPERATURES = [0.25, 0.35, 0.5, 0.7, 1, 1.4, 2, 2.8, 4];

/** A trained classifier as stored in the model cache (assistant/nlu/model-cache.ts). */
export interface SavedTextClassifier {
  labels: string[];
  /** Features by index. */
  vocabulary: string[];
  /** Per label, the weights as little-endian float64, base64. */
  weights: string[];
  temperature: number;
}

/** A sparse vector: feature indices and their values. */
interface Vector {
  index: Int32Array;
  value: Float64Array;
}

/**
 * A text classifier learnt from labelled examples in the repository (no weights from elsewhere):
 * multinomial logistic regression over the text's weighted features (jieba words, character pairs and
 * characters), trained with AdaGrad. Its probabilities are calibrated by temperature scaling, the
 * temperature chosen by cross-validation over the examples (the one with the lowest log loss on
 * held-out folds), so a confidence of 0.8 means right about 80% of the time on texts like the examples.
 * Training ~500 examples takes tens of milliseconds.
 */
export class TextClassifier {
  private constructor(
    readonly labels: readonly string[],
    private readonly vocabulary: Map<string, number>,
    /** weights[label][feature], bias last. */
    private readonly weights: Float64Array[],
    readonly temperature: number,
  ) {}

  static train(examples: readonly LabelledText[]): TextClassifier {
    const labels = [...new Set(examples.map((e) => e.label))].sort();
    if (labels.length < 2) throw new Error('a classifier needs examples of at least two labels');
    const vocabulary = new Map<string, number>();
    const featurized = examples.map((e) => ({ x: vectorize(e.text, vocabulary, true), y: labels.indexOf(e.label) }));
    // Held-out predictions of each fold's model choose the temperature.
    const heldOut: { logits: number[]; y: number }[] = [];
    for (let fold = 0; fold < FOLDS; fold++) {
      const train = featurized.filter((_, i) => i % FOLDS !== fold);
      const test = featurized.filter((_, i) => i % FOLDS === fold);
      const weights = fit(train, labels.length, vocabulary.size);
      for (const { x, y } of test) heldOut.push({ logits: logitsOf(weights, x), y });
    }
    const temperature = TEMPERATURES.reduce((best, t) => (logLoss(heldOut, t) < logLoss(heldOut, best) ? t : best));
    return new TextClassifier(labels, vocabulary, fit(featurized, labels.length, vocabulary.size), temperature);
  }

  toJSON(): SavedTextClassifier {
    const vocabulary: string[] = [];
    for (const [feature, i] of this.vocabulary) vocabulary[i] = feature;
    return {
      labels: [...this.labels],
      vocabulary,
      weights: this.weights.map((w) => Buffer.from(w.buffer, w.byteOffset, w.byteLength).toString('base64')),
      temperature: this.temperature,
    };
  }

  static restore(saved: SavedTextClassifier): TextClassifier {
    const weights = saved.weights.map((b64) => {
      const bytes = Buffer.from(b64, 'base64');
      // Copied into a fresh, aligned buffer: a Buffer's own may start at any offset of a shared pool.
      return new Float64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    });
    if (weights.some((w) => w.length !== saved.vocabulary.length + 1) || weights.length !== saved.labels.length) {
      throw new Error('saved classifier does not fit its vocabulary');
    }
    return new TextClassifier(
      saved.labels,
      new Map(saved.vocabulary.map((feature, i) => [feature, i])),
      weights,
      saved.temperature,
    );
  }

  classify(text: string): Classification {
    const probabilities = softmax(logitsOf(this.weights, vectorize(text, this.vocabulary, false)), this.temperature);
    const ranked = this.labels
      .map((label, i) => ({ label, probability: probabilities[i]! }))
      .sort((a, b) => b.probability - a.probability);
    return { label: ranked[0]!.label, confidence: ranked[0]!.probability, ranked };
  }
}

/** The text's features as a unit-length sparse vector over the vocabulary (new features added in training). */
function vectorize(text: string, vocabulary: Map<string, number>, grow: boolean): Vector {
  const index: number[] = [];
  const value: number[] = [];
  let norm = 0;
  for (const [feature, weight] of textFeatures(text, FEATURES)) {
    let i = vocabulary.get(feature);
    if (i === undefined) {
      if (!grow) continue;
      i = vocabulary.size;
      vocabulary.set(feature, i);
    }
    index.push(i);
    value.push(weight);
    norm += weight * weight;
  }
  norm = Math.sqrt(norm) || 1;
  return { index: Int32Array.from(index), value: Float64Array.from(value, (v) => v / norm) };
}

function fit(data: { x: Vector; y: number }[], classes: number, features: number): Float64Array[] {
  const weights = Array.from({ length: classes }, () => new Float64Array(features + 1));
  const squared = Array.from({ length: classes }, () => new Float64Array(features + 1).fill(1e-8));
  const order = data.map((_, i) => i);
  let seed = 1;
  for (let epoch = 0; epoch < EPOCHS; epoch++) {
    // A fixed shuffle per epoch: the same examples always train the same model.
    for (let i = order.length - 1; i > 0; i--) {
      seed = (seed * 16807) % 2147483647;
      const j = seed % (i + 1);
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    for (const index of order) {
      const { x, y } = data[index]!;
      const p = softmax(logitsOf(weights, x), 1);
      for (let c = 0; c < classes; c++) {
        const error = p[c]! - (c === y ? 1 : 0);
        // Most labels are already near 0 for most examples: skipping them (and their L2 step) makes
        // training with a hundred labels as fast as with a few.
        if (Math.abs(error) < MIN_ERROR) continue;
        const w = weights[c]!;
        const g2 = squared[c]!;
        for (let k = 0; k < x.index.length; k++) {
          const f = x.index[k]!;
          const gradient = error * x.value[k]! + L2 * w[f]!;
          g2[f]! += gradient * gradient;
          w[f]! -= (LEARNING_RATE * gradient) / Math.sqrt(g2[f]!);
        }
        g2[features]! += error * error;
        w[features]! -= (LEARNING_RATE * error) / Math.sqrt(g2[features]!);
      }
    }
  }
  return weights;
}

function logitsOf(weights: Float64Array[], x: Vector): number[] {
  return weights.map((w) => {
    const bias = w.length - 1;
    let sum = w[bias]!;
    for (let k = 0; k < x.index.length; k++) {
      const f = x.index[k]!;
      if (f < bias) sum += w[f]! * x.value[k]!;
    }
    return sum;
  });
}

function softmax(logits: number[], temperature: number): number[] {
  let max = -Infinity;
  for (const l of logits) if (l / temperature > max) max = l / temperature;
  let total = 0;
  const exps = logits.map((l) => {
    const e = Math.exp(l / temperature - max);
    total += e;
    return e;
  });
  return exps.map((e) => e / total);
}

function logLoss(predictions: { logits: number[]; y: number }[], temperature: number): number {
  let loss = 0;
  for (const { logits, y } of predictions) loss -= Math.log(Math.max(softmax(logits, temperature)[y]!, 1e-12));
  return loss / predictions.length;
}
