/**
 * Kong's four balancing algorithms over one upstream's targets. Each is compiled when the configuration
 * changes; a pick is a scan of a few numbers or one hash and a table walk.
 */
import { weightedSequence } from './round-robin.ts';
import { xxhash32 } from './xxhash32.ts';
import type { BalancerRequest, BalancerTarget, TargetBalancer } from './types.ts';

/** Weighted round-robin; a retry takes the next target in the sequence, as in Kong. */
export class RoundRobinBalancer implements TargetBalancer {
  readonly hashes = false;
  readonly release = null;
  readonly down: Uint8Array;
  readonly #sequence: number[];
  #next: number;

  constructor(targets: readonly BalancerTarget[]) {
    this.down = new Uint8Array(targets.length);
    this.#sequence = weightedSequence(targets.map((t) => t.weight));
    // Each worker starts at a different place so that N workers do not hit the first target together.
    this.#next = this.#sequence.length > 0 ? Math.floor(Math.random() * this.#sequence.length) : 0;
  }

  pick(): number {
    const seq = this.#sequence;
    // Unhealthy targets are passed over: at most one lap of the sequence.
    for (let k = 0; k < seq.length; k++) {
      const target = seq[this.#next];
      this.#next = this.#next + 1 === seq.length ? 0 : this.#next + 1;
      if (this.down[target] === 0) return target;
    }
    return -1;
  }
}

/** Points per target on Kong's continuum when all weights are equal. */
const POINTS_PER_TARGET = 160;
const MIN_CONTINUUM = 1000;

/**
 * Kong's consistent hashing: a continuum of `slots` positions (at least 1,000) on which every target holds
 * points in proportion to its weight, placed by XXH32 of `"<host>::<port> <n>"` in target order (host, then
 * port). A request's value is hashed to a position and walks down to the first point held. Retries keep the
 * position, so they go to the same target, as in Kong.
 */
export class ConsistentHashingBalancer implements TargetBalancer {
  readonly hashes = true;
  readonly release = null;
  readonly down: Uint8Array;
  readonly #continuum: Int32Array;
  readonly #input: (request: BalancerRequest) => string;
  readonly #empty: boolean;

  constructor(targets: readonly BalancerTarget[], slots: number, input: (request: BalancerRequest) => string) {
    this.#input = input;
    this.down = new Uint8Array(targets.length);
    const points = Math.max(MIN_CONTINUUM, slots);
    const continuum = new Int32Array(points).fill(-1);
    const order = targets.map((t, i) => ({ t, i })).sort((a, b) => (a.t.host < b.t.host ? -1 : a.t.host > b.t.host ? 1 : a.t.port - b.t.port));
    const totalWeight = targets.reduce((sum, t) => sum + t.weight, 0);
    let free = points;
    for (const { t, i } of order) {
      if (t.weight <= 0) continue;
      let entries = Math.max(1, Math.floor((t.weight / totalWeight) * targets.length * POINTS_PER_TARGET));
      for (let n = 1; n <= entries && free > 0; n++) {
        const at = xxhash32(`${t.host}::${t.port} ${n}`) % points;
        if (continuum[at] === -1) {
          continuum[at] = i;
          free--;
        } else {
          entries++; // a collision: the target takes its next name instead
        }
      }
    }
    this.#continuum = continuum;
    this.#empty = free === points;
  }

  pick(request: BalancerRequest | null, _tried: readonly number[] | null): number {
    if (this.#empty || request === null) return -1;
    request.hashValue ??= this.#input(request);
    const continuum = this.#continuum;
    const start = xxhash32(request.hashValue) % continuum.length;
    for (let k = 0, at = start; k < continuum.length; k++, at = at === 0 ? continuum.length - 1 : at - 1) {
      // An unhealthy target's points are passed over, to the next target down the continuum, as in Kong.
      if (continuum[at] !== -1 && this.down[continuum[at]] === 0) return continuum[at];
    }
    return -1;
  }
}

/** Whether target `i` can take a request: healthy, weight above zero and not already failed, unless all failed. */
function eligible(targets: readonly BalancerTarget[], down: Uint8Array, tried: readonly number[] | null, i: number, allTried: boolean): boolean {
  return targets[i].weight > 0 && down[i] === 0 && (allTried || tried === null || !tried.includes(i));
}

function everyLiveTried(targets: readonly BalancerTarget[], down: Uint8Array, tried: readonly number[] | null): boolean {
  if (tried === null) return false;
  for (let i = 0; i < targets.length; i++) if (targets[i].weight > 0 && down[i] === 0 && !tried.includes(i)) return false;
  return true;
}

/**
 * The eligible target with the lowest score, or -1. The scan starts at `start`, so that among equal scores
 * the targets take turns.
 */
function lowestScore(targets: readonly BalancerTarget[], down: Uint8Array, tried: readonly number[] | null, start: number, scores: Float64Array): number {
  const n = targets.length;
  const allTried = everyLiveTried(targets, down, tried);
  let best = -1;
  for (let k = 0; k < n; k++) {
    const i = (start + k) % n;
    if (eligible(targets, down, tried, i, allTried) && (best === -1 || scores[i] < scores[best])) best = i;
  }
  return best;
}

/**
 * Kong's least-connections: the target with the lowest (requests in flight + 1) / weight. A retry avoids the
 * targets the request already failed on until it has failed on all of them. Ties go round the targets.
 */
export class LeastConnectionsBalancer implements TargetBalancer {
  readonly hashes = false;
  readonly down: Uint8Array;
  readonly #targets: readonly BalancerTarget[];
  readonly #active: Int32Array;
  /** (requests in flight + 1) / weight, kept up to date as requests start and end. */
  readonly #load: Float64Array;
  #start = 0;

  constructor(targets: readonly BalancerTarget[]) {
    this.#targets = targets;
    this.down = new Uint8Array(targets.length);
    this.#active = new Int32Array(targets.length);
    this.#load = Float64Array.from(targets, (t) => 1 / t.weight);
  }

  /** Requests in flight per target (for tests and the status API). */
  get active(): readonly number[] {
    return [...this.#active];
  }

  pick(_request: BalancerRequest | null, tried: readonly number[] | null): number {
    const best = lowestScore(this.#targets, this.down, tried, this.#start, this.#load);
    if (best !== -1) {
      this.#count(best, 1);
      this.#start = (best + 1) % this.#targets.length;
    }
    return best;
  }

  readonly release = (target: number, _ms: number): void => {
    if (this.#active[target] > 0) this.#count(target, -1);
  };

  #count(target: number, delta: number): void {
    this.#active[target] += delta;
    this.#load[target] = (this.#active[target] + 1) / this.#targets[target].weight;
  }
}

/** Seconds over which a latency sample fades (Kong's peak-EWMA decay time). */
const DECAY_SECONDS = 10;

/**
 * Kong's latency algorithm: an exponentially weighted moving average of each target's response time,
 * fading towards zero while the target is not used (so a slow target is tried again later), divided by its
 * weight; the lowest wins. Targets never measured score zero and are tried first.
 *
 * Every score fades by the same factor as time passes, so their order only changes when a sample arrives:
 * each target keeps a rank, log(average / weight) + sampled-at / decay time, that orders targets as their
 * scores do at any moment, and a pick is a plain minimum with no exponential per target.
 */
export class LatencyBalancer implements TargetBalancer {
  readonly hashes = false;
  readonly down: Uint8Array;
  readonly #targets: readonly BalancerTarget[];
  readonly #ewma: Float64Array;
  readonly #touched: Float64Array;
  readonly #rank: Float64Array;
  readonly #now: () => number;
  #start = 0;

  /** `now` returns seconds; tests pass a clock. */
  constructor(targets: readonly BalancerTarget[], now: () => number = () => performance.now() / 1000) {
    this.#targets = targets;
    this.down = new Uint8Array(targets.length);
    this.#ewma = new Float64Array(targets.length);
    // Never touched: the first sample is taken whole.
    this.#touched = new Float64Array(targets.length).fill(-Infinity);
    this.#rank = new Float64Array(targets.length).fill(-Infinity);
    this.#now = now;
  }

  #decayed(i: number, sample: number, now: number): number {
    const elapsed = Math.max(0, now - this.#touched[i]);
    const w = Math.exp(-elapsed / DECAY_SECONDS);
    return this.#ewma[i] * w + sample * (1 - w);
  }

  /** The score each target would have now (for tests). */
  scores(): number[] {
    const now = this.#now();
    return this.#targets.map((t, i) => this.#decayed(i, 0, now) / t.weight);
  }

  pick(_request: BalancerRequest | null, tried: readonly number[] | null): number {
    const best = lowestScore(this.#targets, this.down, tried, this.#start, this.#rank);
    if (best !== -1) this.#start = (best + 1) % this.#targets.length;
    return best;
  }

  readonly release = (target: number, ms: number): void => {
    if (ms < 0) return;
    const now = this.#now();
    const ewma = this.#decayed(target, ms, now);
    this.#ewma[target] = ewma;
    this.#touched[target] = now;
    this.#rank[target] = ewma > 0 ? Math.log(ewma / this.#targets[target].weight) + now / DECAY_SECONDS : -Infinity;
  };
}
