import { describe, expect, it } from 'vitest';
import { accuracy, bestThreshold, charOverlap, splitEvaluate } from './lcqmc.js';

describe('LCQMC evaluation helpers', () => {
  it('picks the threshold that separates the labels best', () => {
    const scores = [0.1, 0.2, 0.3, 0.7, 0.8, 0.9];
    const labels = [false, false, false, true, true, true];
    const t = bestThreshold(scores, labels);
    expect(t).toBeGreaterThan(0.3);
    expect(t).toBeLessThan(0.7);
    expect(accuracy(scores, labels, t)).toBe(1);
  });

  it('keeps the best accuracy when the labels overlap', () => {
    const scores = [0.1, 0.4, 0.5, 0.6, 0.9];
    const labels = [false, true, false, true, true];
    expect(accuracy(scores, labels, bestThreshold(scores, labels))).toBe(0.8);
  });

  it('chooses on the first half and measures on the second', () => {
    const pairs = [
      { a: '甲', b: '甲', same: true },
      { a: '甲', b: '乙', same: false },
      { a: '丙', b: '丙', same: true },
      { a: '丙', b: '丁', same: false },
    ];
    const result = splitEvaluate(pairs, (p) => charOverlap(p.a, p.b));
    expect(result.trainAccuracy).toBe(1);
    expect(result.testAccuracy).toBe(1);
  });

  it('measures character overlap as Jaccard over character sets', () => {
    expect(charOverlap('社保卡', '社保卡')).toBe(1);
    expect(charOverlap('社保', '保险')).toBeCloseTo(1 / 3);
    expect(charOverlap('', '')).toBe(0);
  });
});
