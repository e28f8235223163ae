/**
 * Where rate-limiting counts: `local` in the node-wide counters (`kong.counters`, exact across workers),
 * `redis` in a Redis server shared by every node. Both count a request by incrementing first and judging by
 * the value returned, so concurrent requests see distinct counts and a limit is never overshot; a request that
 * is turned away is then taken back out (Kong does not count refused requests with its local policy).
 */
import type { Kong } from '../../pdk/index.ts';
import { redisConnection, type RedisCommand, type RedisSettings } from './redis-connection.ts';

/** One counter a request touches: its current window, and for sliding windows the previous one. */
export interface CounterRef {
  readonly key: string;
  /** Epoch ms after which the counter is no longer needed. */
  readonly expiresAt: number;
  /** The previous window's counter (sliding windows), or null. */
  readonly previousKey: string | null;
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
  /** Logs a failure of the store, at most once per interval where the store allows it. */
  logFailure(kong: Kong, err: unknown, now: number): void;
}

let localLastLogged = 0;

export const localPolicy: Policy = {
  async hit(kong, refs, now) {
    const counters = kong.counters;
    const current = refs.map((r) => counters.incr(r.key, 1, Math.max(1, r.expiresAt - now)));
    const previous = refs.map((r) => (r.previousKey === null ? 0 : counters.get(r.previousKey)));
    return { current: await Promise.all(current), previous: await Promise.all(previous) };
  },
  async undo(kong, refs, now) {
    await Promise.all(refs.map((r) => kong.counters.incr(r.key, -1, Math.max(1, r.expiresAt - now))));
  },
  logFailure(kong, err, now) {
    if (now - localLastLogged < 10_000) return;
    localLastLogged = now;
    kong.log.err('rate-limiting: cannot reach the node counters (logged at most once every 10 s): ', err);
  },
};

/** A Redis policy for one server; its connection is the worker's shared one for that server. */
export function redisPolicy(connectionKey: string, settings: RedisSettings): Policy {
  const connection = () => redisConnection(connectionKey, settings);
  return {
    async hit(_kong, refs) {
      const commands: RedisCommand[] = [];
      for (const r of refs) {
        commands.push(['incrby', r.key, 1], ['pexpireat', r.key, r.expiresAt]);
        if (r.previousKey !== null) commands.push(['get', r.previousKey]);
      }
      const replies = await connection().pipeline(commands);
      const current: number[] = [];
      const previous: number[] = [];
      let i = 0;
      for (const r of refs) {
        current.push(Number(replies[i]));
        i += 2;
        if (r.previousKey !== null) {
          previous.push(replies[i] === null ? 0 : Number(replies[i]));
          i++;
        } else previous.push(0);
      }
      return { current, previous };
    },
    async undo(_kong, refs) {
      await connection().pipeline(refs.map((r) => ['decrby', r.key, 1] as const));
    },
    logFailure(kong, err, now) {
      const conn = connection();
      if (!conn.shouldLog(now)) return;
      kong.log.err(`rate-limiting: Redis at ${conn.name} failed (${err instanceof Error ? err.message : String(err)}); this is logged at most once every 10 s while it lasts`);
    },
  };
}
