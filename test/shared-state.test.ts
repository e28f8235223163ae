/**
 * Node-wide shared state across real processes: forked processes using the real client against the real
 * node-side server (exactness, expiry, a crash mid-run, the supervisor going away), and a real node with two
 * workers whose `/metrics` sums what the workers counted, right after the traffic and across a worker crash.
 */
import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { SharedStateServer, socketPathFor } from '../src/shared-state/index.ts';
import { ROOT, startTollgate, waitUntil, type TollgateNode } from './helpers/tollgate.ts';
import type { WorkerCommand, WorkerReply } from './support/shared-state-worker.ts';

const WORKER = join(ROOT, 'test', 'support', 'shared-state-worker.ts');

class Worker {
  readonly proc: ChildProcess;
  readonly acked: number[] = [];
  #waiting: ((r: WorkerReply) => void)[] = [];

  constructor(path: string, token: string) {
    this.proc = fork(WORKER, [path, token], { execArgv: ['--disable-warning=ExperimentalWarning'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.proc.on('message', (r: WorkerReply) => {
      if ('acked' in r) this.acked.push(...r.acked);
      else this.#waiting.shift()?.(r);
    });
  }

  static async start(path: string, token: string): Promise<Worker> {
    const w = new Worker(path, token);
    await new Promise((resolve) => w.#waiting.push(resolve));
    return w;
  }

  send(cmd: WorkerCommand): Promise<WorkerReply> {
    return new Promise((resolve) => {
      this.#waiting.push(resolve);
      this.proc.send(cmd);
    });
  }

  kill(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return Promise.resolve();
    const gone = new Promise<void>((resolve) => this.proc.once('exit', () => resolve()));
    this.proc.kill('SIGKILL');
    return gone;
  }
}

describe('shared state across processes (real client and server modules)', () => {
  let dir: string;
  let server: SharedStateServer;
  let path: string;
  const token = 'test-token';
  const workers: Worker[] = [];
  const start = async () => {
    const w = await Worker.start(path, token);
    workers.push(w);
    return w;
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tollgate-shared-'));
    server = new SharedStateServer({ cacheBytes: 1 << 20, token });
    path = socketPathFor(dir);
    await server.listen(path);
  });
  after(async () => {
    await Promise.all(workers.map((w) => w.kill()));
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('2 processes x 500 concurrent increments of one counter: exactly 1000, every value seen once', async () => {
    const [a, b] = await Promise.all([start(), start()]);
    const [ra, rb] = await Promise.all([
      a.send({ cmd: 'incr', key: 'rl:exact', count: 500, ttlMs: 0 }),
      b.send({ cmd: 'incr', key: 'rl:exact', count: 500, ttlMs: 0 }),
    ]);
    assert.ok('values' in ra && 'values' in rb && ra.values && rb.values);
    const all = [...ra.values, ...rb.values].sort((x, y) => x - y);
    assert.deepEqual(all, Array.from({ length: 1000 }, (_, i) => i + 1));
    assert.deepEqual(await a.send({ cmd: 'get', key: 'rl:exact' }), { ok: true, value: 1000 });
  });

  test('a counter expires for every process at once and restarts from 0', async () => {
    const [a, b] = workers;
    const first = await a.send({ cmd: 'incr', key: 'rl:window', count: 3, ttlMs: 300 });
    assert.deepEqual(first, { ok: true, values: [1, 2, 3] });
    assert.deepEqual(await b.send({ cmd: 'incr', key: 'rl:window', count: 1, ttlMs: 300 }), { ok: true, values: [4] });
    await new Promise((r) => setTimeout(r, 350));
    assert.deepEqual(await b.send({ cmd: 'get', key: 'rl:window' }), { ok: true, value: 0 });
    assert.deepEqual(await b.send({ cmd: 'incr', key: 'rl:window', count: 1, ttlMs: 300 }), { ok: true, values: [1] });
    assert.deepEqual(await a.send({ cmd: 'get', key: 'rl:window' }), { ok: true, value: 1 });
  });

  test('a process killed mid-run loses nothing of the node state; its replacement carries on', async () => {
    const [a] = workers;
    const victim = await start();
    await victim.send({ cmd: 'metric', name: 'test_victim_total', by: 7 });
    // Its metrics reach the node on the scrape's flush, before it dies.
    assert.match(await server.renderMetrics(), /^test_victim_total 7$/m);
    void victim.send({ cmd: 'incr-forever', key: 'rl:crash' });
    await waitUntil(() => victim.acked.length >= 200, 10_000, 'the victim to make progress');
    const busy = a.send({ cmd: 'incr', key: 'rl:crash', count: 500, ttlMs: 0 });
    await victim.kill();
    const ra = await busy;
    assert.ok('values' in ra && ra.values);
    const seen = [...ra.values, ...victim.acked];
    assert.equal(new Set(seen).size, seen.length, 'no value was handed out twice');
    // Acknowledged increments all count; those in flight when it died may or may not have been applied.
    const total = server.counters.get('rl:crash', Date.now());
    assert.ok(total >= seen.length && total <= seen.length + 20, `total ${total}, acknowledged ${seen.length}`);
    const replacement = await start();
    assert.deepEqual(await replacement.send({ cmd: 'incr', key: 'rl:crash', count: 1, ttlMs: 0 }), { ok: true, values: [total + 1] });
    // Counters survive the crash; the dead process no longer counts as connected.
    const text = await server.renderMetrics();
    assert.match(text, /^test_victim_total 7$/m);
    assert.match(text, new RegExp(`^tollgate_shared_state_workers ${workers.length - 1}$`, 'm'));
  });

  test('a process whose node is gone gets a clear error, not a hang', async () => {
    const [a] = workers;
    await server.close();
    const r = await a.send({ cmd: 'incr', key: 'rl:exact', count: 1, ttlMs: 0 });
    assert.equal('ok' in r && r.ok, false);
    assert.match((r as { error: string }).error, /node shared state is unavailable: the connection to the supervisor .* closed/);
  });
});

describe('a real node with 2 workers', () => {
  let node: TollgateNode;
  before(async () => {
    node = await startTollgate({ workers: 2, config: '_format_version: "3.0"\nservices: []\n', waitFor: 'listening' });
  });
  after(async () => {
    await node?.stop();
  });

  const metric = async (base: string, name: string): Promise<number | null> => {
    const r = await fetch(`${base}/metrics`);
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(await r.text());
    return m === null ? null : Number(m[1]);
  };

  test('/metrics (Status and Admin API) sums the workers right after the traffic, and keeps counts across a worker crash', async () => {
    await waitUntil(async () => (await metric(node.status, 'tollgate_shared_state_workers')) === 2, 10_000, 'both workers to connect');
    assert.equal(await metric(node.status, 'tollgate_shared_cache_limit_bytes'), 128 * 1024 * 1024);
    const before = (await metric(node.status, 'tollgate_proxy_requests_total')) ?? 0;
    // Separate connections, so that both workers get some.
    for (let i = 0; i < 6; i++) await fetch(`${node.proxy}/nothing-here-${i}`, { headers: { connection: 'close' } });
    // No waiting for the push timer: the scrape asks the workers first.
    assert.equal(await metric(node.status, 'tollgate_proxy_requests_total'), before + 6);
    assert.equal(await metric(node.admin, 'tollgate_proxy_requests_total'), before + 6);

    const info = (await (await fetch(`${node.admin}/`)).json()) as { pids: { workers: number[] } };
    const [victim] = info.pids.workers;
    process.kill(victim, 'SIGKILL');
    await waitUntil(async () => {
      const now = (await (await fetch(`${node.admin}/`)).json()) as { pids: { workers: number[] } };
      return now.pids.workers.length === 2 && !now.pids.workers.includes(victim) && (await metric(node.status, 'tollgate_shared_state_workers')) === 2;
    }, 20_000, 'a replacement worker');
    assert.equal(await metric(node.status, 'tollgate_proxy_requests_total'), before + 6, 'pushed counts survive the crash');
    for (let i = 0; i < 2; i++) await fetch(`${node.proxy}/again-${i}`, { headers: { connection: 'close' } });
    assert.equal(await metric(node.status, 'tollgate_proxy_requests_total'), before + 8);
  });
});
