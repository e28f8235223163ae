/**
 * response-ratelimiting: limits what the upstream says a request consumed. The upstream answers with
 * `X-Kong-Limit: videos=2, images=1` (config.header_name); those amounts are added to the client's counters
 * for every period of the named limits once the response is sent (log phase), as in Kong. `access` reads the
 * counters: it refuses the request (429) only with `block_on_first_violation` when a limit is used up, and
 * tells the upstream what remains (`X-RateLimit-Remaining-<name>`). `header_filter` turns a response that
 * would consume a used-up limit into an empty 429, sends `X-RateLimit-Limit-<name>-<period>` and
 * `X-RateLimit-Remaining-<name>-<period>`, and removes the upstream's header from the client response.
 */
import type { Kong, PluginHandler, PluginEntityScope } from '../../pdk/index.ts';
import { PERIODS, windowAt, type Period } from '../ratelimit-common/windows.ts';
import { clusterStore, localStore, redisStore, type CounterRow, type CounterStore } from '../ratelimit-common/counter-stores.ts';
import { redisSettings } from '../shared/redis/settings.ts';
import type { ResponseRateLimitingConfig } from './schema.ts';

const NAME = 'response-ratelimiting';
/** Kong's placeholder for a plugin that is not scoped to a route or service. */
const EMPTY_UUID = '00000000-0000-0000-0000-000000000000';

interface PeriodLimit {
  readonly period: Period;
  readonly limit: number;
  /** The cluster policy's row period: `<name>_<period>`, as Kong's. */
  readonly row: string;
  readonly limitHeader: string;
  readonly remainingHeader: string;
}

interface NamedLimit {
  readonly name: string;
  readonly periods: readonly PeriodLimit[];
  /** Sent upstream: the least remaining of the limit's periods. */
  readonly upstreamHeader: string;
  readonly blockMessage: string;
}

export interface ResponseRateLimitingConf {
  readonly limits: readonly NamedLimit[];
  readonly byName: ReadonlyMap<string, number>;
  readonly keyPrefix: string;
  readonly limitBy: string;
  /** Lower case, as response header maps have it. */
  readonly headerName: string;
  readonly store: CounterStore;
  readonly faultTolerant: boolean;
  readonly blockOnFirstViolation: boolean;
  readonly hideClientHeaders: boolean;
}

/** What `access` learnt, for the later phases of the same request. */
interface RequestState {
  /** Per limit, per period: the counter. */
  readonly rows: CounterRow[][];
  /** Per limit, per period: limit minus what was used before this request (may be below 0). */
  readonly remaining: number[][];
  /** Per limit: what the upstream's header says this request consumed (0 when not named). */
  increments: number[] | null;
  /** The response was turned into a 429: nothing is counted. */
  stopped: boolean;
}

const STATE = 'response-ratelimiting';

function prepare(config: ResponseRateLimitingConfig, _data: unknown, entity?: PluginEntityScope): ResponseRateLimitingConf {
  const limits: NamedLimit[] = [];
  const byName = new Map<string, number>();
  for (const [name, periods] of Object.entries(config.limits)) {
    const list: PeriodLimit[] = [];
    for (const period of PERIODS) {
      const limit = periods[period];
      if (typeof limit !== 'number') continue;
      list.push({
        period,
        limit,
        row: `${name}_${period}`,
        limitHeader: `X-RateLimit-Limit-${name}-${period}`,
        remainingHeader: `X-RateLimit-Remaining-${name}-${period}`,
      });
    }
    byName.set(name, limits.length);
    limits.push({ name, periods: list, upstreamHeader: `X-RateLimit-Remaining-${name}`, blockMessage: `API rate limit exceeded for '${name}'` });
  }
  const route = entity?.route ?? EMPTY_UUID;
  const service = entity?.service ?? EMPTY_UUID;
  let store: CounterStore;
  if (config.policy === 'redis') store = redisStore(NAME, redisSettings(config.redis ?? {}));
  else if (config.policy === 'cluster') store = clusterStore(NAME, { table: 'response_ratelimiting_metrics', service, route });
  else store = localStore(NAME);
  return {
    limits,
    byName,
    keyPrefix: `response-ratelimit:${route}:${service}:`,
    limitBy: config.limit_by,
    headerName: config.header_name.toLowerCase(),
    store,
    faultTolerant: config.fault_tolerant,
    blockOnFirstViolation: config.block_on_first_violation,
    hideClientHeaders: config.hide_client_headers,
  };
}

/** Who the request is counted for, falling back to the client's address as Kong does. */
function identifierOf(kong: Kong, conf: ResponseRateLimitingConf): string {
  let id: string | undefined;
  if (conf.limitBy === 'consumer') id = kong.client.getConsumer()?.id ?? kong.client.getCredential()?.id;
  else if (conf.limitBy === 'credential') id = kong.client.getCredential()?.id;
  return typeof id === 'string' && id !== '' ? id : kong.client.getForwardedIp();
}

/** The counters of one identifier at `now`: per limit, per period (Kong's keys). */
export function counterRows(conf: Pick<ResponseRateLimitingConf, 'limits' | 'keyPrefix'>, identifier: string, now: number): CounterRow[][] {
  return conf.limits.map((l) =>
    l.periods.map((p) => {
      const w = windowAt(p.period, now);
      return { key: `${conf.keyPrefix}${identifier}:${w.start}:${l.name}:${p.period}`, expiresAt: w.end, identifier, period: p.row, start: w.start };
    }),
  );
}

/**
 * The increments an upstream header asks for, per configured limit: `name=amount` pairs separated by commas
 * (over one or several header lines); unknown names, malformed pairs and amounts that are not numbers are
 * ignored, as in Kong.
 */
export function parseIncrements(value: string | readonly string[] | undefined, byName: ReadonlyMap<string, number>, count: number): number[] {
  const increments = new Array<number>(count).fill(0);
  if (value === undefined) return increments;
  const lines = typeof value === 'string' ? [value] : value;
  for (const line of lines) {
    for (const part of line.split(',')) {
      const pair = part.split('=');
      if (pair.length !== 2) continue;
      const index = byName.get(pair[0].trim());
      const amount = pair[1].trim();
      if (index === undefined || !/^-?\d+(\.\d+)?$/.test(amount)) continue;
      increments[index] = Number(amount);
    }
  }
  return increments;
}

async function access(kong: Kong, conf: ResponseRateLimitingConf): Promise<void> {
  if (conf.limits.length === 0) return;
  const now = Date.now();
  const rows = counterRows(conf, identifierOf(kong, conf), now);
  let used: number[];
  try {
    used = (await conf.store.update(kong, [], 0, rows.flat(), now)).read;
  } catch (err) {
    if (!conf.faultTolerant) throw new Error(`${NAME}: cannot read the counters: ${err instanceof Error ? err.message : String(err)}`);
    conf.store.logFailure(kong, err, now);
    return;
  }
  let k = 0;
  const remaining = conf.limits.map((l) => l.periods.map((p) => p.limit - used[k++]));
  const upstream: Record<string, number> = {};
  for (let i = 0; i < conf.limits.length; i++) {
    const l = conf.limits[i];
    let least = Infinity;
    for (const r of remaining[i]) {
      if (conf.blockOnFirstViolation && r <= 0) {
        kong.response.error(429, l.blockMessage);
        return;
      }
      least = Math.min(least, r);
    }
    upstream[l.upstreamHeader] = Math.max(0, least);
  }
  kong.service.request.setHeaders(upstream);
  const state: RequestState = { rows, remaining, increments: null, stopped: false };
  kong.ctx.plugin[STATE] = state;
}

function header_filter(kong: Kong, conf: ResponseRateLimitingConf): void {
  const state = kong.ctx.plugin[STATE] as RequestState | undefined;
  if (conf.limits.length === 0) return;
  const value = kong.service.response.getHeaders()[conf.headerName];
  kong.response.clearHeader(conf.headerName);
  if (state === undefined) return;
  const increments = parseIncrements(value, conf.byName, conf.limits.length);
  state.increments = increments;
  const headers: Record<string, number> = {};
  let stop = false;
  for (let i = 0; i < conf.limits.length; i++) {
    const l = conf.limits[i];
    for (let j = 0; j < l.periods.length; j++) {
      const r = state.remaining[i][j];
      headers[l.periods[j].limitHeader] = l.periods[j].limit;
      headers[l.periods[j].remainingHeader] = Math.max(0, r - increments[i]);
      if (increments[i] > 0 && r <= 0) stop = true;
    }
  }
  if (!conf.hideClientHeaders) kong.response.setHeaders(headers);
  if (stop) {
    // Kong answers 429 without a body here; the upstream's body is dropped in body_filter.
    state.stopped = true;
    kong.response.setStatus(429);
    kong.response.setHeader('Content-Length', 0);
  }
}

function body_filter(kong: Kong): void {
  const state = kong.ctx.plugin[STATE] as RequestState | undefined;
  if (state !== undefined && state.stopped) kong.response.setChunk(null);
}

async function log(kong: Kong, conf: ResponseRateLimitingConf): Promise<void> {
  const state = kong.ctx.plugin[STATE] as RequestState | undefined;
  if (state === undefined || state.stopped || state.increments === null) return;
  const increments = state.increments;
  const now = Date.now();
  await Promise.all(
    conf.limits.map(async (_, i) => {
      if (increments[i] === 0) return;
      try {
        await conf.store.update(kong, state.rows[i], increments[i], [], now);
      } catch (err) {
        conf.store.logFailure(kong, err, now);
      }
    }),
  );
}

export const responseRateLimitingHandler: PluginHandler<ResponseRateLimitingConf, ResponseRateLimitingConfig> = {
  name: NAME,
  priority: 900,
  version: '3.10.0',
  prepare,
  access,
  header_filter,
  body_filter,
  log,
};
