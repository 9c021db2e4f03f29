import { describe, expect, it } from 'vitest';
import { TextClassifier } from './text-classifier.js';

const examples = [
  ...['社保卡丢了怎么补办', '公积金怎么提取', '办居住证要什么材料', '医保报销比例是多少', '个税怎么申报'].map(
    (text) => ({
      text,
      label: 'consultation',
    }),
  ),
  ...['楼下烧烤店油烟太大', '物业乱收费还不管事', '商家不给退押金', '工地半夜施工太吵', '快递员态度太差'].map(
    (text) => ({
      text,
      label: 'complaint',
    }),
  ),
  ...[
    '感谢社区网格员帮忙',
    '表扬抢修师傅半夜修水管',
    '谢谢民警帮我找回孩子',
    '给窗口工作人员点赞',
    '医生很负责，特此感谢',
  ].map((text) => ({ text, label: 'praise' })),
];

describe('TextClassifier', () => {
  it('learns labels from examples and ranks every label with a probability', () => {
    const classifier = TextClassifier.train(examples);
    expect(classifier.labels).toEqual(['complaint', 'consultation', 'praise']);
    const result = classifier.classify('小区物业收费太乱了，投诉他们');
    expect(result.label).toBe('complaint');
    expect(result.ranked.map((r) => r.label)).toHaveLength(3);
    expect(result.ranked.reduce((sum, r) => sum + r.probability, 0)).toBeCloseTo(1, 6);
    expect(classifier.classify('想问一下公积金提取要带什么材料').label).toBe('consultation');
    expect(classifier.classify('非常感谢抢修的师傅').label).toBe('praise');
  });

  it('is less sure of a text unlike any example', () => {
    const classifier = TextClassifier.train(examples);
    expect(classifier.classify('量子计算机').confidence).toBeLessThan(classifier.classify('物业乱收费').confidence);
  });

  it('trains the same model from the same examples', () => {
    const a = TextClassifier.train(examples).classify('油烟太大');
    const b = TextClassifier.train(examples).classify('油烟太大');
    expect(a).toEqual(b);
  });

  it('needs two labels at least', () => {
    expect(() => TextClassifier.train(examples.slice(0, 5))).toThrow('at least two labels');
  });
});
