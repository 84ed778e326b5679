/**
 * The statistics the timing tests share. Timing checks compare distributions of interleaved
 * samples; they never assert an absolute duration (the machine is shared and noisy).
 */

/** The middle value (the mean of the two middle values for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Standard normal upper tail P(Z > z), via the complementary error function (Numerical Recipes erfcc, |error| < 1.2e-7). */
function normalUpperTail(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.5 * x);
  const erfc =
    t *
    Math.exp(
      -x * x - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return z >= 0 ? erfc / 2 : 1 - erfc / 2;
}

/**
 * Wilcoxon signed-rank test (w: the sum of the positive differences' ranks) of paired differences (each pair measured back to back), two-sided,
 * normal approximation with tie correction; zero differences are dropped (Wilcoxon's rule).
 * Pairing cancels what drifts slowly (the machine's load), so it sees a small steady shift that
 * an unpaired test on a busy machine misses.
 */
export function wilcoxonSignedRank(differences: readonly number[]): { w: number; z: number; p: number } {
  const nonZero = differences.filter((d) => d !== 0).map((d) => ({ size: Math.abs(d), positive: d > 0 }));
  const n = nonZero.length;
  if (n < 2) return { w: 0, z: 0, p: 1 };
  nonZero.sort((x, y) => x.size - y.size);
  let positiveRankSum = 0;
  let tieTerm = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && nonZero[j + 1]!.size === nonZero[i]!.size) j++;
    const rank = (i + j + 2) / 2;
    const size = j - i + 1;
    tieTerm += size ** 3 - size;
    for (let k = i; k <= j; k++) if (nonZero[k]!.positive) positiveRankSum += rank;
    i = j + 1;
  }
  const mean = (n * (n + 1)) / 4;
  const sd = Math.sqrt((n * (n + 1) * (2 * n + 1)) / 24 - tieTerm / 48);
  if (sd === 0) return { w: positiveRankSum, z: 0, p: 1 };
  const z = (positiveRankSum - mean - Math.sign(positiveRankSum - mean) * 0.5) / sd;
  return { w: positiveRankSum, z, p: Math.min(1, 2 * normalUpperTail(Math.abs(z))) };
}

export interface TimingComparison {
  medianA: number;
  medianB: number;
  /** Median of the paired differences a_i − b_i, in the samples' unit. */
  shift: number;
  /** Two-sided p-value of the signed-rank test: how likely pairs this one-sided are if both paths take the same time. */
  p: number;
  /** True when the pairs differ beyond chance (p < alpha) by at least minShift. */
  differ: boolean;
  summary: string;
}

/**
 * Do two timing samples (ms), taken as interleaved pairs (a_i and b_i back to back, the order
 * alternating), come from paths that take different times? A rank test on the pairs' differences,
 * so a few slow outliers (GC, another process on the machine) weigh no more than any other pair,
 * plus the median difference, so a shift far below a millisecond (`minShiftMs`) is not reported.
 */
export function compareTimings(a: readonly number[], b: readonly number[], options: { alpha?: number; minShiftMs?: number } = {}): TimingComparison {
  if (a.length !== b.length) throw new Error('compareTimings takes paired samples of equal length');
  const alpha = options.alpha ?? 0.001;
  const minShift = options.minShiftMs ?? 0.5;
  const differences = a.map((x, i) => x - b[i]!);
  const { p } = wilcoxonSignedRank(differences);
  const shift = median(differences);
  const medianA = median(a);
  const medianB = median(b);
  const differ = p < alpha && Math.abs(shift) >= minShift;
  const summary = `medians ${medianA.toFixed(2)} vs ${medianB.toFixed(2)} ms, median paired difference ${shift.toFixed(2)} ms, Wilcoxon signed-rank p = ${p.toExponential(2)} (${a.length} pairs; differ when p < ${alpha} and |difference| >= ${minShift} ms)`;
  return { medianA, medianB, shift, p, differ, summary };
}
