import { describe, expect, it } from 'vitest';
import { passages, phrasingsOf, PASSAGE_CHARS, type ArticleRecord } from './article.js';

describe('passages of a long answer', () => {
  it('keeps a short answer whole', () => {
    expect(passages('持身份证到任一社保经办网点补办。')).toEqual(['持身份证到任一社保经办网点补办。']);
    expect(passages('')).toEqual([]);
  });

  it('cuts at sentence ends, each passage within the limit and carrying the sentence before it', () => {
    const sentences = Array.from({ length: 12 }, (_, i) => `第${i + 1}步，按示例规定准备材料并到窗口办理相关手续。`);
    const parts = passages(sentences.join(''), 80);
    expect(parts.length).toBeGreaterThan(4);
    for (const part of parts) expect(part.length).toBeLessThanOrEqual(80);
    // Every sentence is in some passage, in order, and consecutive passages overlap by one sentence.
    for (const sentence of sentences) expect(parts.some((p) => p.includes(sentence))).toBe(true);
    for (let i = 1; i < parts.length; i++) {
      const last = parts[i - 1]!.match(/[^。]+。$/)![0];
      expect(parts[i]!.startsWith(last)).toBe(true);
    }
  });

  it('cuts a sentence longer than the limit where it reaches it', () => {
    const long = '甲'.repeat(PASSAGE_CHARS * 2 + 10);
    expect(passages(long).map((p) => p.length)).toEqual([PASSAGE_CHARS, PASSAGE_CHARS, 10]);
  });

  it('lists every phrasing of an article, passages last', () => {
    const record = {
      id: 'tax-001',
      title: '标题',
      question: '标准问？',
      variants: ['问法一', '问法二'],
      answerShort: '短答复。',
      answerFull: '完整答复。',
    } as ArticleRecord;
    expect(phrasingsOf(record).map((p) => [p.kind, p.text])).toEqual([
      ['title', '标题'],
      ['question', '标准问？'],
      ['variant', '问法一'],
      ['variant', '问法二'],
      ['answer', '短答复。'],
      ['passage', '完整答复。'],
    ]);
  });
});
