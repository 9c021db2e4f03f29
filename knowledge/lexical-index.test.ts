import { describe, expect, it } from 'vitest';
import { confidence, fitConfidence } from './confidence.js';
import { LexicalIndex } from './lexical-index.js';

const docs = [
  { id: 'fund-withdraw-leave', texts: ['离职了公积金能全部取出来吗', '辞职后提取住房公积金'] },
  { id: 'fund-loan', texts: ['公积金贷款怎么申请', '住房公积金贷款申请'] },
  { id: 'fund-balance', texts: ['怎么查询公积金余额', '公积金账户余额在哪查'] },
  { id: 'id-card', texts: ['身份证丢了怎么补办', '居民身份证遗失补领'] },
];

describe('LexicalIndex (BM25 with the base’s own statistics)', () => {
  it('lets the word that decides win over the word every article shares', async () => {
    const index = await LexicalIndex.build(docs);
    // 公积金 is in three of four articles and says little; 余额 and 离职 decide.
    expect(index.search('公积金里还剩多少余额')[0]!.id).toBe('fund-balance');
    expect(index.search('我离职三个月了，公积金能取吗')[0]!.id).toBe('fund-withdraw-leave');
    expect(index.search('身份证掉了')[0]!.id).toBe('id-card');
  });

  it('lists only articles sharing something with the query, best first, up to the limit', async () => {
    const index = await LexicalIndex.build(docs);
    expect(index.search('量子纠缠')).toEqual([]);
    const hits = index.search('公积金', 2);
    expect(hits).toHaveLength(2);
    expect(hits[0]!.score).toBeGreaterThanOrEqual(hits[1]!.score);
    expect(await LexicalIndex.build([]).then((i) => i.search('公积金'))).toEqual([]);
  });
});

describe('confidence', () => {
  it('fits a model that ranks clear wins above ties', () => {
    const clear = { similarity: 0.8, margin: 0.4, lexicalShare: 0.9, lexicalFirst: true, vectorFirst: true };
    const tie = { similarity: 0.3, margin: 0.01, lexicalShare: 0.5, lexicalFirst: false, vectorFirst: false };
    const samples = Array.from({ length: 40 }, (_, i) =>
      i % 2 ? { features: clear, correct: i % 10 !== 1 } : { features: tie, correct: i % 10 === 0 },
    );
    const model = fitConfidence(samples);
    expect(confidence(clear, model)).toBeGreaterThan(0.7);
    expect(confidence(tie, model)).toBeLessThan(0.3);
  });
});
