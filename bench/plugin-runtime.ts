/**
 * What the plugin runtime adds to one request, in process and without the network (which the side-by-side
 * proxy benchmark cannot separate from a noisy machine): the PDK state of a request plus rewrite and access
 * over a chain of one synchronous no-op plugin, one async no-op plugin, key-auth finding its key in a header, or
 * key-auth then rate-limiting (policy local, a limit never reached) with the counters held by the worker (a node
 * with one worker) or behind a promise (the shape of a round trip to the supervisor, without the socket).
 * Medians over rounds of nanoseconds per request; divide by the proxy's CPU per request (docs/benchmarks.md)
 * for the share of a request's cost.
 *
 *   node bench/plugin-runtime.ts [--requests N] [--rounds N]
 */
import { parseArgs } from 'node:util';
import type { IncomingMessage } from 'node:http';
import { PluginContext, type PdkEnvironment, type PluginHandler } from '../src/pdk/index.ts';
import { buildConfigData, PluginChainBuilder, type PluginChain } from '../src/snapshot/plugin-chains.ts';
import type { PluginFields, SnapshotInput } from '../src/snapshot/types.ts';
import { runBeforeProxy } from '../src/proxy/plugin-phases.ts';
import { keyAuthHandler } from '../src/plugins/key-auth/handler.ts';
import { rateLimitingHandler } from '../src/plugins/rate-limiting/handler.ts';
import type { NodeServices, SharedCounters } from '../src/pdk/shared-state.ts';
import { CounterStore } from '../src/shared-state/counter-store.ts';
import { LocalMetricsRegistry } from '../src/shared-state/metrics-registry.ts';
import { SoleCounters } from '../src/shared-state/sole-counters.ts';

const { values } = parseArgs({ options: { requests: { type: 'string', default: '200000' }, rounds: { type: 'string', default: '7' } } });
const REQUESTS = Number(values.requests);
const ROUNDS = Number(values.rounds);

const ENV: PdkEnvironment = { services: null, nodeId: 'bench', hostname: 'bench', isTrusted: () => false, log: () => {}, maxBodyBytes: 1 << 20 };

function withCounters(counters: SharedCounters): PdkEnvironment {
  const services: NodeServices = { counters, cache: null as unknown as NodeServices['cache'], metrics: new LocalMetricsRegistry() };
  return { ...ENV, services };
}

/** The counters of a node's only worker; the mirror to the supervisor is left out (it is timed, not per request). */
const SOLE = new SoleCounters({ add() {}, delete() {}, schedule() {} }, Promise.resolve([]));

/** The same store answered through promises, as every call is when the counters are across a socket. */
function promisedCounters(): SharedCounters {
  const store = new CounterStore();
  return {
    incr: async (key, by, ttlMs) => store.incr(key, by, ttlMs, Date.now()),
    get: async (key) => store.get(key, Date.now()),
    delete: async (key) => store.delete(key),
  };
}

const HANDLERS = new Map<string, PluginHandler>([
  ['noop-sync', { name: 'noop-sync', priority: 1000, access() {} }],
  ['noop-async', { name: 'noop-async', priority: 1000, async access() {} }],
  ['key-auth', keyAuthHandler as PluginHandler],
  ['rate-limiting', rateLimitingHandler as unknown as PluginHandler],
]);

const INPUT: SnapshotInput = {
  services: [],
  routes: [],
  upstreams: [],
  targets: [],
  plugins: [],
  consumers: [{ id: 'c1', username: 'bench', custom_id: null }],
  keyauth_credentials: [{ id: 'k1', consumer: { id: 'c1' }, key: 'bench-key' }],
};

const KEY_AUTH_CONFIG = { key_names: ['apikey'], hide_credentials: false, key_in_header: true, key_in_query: true, key_in_body: false, run_on_preflight: true, anonymous: null, realm: null };

/** rate-limiting's validated configuration for the bench: per consumer, a minute limit never reached. */
const RATE_LIMITING_CONFIG = {
  second: null, minute: 1_000_000_000, hour: null, day: null, month: null, year: null,
  limit_by: 'consumer', header_name: null, path: null, policy: 'local', fault_tolerant: true, hide_client_headers: false,
  error_code: 429, error_message: 'API rate limit exceeded', sync_rate: -1, window_type: 'fixed', redis: {},
};

function chainOf(...names: string[]): PluginChain {
  const plugins: PluginFields[] = names.map((name, i) => ({
    id: `p${i + 1}`,
    name,
    route: null,
    service: null,
    consumer: null,
    config: name === 'key-auth' ? KEY_AUTH_CONFIG : name === 'rate-limiting' ? RATE_LIMITING_CONFIG : {},
    protocols: ['http', 'https'],
    enabled: true,
  }));
  return new PluginChainBuilder(plugins, HANDLERS, buildConfigData(INPUT)).chainFor('r1', 's1')!;
}

/** A request as Node's parser leaves it (only what the PDK reads). */
const REQ = {
  url: '/things?page=2',
  method: 'GET',
  httpVersionMajor: 1,
  httpVersionMinor: 1,
  headers: { host: 'api.test', apikey: 'bench-key', 'user-agent': 'bench' },
  rawHeaders: ['Host', 'api.test', 'apikey', 'bench-key', 'User-Agent', 'bench'],
  socket: { remoteAddress: '127.0.0.1', remotePort: 50000, localPort: 8000 },
} as unknown as IncomingMessage;

const DATA = buildConfigData(INPUT);
/** The worker's plugin error log: one function for the worker's life, as the proxy passes it. */
const LOG = (): void => {};

function request(chain: PluginChain, env: PdkEnvironment): PluginChain | Promise<PluginChain> {
  const upstream = ['Host', 'upstream.test', 'apikey', 'bench-key', 'User-Agent', 'bench', 'X-Forwarded-For', '127.0.0.1'];
  const ctx = new PluginContext(REQ, 'rid', upstream, '/things?page=2', env, DATA, performance.now(), '127.0.0.1');
  return runBeforeProxy(ctx, chain, null, 60_000, LOG);
}

/** ns per request over `REQUESTS` requests, awaiting each (as the proxy does) only when it returns a promise. */
async function measure([chain, env]: Scenario): Promise<number> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < REQUESTS; i++) {
    const result = request(chain, env);
    if (result instanceof Promise) await result;
  }
  return Number(process.hrtime.bigint() - start) / REQUESTS;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

type Scenario = readonly [PluginChain, PdkEnvironment];

async function main(): Promise<void> {
  await SOLE.get('ready');
  const scenarios: [string, Scenario][] = [
    ['one synchronous no-op plugin', [chainOf('noop-sync'), ENV]],
    ['one async no-op plugin', [chainOf('noop-async'), ENV]],
    ['key-auth (key in a header)', [chainOf('key-auth'), ENV]],
    ['key-auth + rate-limiting local, counters in the worker (one worker)', [chainOf('key-auth', 'rate-limiting'), withCounters(SOLE)]],
    ['key-auth + rate-limiting local, counters behind a promise', [chainOf('key-auth', 'rate-limiting'), withCounters(promisedCounters())]],
  ];
  const results = new Map<string, number[]>(scenarios.map(([name]) => [name, []]));
  for (const [, scenario] of scenarios) await measure(scenario); // warm-up
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, scenario] of scenarios) results.get(name)!.push(await measure(scenario));
  }
  const base = median(results.get(scenarios[0][0])!);
  process.stdout.write(`| scenario | ns per request (median of ${ROUNDS}) | ratio to the synchronous no-op |\n| --- | ---: | ---: |\n`);
  for (const [name] of scenarios) {
    const ns = median(results.get(name)!);
    process.stdout.write(`| ${name} | ${ns.toFixed(0)} | ${(ns / base).toFixed(2)}× |\n`);
  }
}

await main();
