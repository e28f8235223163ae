/**
 * rate-limiting: counts requests per client (consumer, credential, IP, service, header or path) in second to
 * year windows, in the node's counters or in Redis, and answers `error_code` past a limit, with Kong's
 * `X-RateLimit-*`, `RateLimit-*` and `Retry-After` headers. Counting happens in `access`, before the request is
 * proxied, as Kong does; unlike Kong's, the count is taken atomically first, so bursts never overshoot.
 */
import type { Kong, PluginHandler } from '../../pdk/index.ts';
import type { ImmediateCounters } from '../../pdk/shared-state.ts';
import type { PluginEntityScope } from '../../pdk/plugin-handler.ts';
import type { RateLimitingConfig } from './schema.ts';
import { redisSettings } from '../shared/redis/settings.ts';
import { storePolicy, type CounterRef, type Counts, type Policy } from './policies.ts';
import { clusterStore, localStore, redisStore, syncedRedisStore, type CounterStore } from '../ratelimit-common/counter-stores.ts';
import {
  PERIODS,
  PERIOD_TITLES,
  previousWeight,
  resetSeconds,
  slidingRetryAfter,
  slidingUsage,
  windowAt,
  type Period,
  type Window,
} from '../ratelimit-common/windows.ts';
import { CounterKeyCache, CurrentWindows, type WindowSet } from './current-windows.ts';

/** Kong's placeholder for a plugin that is not scoped to a route or service. */
const EMPTY_UUID = '00000000-0000-0000-0000-000000000000';
const NAME = 'rate-limiting';

interface PeriodLimit {
  readonly period: Period;
  readonly limit: number;
  readonly limitHeader: string;
  readonly remainingHeader: string;
}

export interface RateLimitingConf {
  readonly limits: readonly PeriodLimit[];
  readonly keyPrefix: string;
  readonly limitBy: string;
  readonly headerName: string | null;
  readonly path: string | null;
  /** The consumer group the plugin is scoped to (what `limit_by = consumer-group` counts), or null. */
  readonly consumerGroup: string | null;
  readonly sliding: boolean;
  readonly policy: Policy;
  /** Policy local: counted at once when this worker holds the node's counters. */
  readonly local: boolean;
  readonly windows: CurrentWindows;
  readonly keys: CounterKeyCache;
  readonly faultTolerant: boolean;
  readonly hideClientHeaders: boolean;
  readonly errorCode: number;
  readonly errorMessage: string;
}

function prepare(config: RateLimitingConfig, _data: unknown, entity?: PluginEntityScope): RateLimitingConf {
  const limits: PeriodLimit[] = [];
  for (const period of PERIODS) {
    const limit = config[period];
    if (typeof limit === 'number') {
      limits.push({ period, limit, limitHeader: `X-RateLimit-Limit-${PERIOD_TITLES[period]}`, remainingHeader: `X-RateLimit-Remaining-${PERIOD_TITLES[period]}` });
    }
  }
  // Kong's counter keys: the plugin's route and service (not the request's), so a service-wide plugin counts
  // once for all of the service's routes.
  const route = entity?.route ?? EMPTY_UUID;
  const service = entity?.service ?? EMPTY_UUID;
  const keyPrefix = `ratelimit:${route}:${service}:`;
  let store: CounterStore;
  if (config.policy === 'redis') {
    const settings = redisSettings(config.redis ?? {});
    store = config.sync_rate > 0 ? syncedRedisStore(NAME, settings, config.sync_rate) : redisStore(NAME, settings);
  } else if (config.policy === 'cluster') {
    store = clusterStore(NAME, { table: 'ratelimiting_metrics', service, route });
  } else store = localStore(NAME);
  return {
    limits,
    keyPrefix,
    limitBy: config.limit_by,
    headerName: config.header_name ?? null,
    path: config.path ?? null,
    consumerGroup: entity?.consumer_group ?? null,
    sliding: config.window_type === 'sliding',
    policy: storePolicy(store),
    local: config.policy === 'local',
    windows: new CurrentWindows(limits.map((l) => l.period), config.window_type === 'sliding'),
    keys: new CounterKeyCache(keyPrefix),
    faultTolerant: config.fault_tolerant,
    hideClientHeaders: config.hide_client_headers,
    errorCode: config.error_code,
    errorMessage: config.error_message,
  };
}

/** Who the request is counted for, falling back to the client's address as Kong does. */
function identifierOf(kong: Kong, conf: RateLimitingConf): string {
  let id: unknown;
  switch (conf.limitBy) {
    case 'service':
      id = kong.router.getService()?.id;
      break;
    case 'consumer':
      id = kong.client.getConsumer()?.id ?? kong.client.getCredential()?.id;
      break;
    case 'credential':
      id = kong.client.getCredential()?.id;
      break;
    case 'header':
      id = kong.request.getHeader(conf.headerName!);
      break;
    case 'path': {
      const path = kong.request.getPath();
      if (path === conf.path) id = path;
      break;
    }
    case 'consumer-group':
      // Kong's rule: the plugin's own group, when the consumer is in it; a plugin not scoped to a group (or a
      // consumer outside it) counts by the client's address.
      if (conf.consumerGroup !== null && kong.client.getConsumerGroups().some((g) => g.id === conf.consumerGroup)) id = conf.consumerGroup;
      break;
  }
  return typeof id === 'string' && id !== '' ? id : kong.client.getForwardedIp();
}

/** The windows a request falls in, one per configured period. */
export function windowsAt(conf: Pick<RateLimitingConf, 'limits'>, now: number): Window[] {
  return conf.limits.map((l) => windowAt(l.period, now));
}

/** The counters of one identifier for the request's windows (`<prefix><identifier>:<start>:<period>`, as Kong). */
export function counterRefs(conf: Pick<RateLimitingConf, 'limits' | 'keyPrefix'>, identifier: string, set: WindowSet): CounterRef[] {
  const base = conf.keyPrefix + identifier;
  return conf.limits.map((l, i) => {
    const previous = set.previousSuffixes[i];
    return {
      key: base + set.keySuffixes[i],
      expiresAt: set.expiresAt[i],
      previousKey: previous === null ? null : base + previous,
      identifier,
      period: l.period,
      start: set.windows[i].start,
      previousStart: set.previousStarts[i],
    };
  });
}

const USED: number[] = [];

/** What the counts mean for a request: its headers, and whether it is refused. */
export interface Verdict {
  readonly refused: boolean;
  readonly headers: Record<string, number>;
}

/**
 * Judges a request from its counts (which include it) as Kong does: per period, the limit and what remains
 * after this request; `RateLimit-*` for the most constrained period (least remaining, the longer window on a
 * tie) with the seconds until it resets; `Retry-After` as well when refused.
 */
export function judge(conf: Pick<RateLimitingConf, 'limits' | 'sliding'>, windows: readonly Window[], counts: Counts, now: number): Verdict {
  // judge runs to completion without yielding, so one scratch array serves every call.
  const used = USED;
  let stop = -1;
  for (let i = 0; i < conf.limits.length; i++) {
    const before = counts.current[i] - 1;
    used[i] = conf.sliding ? slidingUsage(counts.previous[i], before, previousWeight(windows[i], now)) : before;
    if (conf.limits[i].limit - used[i] <= 0) stop = i;
  }
  const headers: Record<string, number> = {};
  let best = -1;
  let bestRemaining = 0;
  for (let i = 0; i < conf.limits.length; i++) {
    const l = conf.limits[i];
    let remaining = l.limit - used[i];
    if (stop === -1 || stop === i) remaining -= 1;
    remaining = Math.max(0, remaining);
    // Periods are in increasing length, so `<=` prefers the longer window on a tie.
    if (best === -1 || remaining <= bestRemaining) {
      best = i;
      bestRemaining = remaining;
    }
    headers[l.limitHeader] = l.limit;
    headers[l.remainingHeader] = remaining;
  }
  const w = windows[best];
  const l = conf.limits[best];
  let reset = resetSeconds(w, now);
  if (conf.sliding && stop !== -1 && bestRemaining === 0) {
    // The refused request is not counted: the wait is judged from the counts before it.
    reset = slidingRetryAfter(l.period, w, now, l.limit, counts.previous[best], counts.current[best] - 1);
  }
  headers['RateLimit-Limit'] = l.limit;
  headers['RateLimit-Remaining'] = bestRemaining;
  headers['RateLimit-Reset'] = reset;
  if (stop !== -1) headers['Retry-After'] = reset;
  return { refused: stop !== -1, headers };
}

/** The node's counters when this worker holds them (answered without a promise), else null. */
function immediateCounters(kong: Kong): ImmediateCounters | null {
  try {
    return kong.counters.immediate?.() ?? null;
  } catch {
    // No node counters in this process: the store path reports it (or lets the request through).
    return null;
  }
}

function access(kong: Kong, conf: RateLimitingConf): void | Promise<void> {
  const now = Date.now();
  const identifier = identifierOf(kong, conf);
  const set = conf.windows.at(now);
  if (conf.local) {
    const counters = immediateCounters(kong);
    if (counters !== null) return countNow(kong, conf, counters, identifier, set, now);
    return countAcrossWorkers(kong, conf, identifier, set, now);
  }
  return countInStore(kong, conf, identifier, set, now);
}

const SCRATCH_COUNTS: Counts = { current: [], previous: [] };

/**
 * The local policy in the worker that holds the node's counters: the same counting as the store path (add to
 * every current counter, read the previous ones, take the hit back when refused), with no promise.
 */
function countNow(kong: Kong, conf: RateLimitingConf, counters: ImmediateCounters, identifier: string, set: WindowSet, now: number): void {
  const n = conf.limits.length;
  const keys = conf.keys.keysFor(identifier, set);
  // Synchronous from here to judge's return: the scratch counts cannot be seen by another request.
  const counts = SCRATCH_COUNTS;
  for (let i = 0; i < n; i++) counts.current[i] = counters.incrNow(keys.current[i], 1, Math.max(1, set.expiresAt[i] - now));
  for (let i = 0; i < n; i++) {
    const key = keys.previous[i];
    counts.previous[i] = key === null ? 0 : counters.getNow(key);
  }
  const verdict = judge(conf, set.windows, counts, now);
  if (verdict.refused) {
    for (let i = 0; i < n; i++) counters.incrNow(keys.current[i], -1, Math.max(1, set.expiresAt[i] - now));
    refuse(kong, conf, verdict);
    return;
  }
  if (!conf.hideClientHeaders) kong.response.setHeaders(verdict.headers);
}

/**
 * The local policy on a node of several workers: the node's counters are across a socket, so the request's
 * calls go out together (one write for the event-loop turn) and it waits once for all the answers. The same
 * counting and failure handling as the store path, with one promise instead of a layer per abstraction.
 */
async function countAcrossWorkers(kong: Kong, conf: RateLimitingConf, identifier: string, set: WindowSet, now: number): Promise<void> {
  const n = conf.limits.length;
  const keys = conf.keys.keysFor(identifier, set);
  let values: number[];
  try {
    const counters = kong.counters;
    const calls: Promise<number>[] = [];
    for (let i = 0; i < n; i++) calls.push(counters.incr(keys.current[i], 1, Math.max(1, set.expiresAt[i] - now)));
    for (let i = 0; i < n; i++) {
      const key = keys.previous[i];
      if (key !== null) calls.push(counters.get(key));
    }
    values = calls.length === 1 ? [await calls[0]] : await Promise.all(calls);
  } catch (err) {
    if (!conf.faultTolerant) throw new Error(`rate-limiting: cannot count the request: ${err instanceof Error ? err.message : String(err)}`);
    conf.policy.logFailure(kong, err, now);
    return;
  }
  const current = values.slice(0, n);
  // Every window is sliding or none is: the previous counts follow the current ones in the same order.
  const previous = conf.sliding ? values.slice(n) : new Array<number>(n).fill(0);
  const verdict = judge(conf, set.windows, { current, previous }, now);
  if (verdict.refused) {
    try {
      const counters = kong.counters;
      const undo: Promise<number>[] = [];
      for (let i = 0; i < n; i++) undo.push(counters.incr(keys.current[i], -1, Math.max(1, set.expiresAt[i] - now)));
      await Promise.all(undo);
    } catch (err) {
      conf.policy.logFailure(kong, err, now);
    }
    refuse(kong, conf, verdict);
    return;
  }
  if (!conf.hideClientHeaders) kong.response.setHeaders(verdict.headers);
}

function refuse(kong: Kong, conf: RateLimitingConf, verdict: Verdict): void {
  const headers = conf.hideClientHeaders ? undefined : verdict.headers;
  if (conf.errorCode >= 400 && conf.errorCode <= 599) kong.response.error(conf.errorCode, conf.errorMessage, headers);
  else kong.response.exit(conf.errorCode, { message: conf.errorMessage }, headers);
}

async function countInStore(kong: Kong, conf: RateLimitingConf, identifier: string, set: WindowSet, now: number): Promise<void> {
  const refs = counterRefs(conf, identifier, set);
  const windows = set.windows;
  let counts: Counts;
  try {
    counts = await conf.policy.hit(kong, refs, now);
  } catch (err) {
    if (!conf.faultTolerant) throw new Error(`rate-limiting: cannot count the request: ${err instanceof Error ? err.message : String(err)}`);
    conf.policy.logFailure(kong, err, now);
    return;
  }
  const verdict = judge(conf, windows, counts, now);
  if (verdict.refused) {
    try {
      await conf.policy.undo(kong, refs, now);
    } catch (err) {
      conf.policy.logFailure(kong, err, now);
    }
    refuse(kong, conf, verdict);
    return;
  }
  if (!conf.hideClientHeaders) kong.response.setHeaders(verdict.headers);
}

export const rateLimitingHandler: PluginHandler<RateLimitingConf, RateLimitingConfig> = {
  name: 'rate-limiting',
  priority: 910,
  version: '3.10.0',
  prepare,
  access,
};
