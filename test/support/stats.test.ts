import { describe, expect, it } from 'vitest';
import { compareTimings, median, wilcoxonSignedRank } from './stats.js';

describe('median', () => {
  it('is the middle value, or the mean of the two middle values', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(() => median([])).toThrow();
  });
});

describe('wilcoxonSignedRank', () => {
  it('matches SciPy (wilcoxon, method="approx", correction=True, zero_method="wilcox")', () => {
    // scipy.stats.wilcoxon(d, method='approx', correction=True) → statistic min(W+, W−) = 30.5, p = 0.00571709632951086
    const d = [1.2, -0.4, 2.5, 0.7, 0.7, -1.1, 3.3, 0.2, 1.9, -0.6, 2.2, 0.9, 1.4, -0.2, 0.8, 1.6, 2.8, -0.9, 0.5, 1.1];
    const result = wilcoxonSignedRank(d);
    expect(result.w).toBe(210 - 30.5);
    expect(result.p).toBeCloseTo(0.00571709632951086, 6);
    // Mirrored differences: the same p.
    expect(wilcoxonSignedRank(d.map((x) => -x)).p).toBeCloseTo(result.p, 10);
  });

  it('drops zero differences and gives p = 1 when nothing differs', () => {
    expect(wilcoxonSignedRank([0, 0, 0, 0]).p).toBe(1);
    expect(wilcoxonSignedRank([1, -1, 2, -2, 3, -3]).p).toBe(1);
  });
});

describe('compareTimings', () => {
  // Deterministic noise (a fixed LCG), so these checks cannot flicker.
  const noise = (seed: number) => () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 4;
  const pairs = (count: number, shiftMs: number) => {
    const next = noise(7);
    const a: number[] = [];
    const b: number[] = [];
    for (let i = 0; i < count; i++) {
      const load = 5 + 10 * Math.sin(i / 7); // a slowly drifting machine load, shared by both of a pair
      a.push(load + next() + shiftMs);
      b.push(load + next());
    }
    return { a, b };
  };

  it('does not flag pairs from one distribution', () => {
    const { a, b } = pairs(100, 0);
    expect(compareTimings(a, b).differ).toBe(false);
  });

  it('flags a steady 3 ms shift under a drifting load, and says which side is slower', () => {
    const { a, b } = pairs(100, 3);
    const result = compareTimings(a, b);
    expect(result.differ, result.summary).toBe(true);
    expect(result.shift).toBeGreaterThan(2);
    expect(compareTimings(b, a).shift).toBeLessThan(-2);
  });

  it('does not flag a consistent shift below minShiftMs', () => {
    const { a, b } = pairs(100, 0);
    const tiny = b.map((x) => x + 0.1);
    expect(compareTimings(tiny, b).p).toBeLessThan(0.001);
    expect(compareTimings(tiny, b).differ).toBe(false);
  });
});
