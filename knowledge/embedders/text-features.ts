import { createRequire } from 'node:module';
import { Jieba } from '@node-rs/jieba';

/**
 * Weighted features of a Chinese (or mixed) text for the built-in embedder: jieba search-mode words,
 * character bigrams and characters, each weighted by inverse document frequency from the IDF table that
 * ships with @node-rs/jieba (so common words such as 的/怎么/请问 count little). Nothing is downloaded.
 */

export interface FeatureWeights {
  /** Multiplier for jieba words. */
  word: number;
  /** Multiplier for character bigrams. */
  bigram: number;
  /** Multiplier for single characters. */
  char: number;
  /** IDF is raised to this power: above 1, rare (telling) words weigh more against common ones. */
  idfExponent: number;
}

const require = createRequire(import.meta.url);

interface Lexicon {
  jieba: Jieba;
  idf: Map<string, number>;
  /** IDF given to words the table does not know (rare, so informative): the table's median. */
  unknownIdf: number;
}

let lexicon: Lexicon | undefined;

/** Loads jieba's dictionary and IDF table once, on first use (about 0.5 s), never at start-up. */
function loadLexicon(): Lexicon {
  if (lexicon) return lexicon;
  const { dict, idf: idfText } = require('@node-rs/jieba/dict') as { dict: Buffer; idf: Buffer };
  const idf = new Map<string, number>();
  const values: number[] = [];
  for (const line of idfText.toString('utf8').split('\n')) {
    const space = line.lastIndexOf(' ');
    if (space <= 0) continue;
    const value = Number(line.slice(space + 1));
    idf.set(line.slice(0, space), value);
    values.push(value);
  }
  values.sort((a, b) => a - b);
  lexicon = { jieba: Jieba.withDict(dict), idf, unknownIdf: values[values.length >> 1] ?? 10 };
  return lexicon;
}

const SEPARATORS = /[\s\p{P}\p{S}]+/gu;

/** NFKC (full-width to half-width), lower case, punctuation and spaces removed. */
export function normalizeText(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(SEPARATORS, '');
}

/** Feature -> weight. Keys are prefixed by kind (`w:` word, `b:` bigram, `c:` char) so they never collide. */
export function textFeatures(text: string, weights: FeatureWeights): Map<string, number> {
  const { jieba, idf, unknownIdf } = loadLexicon();
  const normalized = normalizeText(text);
  const features = new Map<string, number>();
  const add = (key: string, weight: number) => features.set(key, (features.get(key) ?? 0) + weight);
  const idfOf = (token: string) => (idf.get(token) ?? unknownIdf) ** weights.idfExponent;

  for (const word of jieba.cutForSearch(normalized, true)) add(`w:${word}`, weights.word * idfOf(word));
  const chars = [...normalized];
  for (let i = 0; i < chars.length; i++) {
    add(`c:${chars[i]}`, weights.char * idfOf(chars[i]!));
    if (i + 1 < chars.length) {
      const bigram = chars[i]! + chars[i + 1]!;
      add(`b:${bigram}`, weights.bigram * idfOf(bigram));
    }
  }
  return features;
}

/**
 * Words for full-text search: jieba search-mode tokens of the normalised text. With `minIdf`, words
 * too common to tell documents apart (怎么, 的, 请问) are dropped, as a query should.
 */
export function searchTokens(text: string, minIdf = 0): string[] {
  const { jieba, idf, unknownIdf } = loadLexicon();
  const tokens = jieba.cutForSearch(normalizeText(text), true);
  return [...new Set(minIdf > 0 ? tokens.filter((t) => (idf.get(t) ?? unknownIdf) >= minIdf) : tokens)];
}
