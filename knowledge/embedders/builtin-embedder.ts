import { Embeddings, type EmbeddingsParams } from '@langchain/core/embeddings';
import type { KnowledgeEmbedder } from './embedder.js';
import { textFeatures, type FeatureWeights } from './text-features.js';

export interface BuiltinEmbedderOptions extends EmbeddingsParams {
  /** Vector length; a power of two. 512 keeps pgvector's HNSW index small and fast. */
  dimensions?: number;
  weights?: Partial<FeatureWeights>;
}

/**
 * Chosen on the first half of LCQMC dev only (bench/lcqmc.ts measures on the other half). Settings within
 * a wide range score within half a point of each other: that is the ceiling of lexical features there.
 */
export const DEFAULT_FEATURE_WEIGHTS: FeatureWeights = { word: 1, bigram: 0.5, char: 0.25, idfExponent: 0.5 };

/**
 * The default embedder: no model weights, no network, deterministic. Text features (jieba words,
 * character bigrams, characters; IDF-weighted) are hashed into a fixed-length vector with a second hash
 * bit as the sign (so collisions cancel out on average rather than pile up), then L2-normalised:
 * cosine similarity is the dot product.
 */
export class BuiltinEmbedder extends Embeddings implements KnowledgeEmbedder {
  readonly dimensions: number;
  private readonly weights: FeatureWeights;

  constructor(options: BuiltinEmbedderOptions = {}) {
    super(options);
    this.dimensions = options.dimensions ?? 512;
    if (!Number.isInteger(Math.log2(this.dimensions))) throw new Error('dimensions must be a power of two');
    this.weights = { ...DEFAULT_FEATURE_WEIGHTS, ...options.weights };
  }

  /** A stable name for the index: vectors from another embedder or setting are never mixed with these. */
  get id(): string {
    const w = this.weights;
    return `builtin-hash-v1:d${this.dimensions}:w${w.word}:b${w.bigram}:c${w.char}:e${w.idfExponent}`;
  }

  async embedDocuments(documents: string[]): Promise<number[][]> {
    return documents.map((d) => this.embed(d));
  }

  async embedQuery(document: string): Promise<number[]> {
    return this.embed(document);
  }

  /** Synchronous form for hot paths and benchmarks. */
  embed(text: string): number[] {
    const vector = new Float64Array(this.dimensions);
    const mask = this.dimensions - 1;
    for (const [feature, weight] of textFeatures(text, this.weights)) {
      const hash = fnv1a(feature);
      vector[hash & mask]! += hash & 0x80000000 ? -weight : weight;
    }
    let norm = 0;
    for (const v of vector) norm += v * v;
    norm = Math.sqrt(norm) || 1;
    return Array.from(vector, (v) => v / norm);
  }
}

/** 32-bit FNV-1a over UTF-16 code units: fast, and stable across processes and versions. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** Cosine similarity of two L2-normalised vectors (as this embedder makes them): their dot product. */
export function cosine(a: readonly number[], b: readonly number[]): number {
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += a[i]! * b[i]!;
  return dot;
}
