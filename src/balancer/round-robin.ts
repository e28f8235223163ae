/**
 * Weighted round-robin, precomputed: the order of picks is laid out once per configuration as a sequence
 * (smooth weighted round-robin, so heavy targets are spread out rather than bunched), and a request only
 * advances an index (RoundRobinBalancer in algorithms.ts).
 */

const MAX_SEQUENCE = 10_000;

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** Returns indexes into `weights`, in pick order. Zero-weight entries never appear. */
export function weightedSequence(weights: readonly number[]): number[] {
  const live = weights.map((w, i) => ({ i, w })).filter((x) => x.w > 0);
  if (live.length === 0) return [];
  let divisor = 0;
  for (const x of live) divisor = gcd(divisor, x.w);
  let reduced = live.map((x) => ({ i: x.i, w: x.w / divisor }));
  let total = reduced.reduce((s, x) => s + x.w, 0);
  if (total > MAX_SEQUENCE) {
    const scale = MAX_SEQUENCE / total;
    reduced = reduced.map((x) => ({ i: x.i, w: Math.max(1, Math.round(x.w * scale)) }));
    total = reduced.reduce((s, x) => s + x.w, 0);
  }
  const current = reduced.map(() => 0);
  const out: number[] = [];
  for (let n = 0; n < total; n++) {
    let best = 0;
    for (let k = 0; k < reduced.length; k++) {
      current[k] += reduced[k].w;
      if (current[k] > current[best]) best = k;
    }
    current[best] -= total;
    out.push(reduced[best].i);
  }
  return out;
}
