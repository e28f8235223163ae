/**
 * Weighted round-robin, precomputed: the order of picks is laid out once per configuration as a sequence
 * (smooth weighted round-robin, so heavy targets are spread out rather than bunched), and a request only
 * advances an index.
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

/** A round-robin picker over items with weights. */
export class RoundRobin<T> {
  readonly #sequence: readonly T[];
  #next = 0;

  constructor(items: readonly T[], weights: readonly number[]) {
    this.#sequence = weightedSequence(weights).map((i) => items[i]);
    // Start each worker at a different place so that N workers do not hit the first target together.
    this.#next = this.#sequence.length > 0 ? Math.floor(Math.random() * this.#sequence.length) : 0;
  }

  get size(): number {
    return this.#sequence.length;
  }

  /** The next item, or undefined when every weight is zero. */
  pick(): T | undefined {
    const seq = this.#sequence;
    if (seq.length === 0) return undefined;
    const item = seq[this.#next];
    this.#next = this.#next + 1 === seq.length ? 0 : this.#next + 1;
    return item;
  }
}
