import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { freePort, probe, waitForHttp } from './net.ts';

test('freePort returns a bindable loopback port', async () => {
  const port = await freePort();
  assert.ok(port > 0 && port < 65536);
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  server.close();
});

test('waitForHttp waits until the server answers 200', async () => {
  const port = await freePort();
  let calls = 0;
  const server = createServer((_req, res) => {
    calls++;
    res.statusCode = calls < 3 ? 503 : 200;
    res.end('ok');
  });
  // Start listening only after a moment: the first attempts see "connection refused".
  setTimeout(() => server.listen(port, '127.0.0.1'), 200);
  try {
    const outcome = await waitForHttp(`http://127.0.0.1:${port}/`, { timeoutMs: 5000 });
    assert.deepEqual(outcome, { ready: true });
    assert.equal(calls, 3);
  } finally {
    server.close();
  }
});

test('waitForHttp can accept any status', async () => {
  const server = createServer((_req, res) => { res.statusCode = 502; res.end(); });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const address = server.address();
    const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/`;
    assert.deepEqual(await waitForHttp(url, { timeoutMs: 2000, accept: () => true }), { ready: true });
    const strict = await waitForHttp(url, { timeoutMs: 300 });
    assert.match(strict.ready ? '' : strict.reason, /last: HTTP 502/);
  } finally {
    server.close();
  }
});

test('waitForHttp gives up at the deadline with the last problem', async () => {
  const port = await freePort();
  const started = Date.now();
  const outcome = await waitForHttp(`http://127.0.0.1:${port}/`, { timeoutMs: 400 });
  assert.equal(outcome.ready, false);
  assert.match(outcome.ready ? '' : outcome.reason, /did not answer within .*ECONNREFUSED/);
  assert.ok(Date.now() - started < 2000);
});

test('waitForHttp stops early when told the process is gone', async () => {
  const port = await freePort();
  const started = Date.now();
  const outcome = await waitForHttp(`http://127.0.0.1:${port}/`, { timeoutMs: 10_000, gaveUp: () => 'it exited' });
  assert.deepEqual(outcome, { ready: false, reason: 'it exited' });
  assert.ok(Date.now() - started < 1000);
});

test('probe returns status and body, or the error', async () => {
  const server = createServer((_req, res) => res.end('hello'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    assert.deepEqual(await probe(`http://127.0.0.1:${port}/`), { status: 200, body: 'hello' });
  } finally {
    server.close();
  }
  const refused = await probe(`http://127.0.0.1:${await freePort()}/`);
  assert.match(refused.error ?? '', /ECONNREFUSED/);
});
