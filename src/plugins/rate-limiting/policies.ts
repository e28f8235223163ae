/**
 * Where rate-limiting counts: `local` in the node-wide counters (`kong.counters`, exact across workers),
 * `redis` in a Redis server shared by every node. Both count a request by incrementing first and judging by
 * the value returned, so concurrent requests see distinct counts and a limit is never overshot; a request that
 * is turned away is then taken back out (Kong does not count refused requests with its local policy).
 */
import type { Kong } from '../../pdk/index.ts';
import { redisConnection, type RedisCommand, type RedisSettings } from '../ratelimit-common/redis-connection.ts';
import { clusterIncrement, clusterRead, type ClusterScope } from '../ratelimit-common/cluster-counters.ts';

/** One counter a request touches: its current window, and for sliding windows the previous one. */
export interface CounterRef {
  readonly key: string;
  /** Epoch ms after which the counter is no longer needed. */
  readonly expiresAt: number;
  /** The previous window's counter (sliding windows), or null. */
  readonly previousKey: string | null;
  /** The same counter as the cluster policy's row: who, which period, the window's start (and the previous one's). */
  readonly identifier: string;
  readonly period: string;
  readonly start: number;
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

let clusterLastLogged = 0;

/**
 * The database policy: one upsert adds the request to every period's row and returns the new counts; sliding
 * windows read their previous rows alongside.
 */
export function clusterPolicy(scope: ClusterScope): Policy {
  const rows = (refs: readonly CounterRef[]) => refs.map((r) => ({ period: r.period, start: r.start, expiresAt: r.expiresAt }));
  return {
    async hit(_kong, refs, now) {
      const identifier = refs[0].identifier;
      const previousRows = refs.filter((r) => r.previousStart !== null).map((r) => ({ period: r.period, start: r.previousStart! }));
      const [current, previous] = await Promise.all([clusterIncrement(scope, identifier, rows(refs), 1, now), clusterRead(scope, identifier, previousRows)]);
      return {
        current: refs.map((r) => current.get(r.period) ?? 1),
        previous: refs.map((r) => (r.previousStart === null ? 0 : (previous.get(r.period) ?? 0))),
      };
    },
    async undo(_kong, refs, now) {
      await clusterIncrement(scope, refs[0].identifier, rows(refs), -1, now);
    },
    logFailure(kong, err, now) {
      if (now - clusterLastLogged < 10_000) return;
      clusterLastLogged = now;
      kong.log.err(`rate-limiting: the database counters failed (${err instanceof Error ? err.message : String(err)}); this is logged at most once every 10 s while it lasts`);
    },
  };
}
