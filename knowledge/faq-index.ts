/**
 * A small in-memory FAQ matcher: character-bigram Dice similarity between the citizen's text and each
 * entry's standard question and variants. Deterministic, weight-free and fast for a few hundred entries;
 * the knowledge-base issue replaces it with hybrid vector + full-text search.
 */
export interface FaqEntry {
  id: number;
  question: string;
  variants: string[];
  answer: string;
  source: string | null;
}

export interface FaqMatch {
  entry: FaqEntry;
  /** Dice coefficient in [0, 1] against the best-matching phrasing. */
  score: number;
  matchedPhrase: string;
}

/** Below this the best match is more likely a different question than a paraphrase. */
export const DEFAULT_ANSWER_THRESHOLD = 0.4;

const PUNCTUATION = /[\s\p{P}\p{S}]+/gu;

export function normalizeQuestion(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(PUNCTUATION, '');
}

function bigrams(text: string): Map<string, number> {
  const chars = [...text];
  const grams = new Map<string, number>();
  if (chars.length === 1) grams.set(chars[0]!, 1);
  for (let i = 0; i + 1 < chars.length; i++) {
    const gram = chars[i]! + chars[i + 1]!;
    grams.set(gram, (grams.get(gram) ?? 0) + 1);
  }
  return grams;
}

function dice(a: Map<string, number>, aSize: number, b: Map<string, number>, bSize: number): number {
  if (aSize === 0 || bSize === 0) return 0;
  let shared = 0;
  for (const [gram, count] of a) shared += Math.min(count, b.get(gram) ?? 0);
  return (2 * shared) / (aSize + bSize);
}

interface IndexedPhrase {
  entry: FaqEntry;
  phrase: string;
  grams: Map<string, number>;
  size: number;
}

const sizeOf = (grams: Map<string, number>) => [...grams.values()].reduce((a, b) => a + b, 0);

export class FaqIndex {
  private readonly phrases: IndexedPhrase[];

  constructor(
    entries: readonly FaqEntry[],
    private readonly threshold = DEFAULT_ANSWER_THRESHOLD,
  ) {
    // Bigrams of every phrasing are computed once here, not per question.
    this.phrases = entries.flatMap((entry) =>
      [entry.question, ...entry.variants].map((phrase) => {
        const grams = bigrams(normalizeQuestion(phrase));
        return { entry, phrase, grams, size: sizeOf(grams) };
      }),
    );
  }

  get size(): number {
    return new Set(this.phrases.map((p) => p.entry.id)).size;
  }

  /** The best entry at or above the threshold, or undefined. */
  search(text: string): FaqMatch | undefined {
    const grams = bigrams(normalizeQuestion(text));
    const size = sizeOf(grams);
    let best: FaqMatch | undefined;
    for (const p of this.phrases) {
      const score = dice(grams, size, p.grams, p.size);
      if (score > (best?.score ?? 0)) best = { entry: p.entry, score, matchedPhrase: p.phrase };
    }
    return best && best.score >= this.threshold ? best : undefined;
  }
}
