import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { SharedStateClient, SharedStateUnavailableError } from './client.ts';
import { FrameReader, FrameWriter, Op } from './protocol.ts';
import { SharedStateServer, socketPathFor } from './server.ts';

async function node(options: { cacheBytes?: number; now?: () => number } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-ss-'));
  const server = new SharedStateServer({ cacheBytes: options.cacheBytes ?? 1 << 20, token: 'secret', now: options.now });
  const path = socketPathFor(dir);
  await server.listen(path);
  return {
    server,
    path,
    client: (pushIntervalMs?: number) => new SharedStateClient({ path, token: 'secret', pushIntervalMs }),
    async close() {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

test('protocol: frames split at any byte boundary are read back whole', () => {
  const w = new FrameWriter(8);
  w.incr(1, 2.5, 60_000, 'clé');
  w.cacheSet(2, 'k', 'välue', 0);
  w.cacheSet(3, 'bin', Uint8Array.of(0, 255), 5);
  w.text(Op.CACHE_PURGE, 4, '');
  const bytes = w.take();
  for (let cut = 0; cut <= bytes.length; cut++) {
    const seen: string[] = [];
    const r = new FrameReader((op, id, buf, start, end) => seen.push(`${op}/${id}/${buf.subarray(start, end).toString('hex')}`));
    r.push(bytes.subarray(0, cut));
    r.push(bytes.subarray(cut));
    assert.equal(seen.length, 4, `cut at ${cut}`);
    assert.ok(seen[0].startsWith(`${Op.INCR}/1/`));
    assert.equal(seen[3], `${Op.CACHE_PURGE}/4/`);
  }
});

test('client and server: counters, cache (text and bytes, TTL, purge) and errors over a real socket', async () => {
  let now = 1_000_000;
  const n = await node({ cacheBytes: 4096, now: () => now });
  const c = n.client();
  try {
    assert.equal(statSync(n.path).mode & 0o777, 0o600, 'only the node user may connect');
    assert.deepEqual(await Promise.all([c.counters.incr('k', 1, 0), c.counters.incr('k', 1, 0), c.counters.incr('k', 3, 0)]), [1, 2, 5]);
    assert.equal(await c.counters.get('k'), 5);
    await c.counters.delete('k');
    assert.equal(await c.counters.get('k'), 0);
    assert.equal(await c.counters.incr('w', 1, 1000), 1);
    now += 1000;
    assert.equal(await c.counters.get('w'), 0, 'expired');
    assert.equal(await c.counters.incr('w', 1, 1000), 1, 'restarted');

    await c.cache.set('t', 'héllo', 0);
    await c.cache.set('b', Uint8Array.of(1, 2, 3), 500);
    assert.equal(await c.cache.get('t'), 'héllo');
    const b = await c.cache.get('b');
    assert.ok(b instanceof Uint8Array && typeof b !== 'string');
    assert.deepEqual([...b], [1, 2, 3]);
    now += 500;
    assert.equal(await c.cache.get('b'), undefined);
    await c.cache.set('p:1', '', 0);
    assert.equal(await c.cache.get('p:1'), '', 'an empty string is a value');
    await c.cache.purge('p:');
    assert.equal(await c.cache.get('p:1'), undefined);
    await c.cache.delete('t');
    assert.equal(await c.cache.get('t'), undefined);
    await assert.rejects(c.cache.set('huge', 'x'.repeat(5000), 0), /mem_cache_size/);
    // Large values cross several socket reads.
    const big = new Uint8Array(3000).map((_, i) => i & 255);
    await c.cache.set('big', big, 0);
    assert.deepEqual(await c.cache.get('big'), big);
  } finally {
    c.close();
    await n.close();
  }
});

test('client: calls reject with a clear error once the supervisor is gone, instead of hanging', async () => {
  const n = await node();
  const c = n.client();
  assert.equal(await c.counters.incr('x', 1, 0), 1);
  const inFlight = c.counters.incr('x', 1, 0);
  // The server goes away with the call sent but not answered (or not even sent).
  await n.close();
  await assert.rejects(inFlight, (err: Error) => err instanceof SharedStateUnavailableError && /supervisor/.test(err.message));
  await assert.rejects(c.cache.get('x'), SharedStateUnavailableError);
});

test('server: a connection without the node token is refused', async () => {
  const n = await node();
  try {
    const socket = createConnection(n.path);
    const w = new FrameWriter();
    w.text(Op.HELLO, 0, 'wrong');
    w.incr(1, 1, 0, 'k');
    socket.write(w.take());
    let got = 0;
    socket.on('data', (d) => (got += d.length));
    await new Promise((resolve) => socket.on('close', resolve));
    assert.equal(got, 0);
    assert.equal(n.server.counters.get('k', Date.now()), 0);
  } finally {
    await n.close();
  }
});

test('metrics: a scrape asks every worker to push first, so it includes what was just counted', async () => {
  const n = await node();
  // A push interval far longer than the test: only the flush before the scrape can bring the values.
  const clients = [n.client(3_600_000), n.client(3_600_000)];
  try {
    await Promise.all(clients.map((c) => c.counters.get('warm-up')));
    for (const c of clients) c.metrics.counter({ name: 'hits_total', help: 'Hits.', labelNames: ['route'] }).inc(['r1'], 3);
    const text = await n.server.renderMetrics();
    assert.match(text, /^hits_total\{route="r1"\} 6$/m);
    assert.match(text, /^tollgate_shared_state_workers 2$/m);
    assert.match(text, /^tollgate_shared_cache_limit_bytes 1048576$/m);
  } finally {
    for (const c of clients) c.close();
    await n.close();
  }
});

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 20));
  assert.ok(check(), what);
}

test('sole worker: counts in its own memory, mirrors to the node, and a replacement starts from the mirror', async () => {
  const n = await node();
  const sole = () => new SharedStateClient({ path: n.path, token: 'secret', soleWorker: true, pushIntervalMs: 3_600_000 });
  const a = sole();
  try {
    const t0 = Date.now();
    // Calls made before the node's counters arrive wait for them, in order.
    assert.deepEqual(await Promise.all([a.counters.incr('k', 1, 60_000), a.counters.incr('k', 2, 60_000)]), [1, 3]);
    const t1 = Date.now();
    // From then on nothing waits for the node.
    const next = a.counters.incr('k', 1, 60_000);
    assert.equal(a.inFlight, 0, 'no round trip per increment');
    assert.equal(await next, 4);
    assert.equal(await a.counters.incr('gone', 5, 0), 5);
    await a.counters.delete('gone');
    assert.equal(await a.counters.get('gone'), 0);
    await until(() => n.server.counters.get('k', Date.now()) === 4, 'the node mirrors the worker');
    assert.equal(n.server.counters.get('gone', Date.now()), 0, 'a delete is mirrored too');
    const [, , expiresAt] = n.server.counters.entries(Date.now()).find(([key]) => key === 'k')!;
    assert.ok(expiresAt >= t0 + 60_000 && expiresAt <= t1 + 60_000, 'the mirror ends when the worker’s counter does');
    a.close();

    const b = sole();
    try {
      assert.equal(await b.counters.incr('k', 1, 60_000), 5, 'the replacement carries on from the node’s copy');
      assert.equal(await b.counters.get('gone'), 0);
      await until(() => n.server.counters.get('k', Date.now()) === 5, 'the replacement mirrors too');
    } finally {
      b.close();
    }
  } finally {
    a.close();
    await n.close();
  }
});

test('sole worker: an increment after its counter expired since the last mirror restarts it, here and in the mirror', async () => {
  const n = await node();
  const c = new SharedStateClient({ path: n.path, token: 'secret', soleWorker: true, pushIntervalMs: 3_600_000, mirrorIntervalMs: 200 });
  try {
    await c.counters.get('ready');
    assert.equal(await c.counters.incr('w', 1, 30), 1);
    await new Promise((resolve) => setTimeout(resolve, 40));
    // Still unsent (the mirror goes every 200 ms): the old life must not reach the node as part of the new one.
    assert.equal(await c.counters.incr('w', 1, 60_000), 1, 'restarted');
    await until(() => n.server.counters.get('w', Date.now()) === 1, 'the mirror restarted as well');
  } finally {
    c.close();
    await n.close();
  }
});
