/** The editable content of a knowledge article: what a revision holds and what imports carry. */
export interface ArticleContent {
  /** A knowledge_categories code, e.g. `social-insurance`. */
  category: string;
  title: string;
  /** The standard question (标准问). */
  question: string;
  /** Other ways citizens ask the same thing (相似问法). */
  variants: string[];
  /** For SMS and voice: one or two sentences. */
  answerShort: string;
  /** For web chat and WeChat: the full approved answer (口径). */
  answerFull: string;
  /** The owning department that maintains the answer. */
  department: string;
  tags: string[];
  /** `全市` (whole city) or a district name. */
  region: string;
  /** ISO date `YYYY-MM-DD`. */
  effectiveFrom: string;
  /** ISO date `YYYY-MM-DD`, exclusive; null when open-ended. */
  expiresAt: string | null;
  /** The policy document the answer rests on. */
  source: { title: string; url: string | null } | null;
}

/** An article with its id, as files, imports and exports carry it. */
export interface ArticleRecord extends ArticleContent {
  /** Stable, human-readable: letters, digits, dash; e.g. `social-insurance-007`. */
  id: string;
}

export const ARTICLE_ID_PATTERN = /^[a-z0-9][a-z0-9-]{1,79}$/;

export type ArticleStatus = 'draft' | 'in_review' | 'published' | 'retired';

/** One searchable phrasing of an article: what a citizen's question is compared with, by vector. */
export interface Phrasing {
  articleId: string;
  kind: 'title' | 'question' | 'variant' | 'answer' | 'passage';
  text: string;
}

/**
 * Longest passage of the full answer that gets a vector of its own. Embedders see a short text best: a
 * hashed bag of features blurs as it grows, and models embed ~500 tokens at most. 200 Chinese characters
 * is three or four sentences of an answer.
 */
export const PASSAGE_CHARS = 200;

/** An article's phrasings: title, standard question, each variant, the short answer, the full answer's passages. */
export function phrasingsOf(record: ArticleRecord): Phrasing[] {
  const of = (kind: Phrasing['kind'], text: string): Phrasing => ({ articleId: record.id, kind, text });
  return [
    of('title', record.title),
    of('question', record.question),
    ...record.variants.map((text) => of('variant', text)),
    of('answer', record.answerShort),
    ...passages(record.answerFull).map((text) => of('passage', text)),
  ];
}

/**
 * The text cut into passages of at most `max` characters at sentence ends (。！？；and line breaks), each
 * passage starting with the last sentence of the one before when that fits, so a statement spanning two
 * sentences is whole in one of them. A sentence longer than `max` is cut where it reaches it.
 */
export function passages(text: string, max = PASSAGE_CHARS): string[] {
  const sentences = (text.match(/[^。！？；!?;\n]+[。！？；!?;]*\n*/g) ?? [])
    .flatMap((s) => (s.length <= max ? [s] : (s.match(new RegExp(`[^]{1,${max}}`, 'g')) ?? [])))
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  const result: string[] = [];
  let current: string[] = [];
  const length = (parts: string[]) => parts.reduce((n, s) => n + s.length, 0);
  for (const sentence of sentences) {
    if (current.length > 0 && length(current) + sentence.length > max) {
      result.push(current.join(''));
      const last = current[current.length - 1]!;
      current = last.length + sentence.length <= max ? [last] : [];
    }
    current.push(sentence);
  }
  if (current.length > 0) result.push(current.join(''));
  return result;
}
