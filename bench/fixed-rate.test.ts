import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { dueCount, parseFixedRateArgs, runFixedRate, scheduledOffsetNs } from './fixed-rate.ts';
import { parseFixedRateOutput, runFixedRateProcess } from './harness/fixed-rate-runner.ts';

test('dueCount: request 0 at the start, one more every 1/rate, capped at the total', () => {
  assert.equal(dueCount(-1, 1000, 100), 0);
  assert.equal(dueCount(0, 1000, 100), 1);
  assert.equal(dueCount(999_999, 1000, 100), 1);
  assert.equal(dueCount(1_000_000, 1000, 100), 2);
  assert.equal(dueCount(50_000_000, 1000, 100), 51);
  assert.equal(dueCount(10e9, 1000, 100), 100);
});

test('scheduledOffsetNs spaces requests evenly', () => {
  assert.equal(scheduledOffsetNs(0, 3000), 0);
  assert.equal(scheduledOffsetNs(3000, 3000), 1e9);
  assert.equal(scheduledOffsetNs(1, 4), 250_000_000);
});

test('argument parsing', () => {
  const options = parseFixedRateArgs(['--url', 'http://127.0.0.1:1/x?y', '--rate', '500', '--duration', '2']);
  assert.equal(options.rate, 500);
  assert.equal(options.durationSeconds, 2);
  assert.equal(options.warmupSeconds, 1);
  assert.equal(options.connections, 64);
  assert.throws(() => parseFixedRateArgs([]), /--url is required/);
  assert.throws(() => parseFixedRateArgs(['--url', 'https://127.0.0.1/']), /only http:\/\//);
  assert.throws(() => parseFixedRateArgs(['--url', 'http://127.0.0.1/', '--rate', '0']), /--rate must be a number >= 1/);
});

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

test('sends at the asked rate, warm-up included in counts but not in latencies', async (t) => {
  let served = 0;
  const server = createServer((_req, res) => { served++; res.end('ok'); });
  const url = await listen(server);
  t.after(() => server.close());
  const result = await runFixedRate({ url, rate: 400, durationSeconds: 1, warmupSeconds: 0.25, connections: 8, drainSeconds: 2 });
  assert.equal(result.sent, 500);
  assert.equal(result.completed, 500);
  assert.equal(served, 500);
  assert.equal(result.achievedRate, 400);
  assert.equal(result.non2xx + result.errors + result.incomplete, 0);
  assert.ok(result.latencyUs.p50 > 0 && result.latencyUs.p50 < 50_000, `p50 ${result.latencyUs.p50} µs`);
  assert.ok(result.sendLagUs.p50 < 5_000, `the generator itself was late by ${result.sendLagUs.p50} µs at p50`);
});

test('latency counts from the scheduled time, so a slow server cannot hide its queue (no coordinated omission)', async (t) => {
  // One request at a time, 20 ms each: 50 req/s capacity against 100 req/s offered. A closed-loop tool would
  // report ~20 ms; the honest answer grows with the backlog, to about half a second by the end.
  let busyUntil = 0;
  const server = createServer((_req, res) => {
    const start = Math.max(Date.now(), busyUntil);
    busyUntil = start + 20;
    setTimeout(() => res.end('ok'), busyUntil - Date.now());
  });
  const url = await listen(server);
  t.after(() => server.close());
  const result = await runFixedRate({ url, rate: 100, durationSeconds: 1, warmupSeconds: 0, connections: 1, drainSeconds: 5 });
  assert.equal(result.completed, 100);
  assert.ok(result.latencyUs.p99 > 700_000, `p99 ${result.latencyUs.p99} µs should show the ~1 s backlog`);
  assert.ok(result.latencyUs.p50 > 300_000, `p50 ${result.latencyUs.p50} µs`);
});

test('answers still missing after the drain time are counted and recorded with the time they waited', async (t) => {
  const server = createServer(() => { /* never answers */ });
  const url = await listen(server);
  t.after(() => { server.closeAllConnections(); server.close(); });
  const started = Date.now();
  const result = await runFixedRate({ url, rate: 50, durationSeconds: 0.2, warmupSeconds: 0, connections: 20, drainSeconds: 0.3 });
  assert.equal(result.sent, 10);
  assert.equal(result.incomplete, 10);
  assert.equal(result.completed, 0);
  assert.equal(result.errors, 0, 'closing the pool must not count the abandoned requests a second time');
  assert.ok(result.latencyUs.p50 >= 300_000, `p50 ${result.latencyUs.p50} µs`);
  assert.ok(Date.now() - started < 3000);
});

test('non-2xx answers are counted', async (t) => {
  const server = createServer((_req, res) => { res.statusCode = 404; res.end(); });
  const url = await listen(server);
  t.after(() => server.close());
  const result = await runFixedRate({ url, rate: 100, durationSeconds: 0.2, warmupSeconds: 0, connections: 4, drainSeconds: 1 });
  assert.equal(result.non2xx, 20);
});

test('runs as its own process and prints JSON the harness can read', async (t) => {
  const server = createServer((_req, res) => res.end('ok'));
  const url = await listen(server);
  t.after(() => server.close());
  const result = await runFixedRateProcess({ nodePath: process.execPath, url, rate: 200, durationSeconds: 1, warmupSeconds: 0, connections: 4 });
  assert.equal(result.sent, 200);
  assert.equal(result.completed, 200);
  assert.throws(() => parseFixedRateOutput('', 'fixed-rate: --url is required'), /printed no result: fixed-rate: --url is required/);
});
