/**
 * The windows a rate-limiting configuration counts in right now, and everything about them a request needs
 * (counter key suffixes, expiries), worked out once per window instead of once per request: a request only
 * compares its timestamp with the cached bounds. Month and year windows need a Date, so this also keeps Date
 * off the request path. The counter keys of recent identifiers are kept for the current windows too: the same
 * string objects request after request, whose hashes the counters' map lookups then find ready.
 */
import { previousWindow, windowAt, type Period, type Window } from '../ratelimit-common/windows.ts';

/** One moment's windows, one per configured period; never changed once made (a request may hold it across an await). */
export interface WindowSet {
  readonly windows: readonly Window[];
  /** `:<window start>:<period>`, the end of each current counter's key. */
  readonly keySuffixes: readonly string[];
  /** The same for the previous window (sliding windows), else null. */
  readonly previousSuffixes: readonly (string | null)[];
  readonly previousStarts: readonly (number | null)[];
  /** When each current counter is no longer needed: its window's end, or one window later when sliding. */
  readonly expiresAt: readonly number[];
  /** The span in which every window above is current. */
  readonly from: number;
  readonly until: number;
}

export class CurrentWindows {
  readonly #periods: readonly Period[];
  readonly #sliding: boolean;
  #set: WindowSet | null = null;

  constructor(periods: readonly Period[], sliding: boolean) {
    this.#periods = periods;
    this.#sliding = sliding;
  }

  /** The windows that contain `now`. */
  at(now: number): WindowSet {
    const set = this.#set;
    if (set !== null && now >= set.from && now < set.until) return set;
    return (this.#set = windowSetAt(this.#periods, this.#sliding, now));
  }
}

export function windowSetAt(periods: readonly Period[], sliding: boolean, now: number): WindowSet {
  const windows: Window[] = [];
  const keySuffixes: string[] = [];
  const previousSuffixes: (string | null)[] = [];
  const previousStarts: (number | null)[] = [];
  const expiresAt: number[] = [];
  let from = -Infinity;
  let until = Infinity;
  for (const period of periods) {
    const w = windowAt(period, now);
    windows.push(w);
    keySuffixes.push(`:${w.start}:${period}`);
    from = Math.max(from, w.start);
    until = Math.min(until, w.end);
    if (sliding) {
      const prev = previousWindow(period, w);
      previousSuffixes.push(`:${prev.start}:${period}`);
      previousStarts.push(prev.start);
      // A sliding window's counter is read again as the previous one during the next window.
      expiresAt.push(w.end + (w.end - w.start));
    } else {
      previousSuffixes.push(null);
      previousStarts.push(null);
      expiresAt.push(w.end);
    }
  }
  return { windows, keySuffixes, previousSuffixes, previousStarts, expiresAt, from, until };
}

/** A client's counter keys in one window set: the current ones, and the previous ones of sliding windows. */
export interface CounterKeys {
  readonly current: readonly string[];
  readonly previous: readonly (string | null)[];
}

/** How many identifiers' keys are kept per window set; past it the cache starts over (a flood of clients). */
const MAX_KEYED_IDENTIFIERS = 10_000;

/** The counter keys of the identifiers seen in the current window set, `<prefix><identifier>:<start>:<period>`. */
export class CounterKeyCache {
  readonly #prefix: string;
  #set: WindowSet | null = null;
  readonly #keys = new Map<string, CounterKeys>();

  constructor(prefix: string) {
    this.#prefix = prefix;
  }

  keysFor(identifier: string, set: WindowSet): CounterKeys {
    if (set !== this.#set) {
      this.#set = set;
      this.#keys.clear();
    }
    let keys = this.#keys.get(identifier);
    if (keys === undefined) {
      if (this.#keys.size >= MAX_KEYED_IDENTIFIERS) this.#keys.clear();
      const base = this.#prefix + identifier;
      keys = { current: set.keySuffixes.map((s) => base + s), previous: set.previousSuffixes.map((s) => (s === null ? null : base + s)) };
      this.#keys.set(identifier, keys);
    }
    return keys;
  }
}
