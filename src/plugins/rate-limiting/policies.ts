/**
 * How rate-limiting counts a request in its store (`../ratelimit-common/counter-stores.ts`): it adds the
 * request to every period's counter first and judges by the values returned, so concurrent requests see
 * distinct counts and a limit is never overshot; a request that is turned away is then taken back out (Kong
 * does not count refused requests with its local policy). Sliding windows read the previous window alongside.
 */
import type { Kong } from '../../pdk/index.ts';
import type { CounterRow, CounterStore } from '../ratelimit-common/counter-stores.ts';

/** One counter a request touches: its current window, and for sliding windows the previous one. */
export interface CounterRef extends CounterRow {
  /** The previous window's counter (sliding windows), or null. */
  readonly previousKey: string | null;
  /** The previous window's start (sliding windows), or null. */
  readonly previousStart: number | null;
}

/** Counts after a hit: each current counter's new value and each previous counter's value (0 without one). */
export interface Counts {
  readonly current: number[];
  readonly previous: number[];
}

export interface Policy {
  /** Adds 1 to every current counter and reads the previous ones. */
  hit(kong: Kong, refs: readonly CounterRef[], now: number): Promise<Counts>;
  /** Takes a hit back (the request was refused). */
  undo(kong: Kong, refs: readonly CounterRef[], now: number): Promise<void>;
  /** Logs a failure of the store, at most once per interval. */
  logFailure(kong: Kong, err: unknown, now: number): void;
}

/** The counting policy over one store. */
export function storePolicy(store: CounterStore): Policy {
  return {
    async hit(kong, refs, now) {
      const previous: CounterRow[] = [];
      for (const r of refs) {
        if (r.previousKey !== null) previous.push({ key: r.previousKey, expiresAt: 0, identifier: r.identifier, period: r.period, start: r.previousStart! });
      }
      const values = await store.update(kong, refs, 1, previous, now);
      let j = 0;
      return { current: values.added, previous: refs.map((r) => (r.previousKey === null ? 0 : values.read[j++])) };
    },
    async undo(kong, refs, now) {
      await store.update(kong, refs, -1, [], now);
    },
    logFailure: (kong, err, now) => store.logFailure(kong, err, now),
  };
}
