/**
 * What the log phase of the queued and buffered log plugins (statsd, opentelemetry, zipkin, tcp-log) costs a
 * request while their collector is down, in process: each plugin's queue or buffer is filled first, then the
 * CPU time of the whole process (so garbage collection counts) over the log phases of requests prepared
 * beforehand (routed, answered, traced, and through zipkin's earlier phases) is measured, median over rounds. `--root` runs another checkout's handlers with the same
 * scenarios (e.g. one from before the full checks), for a before/after comparison:
 *
 *   node bench/log-plugins-full-queue.ts [--root /path/to/checkout] [--requests N] [--rounds N]
 */
import { parseArgs } from 'node:util';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { join, resolve } from 'node:path';
import type { IncomingMessage } from 'node:http';
import { PluginContext, type PdkEnvironment, type PluginHandler } from '../src/pdk/index.ts';
import { PHASE } from '../src/pdk/phase-rules.ts';
import { RequestTrace } from '../src/tracing/trace.ts';
import { instrumentationMask } from '../src/tracing/instrumentations.ts';
import { validateEntity } from '../src/entities/index.ts';
import { pluginRegistry } from '../src/plugins/index.ts';

const { values } = parseArgs({ options: { root: { type: 'string', default: resolve(import.meta.dirname, '..') }, requests: { type: 'string', default: '20000' }, rounds: { type: 'string', default: '5' } } });
const ROOT = resolve(values.root);
const REQUESTS = Number(values.requests);
const ROUNDS = Number(values.rounds);

const ENV = { services: null, nodeId: 'bench', hostname: 'bench', isTrusted: () => false, log: () => {}, maxBodyBytes: 1 << 20, syslogSocket: '/nonexistent/bench.sock' } as PdkEnvironment;
const ROUTE = Object.freeze({ id: '3f7f3b2e-0000-4000-8000-000000000001', name: 'bench', protocols: ['http', 'https'], paths: ['/'], strip_path: true, service: { id: '3f7f3b2e-0000-4000-8000-000000000002' } });
const SERVICE = Object.freeze({ id: '3f7f3b2e-0000-4000-8000-000000000002', name: 'bench', protocol: 'http', host: '127.0.0.1', port: 8080, path: null, retries: 5 });
const RAW = ['Host', '127.0.0.1:8000', 'User-Agent', 'wrk/4.1.0', 'Accept', '*/*', 'Connection', 'keep-alive'];
const REQ = {
  url: '/things?page=2', method: 'GET', httpVersionMajor: 1, httpVersionMinor: 1, httpVersion: '1.1',
  headers: { host: '127.0.0.1:8000', 'user-agent': 'wrk/4.1.0', accept: '*/*' }, rawHeaders: RAW,
  socket: { remoteAddress: '127.0.0.1', remotePort: 50000, localPort: 8000 },
} as unknown as IncomingMessage;
const MASK = instrumentationMask(['all']);

/** A request at its log phase: routed, proxied, answered, with a sampled trace of four spans. */
function loggedRequest(): PluginContext {
  const ctx = new PluginContext(REQ, 'b7c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5', RAW, '/things?page=2', ENV, { consumer: () => undefined, entities: () => [], credentialsBy: () => new Map(), consumerGroups: () => [] }, performance.now(), '127.0.0.1');
  ctx.routed = { route: ROUTE, service: SERVICE, uriCaptures: null } as unknown as PluginContext['routed'];
  ctx.downstream = { status: 200, headers: ['Content-Type', 'application/json', 'Content-Length', '512', 'Via', '1.1 tollgate'], source: 'service', size: 512 } as unknown as PluginContext['downstream'];
  ctx.tries.push({ ip: '127.0.0.1', port: 8080, balancer_start: Date.now(), balancer_latency: 0 });
  const trace = new RequestTrace(MASK, Date.now(), 1);
  for (const name of ['kong.router', 'kong.access.plugin.x', 'kong.balancer']) trace.startSpan(name).endMs = Date.now();
  ctx.trace = trace;
  ctx.phaseBit = PHASE.log;
  return ctx;
}

/** µs of process CPU per request over `REQUESTS` requests whose earlier phases ran before the clock started. */
function measure(run: (ctx: PluginContext) => void, before: (ctx: PluginContext) => void): number {
  const requests = Array.from({ length: REQUESTS }, () => {
    const ctx = loggedRequest();
    before(ctx);
    ctx.phaseBit = PHASE.log;
    return ctx;
  });
  const start = process.cpuUsage();
  for (const ctx of requests) run(ctx);
  const used = process.cpuUsage(start);
  return (used.user + used.system) / REQUESTS;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function config(name: string, config: Record<string, unknown>): Record<string, unknown> {
  const r = validateEntity('plugins', { name, config }, { plugins: pluginRegistry([name]) });
  if (!r.ok) throw new Error(`${name}: ${JSON.stringify(r.errors)}`);
  return r.value.config as Record<string, unknown>;
}

type AnyHandler = PluginHandler<unknown, unknown>;
async function handler(dir: string, exported: string): Promise<AnyHandler> {
  const mod = (await import(join(ROOT, 'src/plugins', dir, 'handler.ts'))) as Record<string, AnyHandler>;
  return mod[exported];
}

async function main(): Promise<void> {
  // A collector that accepts connections and never answers (HTTP exports, statsd over TCP, tcp-log).
  const sockets = new Set<Socket>();
  const collector = createServer((s) => void sockets.add(s.on('error', () => {}).resume()));
  await new Promise<void>((r) => collector.listen(0, '127.0.0.1', r));
  const port = (collector.address() as AddressInfo).port;
  const queue = { max_batch_size: 1, max_entries: 10000, max_retry_time: 600 };
  const slow = { send_timeout: 600000, read_timeout: 600000 };
  const plugins: [string, AnyHandler, Record<string, unknown>][] = [
    ['statsd (TCP)', await handler('statsd', 'statsdHandler'), config('statsd', { host: '127.0.0.1', port, use_tcp: true, queue })],
    ['opentelemetry (traces)', await handler('opentelemetry', 'opentelemetryHandler'), config('opentelemetry', { traces_endpoint: `http://127.0.0.1:${port}/v1/traces`, ...slow, queue })],
    ['zipkin', await handler('zipkin', 'zipkinHandler'), config('zipkin', { http_endpoint: `http://127.0.0.1:${port}/api/v2/spans`, sample_ratio: 1, ...slow, queue })],
    ['tcp-log (never read)', await handler('tcp-log', 'tcpLogHandler'), config('tcp-log', { host: '127.0.0.1', port })],
  ];
  const results: [string, number][] = [];
  for (const [name, h, c] of plugins) {
    const conf = h.prepare!(c, undefined as never, { id: `bench-${name}`, route: null, service: null, consumer: null });
    const run = (ctx: PluginContext): void => void h.log!(ctx, conf);
    // zipkin starts its spans in access and header_filter; they are not the log phase's cost.
    const before = (ctx: PluginContext): void => {
      if (h.access === undefined) return;
      ctx.phaseBit = PHASE.access;
      void h.access(ctx, conf);
      ctx.phaseBit = PHASE.header_filter;
      void h.header_filter?.(ctx, conf);
    };
    // Fill: the queues hold 10000 entries; tcp-log's buffer 16 MiB once the kernel's socket buffers are full.
    measure(run, before);
    await new Promise((r) => setTimeout(r, 200));
    measure(run, before);
    results.push([name, median(Array.from({ length: ROUNDS }, () => measure(run, before)))]);
  }
  process.stdout.write(`${ROOT}\n| log phase, collector down | CPU µs per request (median of ${ROUNDS}) |\n| --- | ---: |\n`);
  for (const [name, us] of results) process.stdout.write(`| ${name} | ${us.toFixed(2)} |\n`);
  for (const s of sockets) s.destroy();
  collector.close();
  process.exit(0);
}

await main();
