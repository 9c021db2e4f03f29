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
