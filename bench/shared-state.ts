/**
 * How workers should reach the node's shared state: the cost of one counter increment and one cache hit
 * through each mechanism, side by side in one run.
 *
 *   ipc-json      node:cluster-style IPC (process.send, JSON serialization), the calls of one event-loop
 *                 turn batched into one message, the replies to one message batched into one
 *   ipc-advanced  the same with `serialization: 'advanced'` (V8 structured clone)
 *   uds           what Tollgate ships: src/shared-state/ — one Unix-domain socket per worker, binary
 *                 length-prefixed frames, the calls of one turn in one write
 *   local         a direct call on the store in one process (the floor; latency only)
 *
 * Latency: one call at a time from one worker, median µs. Throughput: 2 worker processes, each with
 * `--concurrency` calls outstanding, for `--duration` seconds; calls per second summed. Rounds interleave
 * the mechanisms; medians over rounds are reported, with ratios to `uds`.
 *
 * CPU per call under that load is reported too (the supervisor's, which every worker shares, and a worker's):
 * on a small, noisy machine it moves less than calls per second.
 *
 *   node bench/shared-state.ts [--rounds 3] [--duration 2] [--concurrency 128] [--calls 3000]
 *   SS_ONLY=uds,ipc-json node bench/shared-state.ts     # a subset
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { NodeServices } from '../src/pdk/shared-state.ts';
import { CounterStore } from '../src/shared-state/counter-store.ts';
import { LruCache } from '../src/shared-state/lru-cache.ts';
import { SharedStateClient } from '../src/shared-state/client.ts';
import { SharedStateServer, socketPathFor } from '../src/shared-state/server.ts';

type Mechanism = 'ipc-json' | 'ipc-advanced' | 'uds';
type Op = 'incr' | 'get';
const MECHANISMS: Mechanism[] = (process.env.SS_ONLY?.split(',') as Mechanism[] | undefined) ?? ['ipc-json', 'ipc-advanced', 'uds'];
const VALUE = 'v'.repeat(100);
const TOKEN = 'bench';

/** The two operations measured, against any client. */
interface Calls {
  incr(key: string): Promise<number>;
  get(key: string): Promise<unknown>;
}

// ---------------------------------------------------------------- IPC client (bench-only contestant)

type IpcOp = [id: number, op: 0 | 1, key: string];

function ipcClient(): Calls {
  const pending = new Map<number, (v: unknown) => void>();
  let batch: IpcOp[] = [];
  let seq = 0;
  const flush = () => {
    const ops = batch;
    batch = [];
    process.send!({ ss: ops });
  };
  process.on('message', (m: { r?: [number, unknown][] }) => {
    if (m.r === undefined) return;
    for (const [id, value] of m.r) {
      const resolve = pending.get(id)!;
      pending.delete(id);
      resolve(value);
    }
  });
  const call = (op: 0 | 1, key: string) =>
    new Promise<never>((resolve) => {
      const id = ++seq;
      pending.set(id, resolve as (v: unknown) => void);
      if (batch.push([id, op, key]) === 1) setImmediate(flush);
    });
  return { incr: (key) => call(0, key), get: (key) => call(1, key) };
}

/** The node side of the IPC contestant: the same stores, answering each message with one message. */
function serveIpc(child: ChildProcess, counters: CounterStore, cache: LruCache): void {
  child.on('message', (m: { ss?: IpcOp[] }) => {
    if (m.ss === undefined) return;
    const now = Date.now();
    const replies: [number, unknown][] = [];
    for (const [id, op, key] of m.ss) {
      if (op === 0) replies.push([id, counters.incr(key, 1, 60_000, now)]);
      else {
        const hit = cache.get(key, now);
        replies.push([id, hit === undefined ? null : Buffer.from(hit.bytes).toString('utf8')]);
      }
    }
    child.send({ r: replies });
  });
}

// ---------------------------------------------------------------- worker side

interface RunCommand {
  run: 'latency' | 'throughput';
  op: Op;
  calls: number;
  durationMs: number;
  concurrency: number;
  key: string;
}

function udsCalls(services: NodeServices): Calls {
  return { incr: (key) => services.counters.incr(key, 1, 60_000), get: (key) => services.cache.get(key) };
}

async function latency(calls: Calls, op: Op, n: number, key: string): Promise<number> {
  const fn = op === 'incr' ? calls.incr : calls.get;
  for (let i = 0; i < Math.min(500, n); i++) await fn(key); // warm-up
  const samples = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    await fn(key);
    samples[i] = Number(process.hrtime.bigint() - t0) / 1000;
  }
  return median([...samples]);
}

/** Calls per second, and this worker's CPU µs per call. */
async function throughput(calls: Calls, op: Op, durationMs: number, concurrency: number, key: string): Promise<[number, number]> {
  const fn = op === 'incr' ? calls.incr : calls.get;
  let done = 0;
  const end = Date.now() + durationMs;
  const chain = async () => {
    while (Date.now() < end) {
      await fn(key);
      done++;
    }
  };
  const t0 = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  await Promise.all(Array.from({ length: concurrency }, chain));
  const cpu = process.cpuUsage(cpu0);
  return [done / (Number(process.hrtime.bigint() - t0) / 1e9), (cpu.user + cpu.system) / done];
}

async function runWorker(mechanism: Mechanism, path: string): Promise<void> {
  const calls = mechanism === 'uds' ? udsCalls(new SharedStateClient({ path, token: TOKEN })) : ipcClient();
  process.on('message', async (m: RunCommand | { exit: true }) => {
    if ('exit' in m) process.exit(0);
    if (!('run' in m)) return;
    const result = m.run === 'latency'
      ? await latency(calls, m.op, m.calls, m.key)
      : await throughput(calls, m.op, m.durationMs, m.concurrency, m.key);
    process.send!({ result });
  });
  process.send!({ ready: true });
}

// ---------------------------------------------------------------- main

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function ask<T>(child: ChildProcess, cmd: RunCommand): Promise<T> {
  return new Promise((resolve) => {
    const on = (m: { result?: T }) => {
      if (m.result === undefined) return;
      child.off('message', on);
      resolve(m.result);
    };
    child.on('message', on);
    child.send(cmd);
  });
}

async function startWorkers(mechanism: Mechanism, count: number, path: string, counters: CounterStore, cache: LruCache): Promise<ChildProcess[]> {
  const children = Array.from({ length: count }, () =>
    fork(import.meta.filename, ['--worker', mechanism, '--path', path], {
      serialization: mechanism === 'ipc-advanced' ? 'advanced' : 'json',
      execArgv: ['--disable-warning=ExperimentalWarning'],
    }),
  );
  for (const child of children) if (mechanism !== 'uds') serveIpc(child, counters, cache);
  await Promise.all(children.map((c) => new Promise<void>((resolve) => c.on('message', (m: { ready?: boolean }) => m.ready && resolve()))));
  return children;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '3' },
      duration: { type: 'string', default: '2' },
      concurrency: { type: 'string', default: '128' },
      calls: { type: 'string', default: '3000' },
      worker: { type: 'string' },
      path: { type: 'string' },
    },
  });
  if (values.worker !== undefined) return runWorker(values.worker as Mechanism, values.path!);
  const rounds = Number(values.rounds);
  const durationMs = Number(values.duration) * 1000;
  const concurrency = Number(values.concurrency);
  const calls = Number(values.calls);

  const dir = mkdtempSync(join(tmpdir(), 'tollgate-bench-ss-'));
  const server = new SharedStateServer({ cacheBytes: 64 * 1024 * 1024, token: TOKEN });
  const path = socketPathFor(dir);
  await server.listen(path);
  // The IPC contestants use stores of the same classes, held by this process as the supervisor would.
  const ipcCounters = new CounterStore();
  const ipcCache = new LruCache(64 * 1024 * 1024);
  const local = server.localServices();
  await local.cache.set('hot', VALUE, 0);
  ipcCache.set('hot', { bytes: new Uint8Array(Buffer.from(VALUE)), text: true }, 0, Date.now());

  const results = new Map<string, number[]>();
  const record = (k: string, v: number) => (results.get(k) ?? results.set(k, []).get(k)!).push(v);
  for (let round = 1; round <= rounds; round++) {
    for (const mechanism of MECHANISMS) {
      process.stderr.write(`round ${round}/${rounds}: ${mechanism}\n`);
      const children = await startWorkers(mechanism, 2, path, ipcCounters, ipcCache);
      for (const op of ['incr', 'get'] as Op[]) {
        const base = { op, calls, durationMs, concurrency, key: op === 'incr' ? `c:${mechanism}` : 'hot' };
        record(`${mechanism}/${op}/latency`, await ask<number>(children[0], { ...base, run: 'latency' }));
        const cpu0 = process.cpuUsage();
        const t0 = process.hrtime.bigint();
        const rates = await Promise.all(children.map((c) => ask<[number, number]>(c, { ...base, run: 'throughput' })));
        const cpu = process.cpuUsage(cpu0);
        const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
        const total = rates[0][0] + rates[1][0];
        record(`${mechanism}/${op}/throughput`, total);
        // CPU per call: the node's (this process, the serial resource every worker shares) and a worker's.
        record(`${mechanism}/${op}/node-cpu`, (cpu.user + cpu.system) / (total * seconds));
        record(`${mechanism}/${op}/worker-cpu`, (rates[0][1] + rates[1][1]) / 2);
      }
      for (const c of children) c.send({ exit: true });
      await Promise.all(children.map((c) => new Promise((resolve) => c.once('exit', resolve))));
    }
    const floor = { incr: (k: string) => local.counters.incr(k, 1, 60_000), get: (k: string) => local.cache.get(k) };
    record('local/incr/latency', await latency(floor, 'incr', calls, 'c:local'));
    record('local/get/latency', await latency(floor, 'get', calls, 'hot'));
  }
  await server.close();
  rmSync(dir, { recursive: true, force: true });

  const m = (k: string) => median(results.get(k) ?? [NaN]);
  const fmt = (v: number, digits = 1) => (Number.isNaN(v) ? '—' : v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }));
  console.log(`${rounds} rounds; latency: one call at a time (${calls} calls, median µs); throughput: 2 worker processes x ${concurrency} calls outstanding for ${durationMs / 1000} s (calls/s, both summed); medians over rounds; × uds = ratio to uds (latency: lower is better; throughput: higher is better).\n`);
  console.log('| mechanism | incr µs | × uds | cache hit µs | × uds | incr calls/s | × uds | cache hit calls/s | × uds |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const mech of [...MECHANISMS, 'local']) {
    const cells: string[] = [];
    for (const op of ['incr', 'get']) {
      const l = m(`${mech}/${op}/latency`);
      cells.push(fmt(l), fmt(l / m(`uds/${op}/latency`), 2));
    }
    for (const op of ['incr', 'get']) {
      const t = m(`${mech}/${op}/throughput`);
      cells.push(fmt(t, 0), fmt(t / m(`uds/${op}/throughput`), 2));
    }
    console.log(`| ${mech} | ${cells.join(' | ')} |`);
  }
  console.log('\nCPU per call under the throughput load (µs; node = the supervisor side, worker = one worker process):\n');
  console.log('| mechanism | incr node | incr worker | × uds (sum) | cache hit node | cache hit worker | × uds (sum) |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const mech of MECHANISMS) {
    const cells: string[] = [];
    for (const op of ['incr', 'get']) {
      const n = m(`${mech}/${op}/node-cpu`);
      const w = m(`${mech}/${op}/worker-cpu`);
      cells.push(fmt(n, 2), fmt(w, 2), fmt((n + w) / (m(`uds/${op}/node-cpu`) + m(`uds/${op}/worker-cpu`)), 2));
    }
    console.log(`| ${mech} | ${cells.join(' | ')} |`);
  }
}

await main();
