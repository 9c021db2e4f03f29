import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FaqIndex, normalizeQuestion, type FaqEntry } from './faq-index.js';

const demo = JSON.parse(readFileSync(new URL('./demo/faq.zh-CN.json', import.meta.url), 'utf8')) as {
  entries: Omit<FaqEntry, 'id'>[];
};
const entries: FaqEntry[] = demo.entries.map((e, i) => ({ ...e, id: i + 1 }));
const index = new FaqIndex(entries);
const idOf = (question: string) => entries.find((e) => e.question === question)!.id;

describe('FaqIndex', () => {
  it('normalises width, case, spaces and punctuation', () => {
    expect(normalizeQuestion(' 社保卡，丢了？ＡＢ ')).toBe('社保卡丢了ab');
  });

  // Phrasings written for this test, not copied from the variants.
  it.each([
    ['我的社保卡弄丢了，要怎么补办啊', '社保卡丢了怎么补办？'],
    ['请问怎么提取住房公积金', '住房公积金怎么提取？'],
    ['孩子刚出生怎么上户口', '新生儿怎么办理户口登记？'],
    ['工地晚上施工噪音太大了', '晚上施工噪音太大怎么投诉？'],
    ['老板拖欠工资不发怎么办', '公司拖欠工资怎么办？'],
  ])('matches the paraphrase %s', (text, question) => {
    expect(index.search(text)?.entry.id).toBe(idOf(question));
  });

  it.each(['今天天气怎么样', '你好', '火星上有水吗', ''])('does not answer the unrelated %j', (text) => {
    expect(index.search(text)).toBeUndefined();
  });

  it('scores an exact question at 1', () => {
    expect(index.search('住房公积金怎么提取？')?.score).toBe(1);
  });
});
