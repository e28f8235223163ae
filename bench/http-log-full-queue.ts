/**
 * What http-log's log phase costs a request, in process and without the load generator (which cannot tell a
 * few microseconds from this machine's noise): with its queue full (a collector that stopped answering: the
 * entry is dropped before the record is built), against building, serialising and queueing the record on a
 * full queue that drops its oldest entry (what every request paid before, and what a request still pays while
 * the collector keeps up). CPU time of the whole process per request (so garbage collection counts), median
 * over rounds; divide by the proxy's CPU per request (docs/benchmarks.md) for the share of a request.
 *
 *   node bench/http-log-full-queue.ts [--requests N] [--rounds N]
 */
import { parseArgs } from 'node:util';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import type { IncomingMessage } from 'node:http';
import { PluginContext, type PdkEnvironment } from '../src/pdk/index.ts';
import { PHASE } from '../src/pdk/phase-rules.ts';
import { httpLogHandler } from '../src/plugins/http-log/handler.ts';
import type { HttpLogConfig } from '../src/plugins/http-log/schema.ts';
import { LogQueue } from '../src/plugins/shared/log-queue/queue.ts';
import type { QueueSettings } from '../src/plugins/shared/log-queue/schema.ts';

const { values } = parseArgs({ options: { requests: { type: 'string', default: '100000' }, rounds: { type: 'string', default: '7' } } });
const REQUESTS = Number(values.requests);
const ROUNDS = Number(values.rounds);

const ENV = { services: null, nodeId: 'bench', hostname: 'bench', isTrusted: () => false, log: () => {}, maxBodyBytes: 1 << 20 } as PdkEnvironment;
const SETTINGS: QueueSettings = { max_batch_size: 1, max_coalescing_delay: 1, max_entries: 10000, max_bytes: null, max_retry_time: 60, initial_retry_delay: 0.01, max_retry_delay: 60, concurrency_limit: 1 };

/** Route and service as the snapshot hands them to the log record: every field of the entity. */
const ROUTE = Object.freeze({
  id: '3f7f3b2e-0000-4000-8000-000000000001', name: 'bench', protocols: ['http', 'https'], methods: null, hosts: null, paths: ['/'], headers: null,
  https_redirect_status_code: 426, regex_priority: 0, strip_path: true, path_handling: 'v0', preserve_host: false, request_buffering: true,
  response_buffering: true, snis: null, sources: null, destinations: null, tags: null, service: { id: '3f7f3b2e-0000-4000-8000-000000000002' },
  created_at: 1765100000, updated_at: 1765100000,
});
const SERVICE = Object.freeze({
  id: '3f7f3b2e-0000-4000-8000-000000000002', name: 'bench', protocol: 'http', host: '127.0.0.1', port: 8080, path: null, retries: 5,
  connect_timeout: 60000, write_timeout: 60000, read_timeout: 60000, tags: null, client_certificate: null, tls_verify: null,
  tls_verify_depth: null, ca_certificates: null, enabled: true, created_at: 1765100000, updated_at: 1765100000,
});

const RAW = ['Host', '127.0.0.1:8000', 'User-Agent', 'wrk/4.1.0', 'Accept', '*/*', 'Connection', 'keep-alive'];
const REQ = {
  url: '/things?page=2', method: 'GET', httpVersionMajor: 1, httpVersionMinor: 1, httpVersion: '1.1',
  headers: { host: '127.0.0.1:8000', 'user-agent': 'wrk/4.1.0', accept: '*/*' }, rawHeaders: RAW,
  socket: { remoteAddress: '127.0.0.1', remotePort: 50000, localPort: 8000 },
} as unknown as IncomingMessage;

/** A request at its log phase: routed, proxied, answered. */
function loggedRequest(): PluginContext {
  const ctx = new PluginContext(REQ, 'b7c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5', RAW, '/things?page=2', ENV, { consumer: () => undefined, entities: () => [], credentialsBy: () => new Map(), consumerGroups: () => [] }, performance.now(), '127.0.0.1');
  ctx.routed = { route: ROUTE, service: SERVICE, uriCaptures: null } as unknown as PluginContext['routed'];
  ctx.downstream = { status: 200, headers: ['Content-Type', 'application/json', 'Content-Length', '512', 'Date', 'Mon, 07 Dec 2026 12:00:00 GMT', 'Via', '1.1 tollgate'], source: 'service', size: 512 } as unknown as PluginContext['downstream'];
  ctx.phaseBit = PHASE.log;
  return ctx;
}

/** µs of process CPU per request over `REQUESTS` requests. */
function measure(run: (ctx: PluginContext) => void): number {
  const start = process.cpuUsage();
  for (let i = 0; i < REQUESTS; i++) run(loggedRequest());
  const used = process.cpuUsage(start);
  return (used.user + used.system) / REQUESTS;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function main(): Promise<void> {
  // A collector that accepts connections and never answers.
  const sockets = new Set<Socket>();
  const collector = createServer((s) => void sockets.add(s.on('error', () => {}).resume()));
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
  const port = (collector.address() as AddressInfo).port;
  const config = { http_endpoint: `http://127.0.0.1:${port}/`, method: 'POST', content_type: 'application/json', timeout: 600000, keepalive: 60000, queue: SETTINGS } as unknown as HttpLogConfig;
  const conf = httpLogHandler.prepare!(config, undefined as never);
  const full = (ctx: PluginContext): void => void httpLogHandler.log!(ctx, conf);
  const never = new LogQueue<string>({ name: 'bench-built', logTag: 'bench', settings: SETTINGS, send: () => new Promise(() => {}), log: () => {} });
  const built = (ctx: PluginContext): void => void never.enqueue(JSON.stringify(ctx.log.serialize()));
  const scenarios: [string, (ctx: PluginContext) => void][] = [
    ['queue full: dropped before the record is built (now)', full],
    ['record built, serialised and queued, oldest dropped (before; a live collector)', built],
  ];
  for (const [, run] of scenarios) for (let i = 0; i < SETTINGS.max_entries + 1000; i++) run(loggedRequest()); // fill and warm up
  const results = new Map<string, number[]>(scenarios.map(([name]) => [name, []]));
  for (let round = 0; round < ROUNDS; round++) for (const [name, run] of scenarios) results.get(name)!.push(measure(run));
  const bare = median(Array.from({ length: ROUNDS }, () => measure(() => {})));
  process.stdout.write(`| log phase | CPU µs per request (median of ${ROUNDS}, the request's PDK state subtracted) |\n| --- | ---: |\n`);
  for (const [name] of scenarios) process.stdout.write(`| ${name} | ${Math.max(0, median(results.get(name)!) - bare).toFixed(2)} |\n`);
  for (const s of sockets) s.destroy();
  collector.close();
  process.exit(0);
}

await main();
