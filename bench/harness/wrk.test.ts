import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseWrkOutput, runWrk, wrkArgs, WRK_REPORT_SCRIPT } from './wrk.ts';
import { findExecutable } from './tools.ts';

// Output of a real `wrk --latency -s wrk-report.lua` run (wrk 4.1.0, Debian).
const REAL_OUTPUT = `Running 2s test @ http://127.0.0.1:18080/
  1 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   168.05us   68.00us   2.18ms   98.77%
    Req/Sec   382.34k     6.46k  394.49k    71.43%
  Latency Distribution
     50%  162.00us
     75%  167.00us
     90%  171.00us
     99%  256.00us
  797164 requests in 2.10s, 113.27MB read
Requests/sec: 379568.83
Transfer/sec:     53.94MB
WRK_JSON {"requests":797164,"duration_us":2100183,"bytes":118777436,"errors":{"connect":0,"read":0,"write":0,"status":0,"timeout":0},"latency_us":{"mean":168.0,"max":2180,"p50":162,"p90":171,"p99":256,"p999":1241}}
`;

test('parseWrkOutput reads the JSON summary line', () => {
  const result = parseWrkOutput(REAL_OUTPUT);
  assert.equal(result.requests, 797164);
  assert.ok(Math.abs(result.requestsPerSecond - 797164 / 2.100183) < 1e-6);
  assert.equal(result.latencyUs.p50, 162);
  assert.equal(result.latencyUs.p99, 256);
  assert.equal(result.errorCount, 0);
});

test('parseWrkOutput adds up every kind of error', () => {
  const line = 'WRK_JSON {"requests":10,"duration_us":1000000,"bytes":1,"errors":{"connect":1,"read":2,"write":3,"status":4,"timeout":5},"latency_us":{"mean":1,"max":1,"p50":1,"p90":1,"p99":1,"p999":1}}';
  assert.equal(parseWrkOutput(line).errorCount, 15);
});

test('parseWrkOutput without a summary line fails with the output', () => {
  assert.throws(() => parseWrkOutput('unable to connect to 127.0.0.1:1 Connection refused'), /printed no summary.*Connection refused/s);
});

test('wrkArgs passes duration, connections, --latency and the Lua reporter', () => {
  const args = wrkArgs({ wrkPath: 'wrk', url: 'http://127.0.0.1:1/', durationSeconds: 3, connections: 32, threads: 1 });
  assert.deepEqual(args, ['-t', '1', '-c', '32', '-d', '3s', '--timeout', '5s', '--latency', '-s', WRK_REPORT_SCRIPT, 'http://127.0.0.1:1/']);
  // wrk refuses fewer connections than threads
  assert.equal(wrkArgs({ wrkPath: 'wrk', url: 'u', durationSeconds: 1, connections: 1, threads: 2 })[3], '2');
});

const wrkPath = findExecutable('wrk');

test('runWrk measures a real server and counts non-2xx answers', { skip: wrkPath ? false : 'wrk is not installed' }, async () => {
  let served = 0;
  const server = createServer((_req, res) => {
    served++;
    res.statusCode = served % 2 === 0 ? 500 : 200;
    res.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const port = (server.address() as AddressInfo).port;
    const { result, raw } = await runWrk({ wrkPath: wrkPath as string, url: `http://127.0.0.1:${port}/`, durationSeconds: 1, connections: 4, threads: 1 });
    assert.ok(result.requests > 100, `only ${result.requests} requests`);
    assert.ok(result.errors.status > 0);
    assert.ok(result.latencyUs.p99 >= result.latencyUs.p50);
    assert.match(raw, /Latency Distribution/);
  } finally {
    server.close();
  }
});
