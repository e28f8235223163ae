/**
 * What the plugin runtime adds to one request, in process and without the network (which the side-by-side
 * proxy benchmark cannot separate from a noisy machine): the PDK state of a request plus rewrite and access
 * over a chain of one synchronous no-op plugin, one async no-op plugin, or key-auth finding its key in a header.
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

const { values } = parseArgs({ options: { requests: { type: 'string', default: '200000' }, rounds: { type: 'string', default: '7' } } });
const REQUESTS = Number(values.requests);
const ROUNDS = Number(values.rounds);

const ENV: PdkEnvironment = { services: null, nodeId: 'bench', hostname: 'bench', isTrusted: () => false, log: () => {}, maxBodyBytes: 1 << 20 };

const HANDLERS = new Map<string, PluginHandler>([
  ['noop-sync', { name: 'noop-sync', priority: 1000, access() {} }],
  ['noop-async', { name: 'noop-async', priority: 1000, async access() {} }],
  ['key-auth', keyAuthHandler as PluginHandler],
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

function chainOf(name: string): PluginChain {
  const plugin: PluginFields = {
    id: 'p1',
    name,
    route: null,
    service: null,
    consumer: null,
    config: name === 'key-auth' ? KEY_AUTH_CONFIG : {},
    protocols: ['http', 'https'],
    enabled: true,
  };
  return new PluginChainBuilder([plugin], HANDLERS, buildConfigData(INPUT)).chainFor('r1', 's1')!;
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

function request(chain: PluginChain): PluginChain | Promise<PluginChain> {
  const upstream = ['Host', 'upstream.test', 'apikey', 'bench-key', 'User-Agent', 'bench', 'X-Forwarded-For', '127.0.0.1'];
  const ctx = new PluginContext(REQ, 'rid', upstream, '/things?page=2', ENV, DATA, performance.now(), '127.0.0.1');
  return runBeforeProxy(ctx, chain, null, 60_000, LOG);
}

/** ns per request over `REQUESTS` requests, awaiting each (as the proxy does) only when it returns a promise. */
async function measure(chain: PluginChain): Promise<number> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < REQUESTS; i++) {
    const result = request(chain);
    if (result instanceof Promise) await result;
  }
  return Number(process.hrtime.bigint() - start) / REQUESTS;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function main(): Promise<void> {
  const scenarios: [string, PluginChain][] = [
    ['one synchronous no-op plugin', chainOf('noop-sync')],
    ['one async no-op plugin', chainOf('noop-async')],
    ['key-auth (key in a header)', chainOf('key-auth')],
  ];
  const results = new Map<string, number[]>(scenarios.map(([name]) => [name, []]));
  for (const [, chain] of scenarios) await measure(chain); // warm-up
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, chain] of scenarios) results.get(name)!.push(await measure(chain));
  }
  const base = median(results.get(scenarios[0][0])!);
  process.stdout.write(`| scenario | ns per request (median of ${ROUNDS}) | ratio to the synchronous no-op |\n| --- | ---: | ---: |\n`);
  for (const [name] of scenarios) {
    const ns = median(results.get(name)!);
    process.stdout.write(`| ${name} | ${ns.toFixed(0)} | ${(ns / base).toFixed(2)}× |\n`);
  }
}

await main();
