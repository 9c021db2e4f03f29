/**
 * The port every knowledge-base embedder satisfies: LangChain's `Embeddings` shape (so any LangChain
 * vector tooling accepts it) plus the two facts an index needs to stay consistent.
 */
export interface KnowledgeEmbedder {
  /**
   * Names the embedder and its settings (model, vector length, where it runs). Stored beside every vector:
   * vectors of different ids are never compared, and a change of id means the index is re-embedded.
   */
  readonly id: string;
  /** Length of every vector this embedder returns; the index's column is built for it. */
  readonly dimensions: number;
  embedDocuments(texts: string[]): Promise<number[][]>;
  embedQuery(text: string): Promise<number[]>;
}

export type EmbedderErrorCode =
  /** The endpoint answered with an HTTP error (after the retries a transient one gets). */
  | 'E_EMBEDDER_HTTP'
  /** The endpoint could not be reached or did not answer in time. */
  | 'E_EMBEDDER_UNREACHABLE'
  /** The endpoint answered 2xx with something that is not an embeddings response. */
  | 'E_EMBEDDER_RESPONSE'
  /** A vector's length is not the one the index is built for. */
  | 'E_EMBEDDER_DIMENSIONS'
  /** A local model directory is missing or incomplete. */
  | 'E_EMBEDDER_MODEL_FILES';

/** Why an embedder could not embed, with a stable code for callers and tests to match on. */
export class EmbedderError extends Error {
  constructor(
    readonly code: EmbedderErrorCode,
    message: string,
    /** The HTTP status an endpoint answered, for `E_EMBEDDER_HTTP`. */
    readonly status?: number,
  ) {
    super(message);
    this.name = 'EmbedderError';
  }
}

/** How far a squared norm may be from 1 and still count as unit length (float32 rounding over ~4k terms). */
const UNIT_TOLERANCE = 1e-6;

/**
 * The vector scaled to unit length, or the same array when it already is one. The index compares vectors
 * by dot product (cosine of unit vectors), so every embedder hands out unit vectors whatever its server or
 * model returns. The zero vector (an empty text on some servers) is returned as it is: it has no direction.
 */
export function normalizeVector(vector: number[]): number[] {
  let squared = 0;
  for (const v of vector) squared += v * v;
  if (squared === 0 || Math.abs(squared - 1) <= UNIT_TOLERANCE) return vector;
  const norm = Math.sqrt(squared);
  return vector.map((v) => v / norm);
}
