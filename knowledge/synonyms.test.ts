import { describe, expect, it } from 'vitest';
import { SynonymDictionary } from './synonyms.js';

const synonyms = new SynonymDictionary([
  ['社保卡', '社会保障卡', '市民卡'],
  ['社保', '社会保险'],
  ['公积金', '住房公积金'],
]);

describe('SynonymDictionary', () => {
  it('adds the other members of a group the text mentions', () => {
    expect(synonyms.expand('社会保障卡丢了')).toBe('社会保障卡丢了 社保卡 市民卡');
  });

  it('matches the longest term first: 社保卡 does not also expand 社保', () => {
    expect(synonyms.expand('社保卡丢了')).toBe('社保卡丢了 社会保障卡 市民卡');
    expect(synonyms.expand('社保怎么交')).toBe('社保怎么交 社会保险');
  });

  it('adds nothing the text already says, and leaves other text alone', () => {
    expect(synonyms.expand('公积金和住房公积金')).toBe('公积金和住房公积金');
    expect(synonyms.expand('明天会下雨吗')).toBe('明天会下雨吗');
  });
});
