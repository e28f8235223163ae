/**
 * Where the rate-limiting plugins keep their counters (their `policy`): `local` in the node-wide counters
 * (`kong.counters`, exact across workers), `redis` in a Redis server, Sentinel set or Cluster shared by every
 * node, `cluster` in the node's PostgreSQL. Every store adds to counters atomically and returns the new values,
 * so a plugin can judge a request from counts that include it. With Redis and `sync_rate` > 0, counts are
 * batched in the worker and sent every `sync_rate` seconds instead (Kong's trade: fewer round trips, limits
 * approximate between syncs).
 */
import type { Kong } from '../../pdk/index.ts';
import { redisConnection, type RedisCommand, type RedisSettings } from '../shared/redis/connection.ts';
import { clusterIncrement, clusterRead, type ClusterScope } from './cluster-counters.ts';

/** One counter: its key (local and Redis), the end of its life, and the cluster policy's row for it. */
export interface CounterRow {
  readonly key: string;
  /** Epoch ms after which the counter is no longer needed (0 when only read). */
  readonly expiresAt: number;
  readonly identifier: string;
  /** The row's period (`minute`; `videos_minute` for response-ratelimiting). */
  readonly period: string;
  /** The window's start, epoch ms. */
  readonly start: number;
}

/** New values of the counters added to, and values of the counters read (0 when absent). */
export interface CounterValues {
  readonly added: number[];
  readonly read: number[];
}

export interface CounterStore {
  /** Adds `by` to every counter of `add` and reads every counter of `read`, in one round trip where it can. */
  update(kong: Kong, add: readonly CounterRow[], by: number, read: readonly CounterRow[], now: number): Promise<CounterValues>;
  /** Logs a failure of the store, at most once every 10 s. */
  logFailure(kong: Kong, err: unknown, now: number): void;
}

const LOG_INTERVAL_MS = 10_000;

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Logs at most once per interval per store. */
function throttledLog(describe: (err: unknown) => string): (kong: Kong, err: unknown, now: number) => void {
  let last = -LOG_INTERVAL_MS;
  return (kong, err, now) => {
    if (now - last < LOG_INTERVAL_MS) return;
    last = now;
    kong.log.err(`${describe(err)}; this is logged at most once every 10 s while it lasts`);
  };
}

/** The node's shared counters. */
export function localStore(plugin: string): CounterStore {
  return {
    async update(kong, add, by, read, now) {
      const counters = kong.counters;
      const immediate = counters.immediate?.() ?? null;
      if (immediate !== null) {
        // This worker holds the node's counters: no promise per counter.
        return { added: add.map((r) => immediate.incrNow(r.key, by, Math.max(1, r.expiresAt - now))), read: read.map((r) => immediate.getNow(r.key)) };
      }
      const added = add.map((r) => counters.incr(r.key, by, Math.max(1, r.expiresAt - now)));
      const values = read.map((r) => counters.get(r.key));
      return { added: await Promise.all(added), read: await Promise.all(values) };
    },
    logFailure: throttledLog((err) => `${plugin}: cannot reach the node counters (${message(err)})`),
  };
}

/** Redis, counting on every request (`sync_rate` = -1). */
export function redisStore(plugin: string, settings: RedisSettings): CounterStore {
  const key = JSON.stringify(settings);
  const connection = () => redisConnection(key, settings);
  return {
    async update(_kong, add, by, read) {
      const commands: RedisCommand[] = [];
      for (const r of add) commands.push(['incrby', r.key, by], ['pexpireat', r.key, r.expiresAt]);
      for (const r of read) commands.push(['get', r.key]);
      const replies = await connection().pipeline(commands);
      return {
        added: add.map((_, i) => Number(replies[2 * i])),
        read: read.map((_, i) => {
          const reply = replies[2 * add.length + i];
          return reply === null ? 0 : Number(reply);
        }),
      };
    },
    // Throttled per server (the connection), whichever configurations share it.
    logFailure(kong, err, now) {
      const conn = connection();
      if (conn.shouldLog(now)) kong.log.err(`${plugin}: Redis at ${conn.name} failed (${message(err)}); this is logged at most once every 10 s while it lasts`);
    },
  };
}

/** The node's PostgreSQL (the plugin's metrics table). */
export function clusterStore(plugin: string, scope: ClusterScope): CounterStore {
  return {
    async update(_kong, add, by, read, now) {
      const identifier = add[0]?.identifier ?? read[0]?.identifier ?? '';
      const [added, values] = await Promise.all([
        add.length > 0 ? clusterIncrement(scope, identifier, add, by, now) : new Map<string, number>(),
        clusterRead(scope, identifier, read),
      ]);
      return { added: add.map((r) => added.get(r.period) ?? 0), read: read.map((r) => values.get(r.period) ?? 0) };
    },
    logFailure: throttledLog((err) => `${plugin}: the database counters failed (${message(err)})`),
  };
}

/** A counter as a syncing worker sees it: the total Redis last reported, and what this worker added since. */
interface SyncedCounter {
  base: number;
  pending: number;
  expiresAt: number;
}

/**
 * Redis with `sync_rate` > 0: counts are kept in the worker, as Redis's total at the last sync plus what the
 * worker added since, and the additions go to Redis every `syncRate` seconds (one pipeline for all counters);
 * the replies bring the other workers' and nodes' counts back in. A counter the worker has not seen yet is read
 * from Redis once. Limits hold exactly within a worker and approximately across workers and nodes, as in Kong.
 */
export function syncedRedisStore(plugin: string, settings: RedisSettings, syncRate: number): CounterStore & { flush(): Promise<void> } {
  // One per worker and configuration, kept across snapshots: a new snapshot must not forget unsent counts.
  const id = `${plugin}|${syncRate}|${JSON.stringify(settings)}`;
  let store = syncedStores.get(id);
  if (store === undefined) {
    store = newSyncedRedisStore(plugin, settings, syncRate);
    syncedStores.set(id, store);
  }
  return store;
}

const syncedStores = new Map<string, CounterStore & { flush(): Promise<void> }>();

function newSyncedRedisStore(plugin: string, settings: RedisSettings, syncRate: number): CounterStore & { flush(): Promise<void> } {
  const redis = redisStore(plugin, settings);
  const connection = () => redisConnection(JSON.stringify(settings), settings);
  const counters = new Map<string, SyncedCounter>();
  let timer: NodeJS.Timeout | null = null;
  let flushing: Promise<void> | null = null;

  const flush = async (): Promise<void> => {
    const now = Date.now();
    const batch: [string, SyncedCounter, number][] = [];
    // Counters with nothing to send are asked too (INCRBY 0): their totals bring other workers' counts in.
    for (const [key, c] of counters) {
      if (c.expiresAt <= now) counters.delete(key);
      else batch.push([key, c, c.pending]);
    }
    if (batch.length === 0) return;
    const commands: RedisCommand[] = [];
    for (const [key, c, delta] of batch) commands.push(['incrby', key, delta], ['pexpireat', key, c.expiresAt]);
    const replies = await connection().pipeline(commands);
    batch.forEach(([, c, delta], i) => {
      c.pending -= delta;
      c.base = Number(replies[2 * i]);
    });
  };
  const schedule = (): void => {
    if (timer !== null) return;
    timer = setTimeout(() => {
      timer = null;
      flushing = flush()
        .catch(() => undefined)
        .finally(() => {
          flushing = null;
          if (counters.size > 0) schedule();
        });
    }, syncRate * 1000);
    timer.unref();
  };

  return {
    async update(kong, add, by, read, now) {
      const missing = [...add, ...read].filter((r) => !counters.has(r.key));
      if (missing.length > 0) {
        const fetched = await redis.update(kong, [], 0, missing, now);
        missing.forEach((r, i) => {
          if (!counters.has(r.key)) counters.set(r.key, { base: fetched.read[i], pending: 0, expiresAt: Math.max(r.expiresAt, now + 1000) });
        });
      }
      const added = add.map((r) => {
        const c = counters.get(r.key)!;
        c.pending += by;
        c.expiresAt = Math.max(c.expiresAt, r.expiresAt);
        return c.base + c.pending;
      });
      schedule();
      return { added, read: read.map((r) => { const c = counters.get(r.key)!; return c.base + c.pending; }) };
    },
    logFailure: redis.logFailure,
    async flush() {
      if (flushing !== null) await flushing;
      await flush();
    },
  };
}
