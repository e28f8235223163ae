import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createHttpServer, get as httpGet } from 'node:http';
import { createServer, connect, type AddressInfo, type Socket } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INSTRUMENT } from './instrumentations.ts';
import { traceOutboundCalls } from './outbound.ts';
import { runInScope } from './request-scope.ts';
import { RequestTrace } from './trace.ts';

async function connected(host: string, port: number, trace: RequestTrace): Promise<Socket> {
  const socket = runInScope(trace, () => connect({ host, port }));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return socket;
}

test('dns_query: a lookup is a kong.dns span; a connection to an address records none and keeps no listener', async () => {
  traceOutboundCalls(INSTRUMENT.dns_query);
  const server = createServer((s) => s.end());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  try {
    const byName = new RequestTrace(INSTRUMENT.dns_query, Date.now(), 1);
    const a = await connected('localhost', port, byName);
    const [span] = byName.spans.filter((s) => s.name === 'kong.dns');
    assert.ok(span !== undefined);
    assert.equal(span.attributes['dns.record.domain'], 'localhost');
    assert.match(String(span.attributes['dns.record.ip']), /^(127\.0\.0\.1|::1)$/);
    assert.equal(span.attributes['dns.record.port'], port);
    assert.equal(span.parentId?.equals(byName.root.spanId), true);
    a.destroy();

    const byAddress = new RequestTrace(INSTRUMENT.dns_query, Date.now(), 1);
    const b = await connected('127.0.0.1', port, byAddress);
    assert.equal(byAddress.spans.some((s) => s.name === 'kong.dns'), false);
    assert.equal(b.listenerCount('lookup'), 0, 'a pooled socket would keep the trace alive');
    assert.equal(b.listenerCount('connectionAttempt'), 0);
    b.destroy();

    const unix = join(mkdtempSync(join(tmpdir(), 'tg-dns-')), 's.sock');
    const local = createServer((s) => s.end());
    await new Promise<void>((resolve) => local.listen(unix, resolve));
    const viaPath = new RequestTrace(INSTRUMENT.dns_query, Date.now(), 1);
    const c = runInScope(viaPath, () => connect(unix));
    await new Promise<void>((resolve, reject) => c.once('connect', resolve).once('error', reject));
    assert.deepEqual([c.listenerCount('lookup'), c.listenerCount('connectionAttempt')], [0, 0], 'a Unix socket too');
    c.destroy();
    local.close();

    const ended = new RequestTrace(INSTRUMENT.dns_query, Date.now(), 1);
    ended.finalize(Date.now(), 200, null);
    (await connected('localhost', port, ended)).destroy();
    assert.equal(ended.spans.some((s) => s.name === 'kong.dns'), false, 'work after the request ended belongs to no request');
  } finally {
    server.close();
  }
});

test('http_client: a call under an instrumented plugin phase is a child of its span; node:http and fetch alike', async () => {
  traceOutboundCalls(INSTRUMENT.http_client);
  const server = createHttpServer((req, res) => res.writeHead(req.url === '/missing' ? 404 : 200).end('ok'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  try {
    const trace = new RequestTrace(INSTRUMENT.http_client | INSTRUMENT.plugin_access, Date.now(), 1);
    const phase = trace.pluginSpan('access', 'jwks-fetcher');
    await runInScope(trace, async () => {
      await (await fetch(`http://127.0.0.1:${port}/jwks`, { method: 'POST', body: 'x' })).text();
      await new Promise<void>((resolve, reject) => {
        httpGet(`http://127.0.0.1:${port}/missing`, { headers: { 'user-agent': 'probe/2' } }, (res) => res.resume().on('end', resolve)).on('error', reject);
      });
    });
    trace.endSpan(phase);
    const calls = trace.spans.filter((s) => s.name === 'kong.internal.request');
    assert.equal(calls.length, 2);
    for (const call of calls) {
      assert.equal(call.kind, 3);
      assert.equal(call.parentId?.equals(phase.spanId), true, 'child of the plugin phase span');
      assert.ok(call.endMs >= call.startMs && call.endMs > 0);
    }
    assert.deepEqual(
      calls.map((c) => [c.attributes['http.method'], c.attributes['http.url'], c.attributes['http.status_code'], c.attributes['http.flavor']]),
      [['POST', `http://127.0.0.1:${port}/jwks`, 200, '1.1'], ['GET', `http://127.0.0.1:${port}/missing`, 404, '1.1']],
    );
    assert.equal(calls[1].attributes['http.user_agent'], 'probe/2');

    const before = trace.spans.length;
    await (await fetch(`http://127.0.0.1:${port}/`)).text();
    assert.equal(trace.spans.length, before, 'a call outside the request scope is not the request\'s');
  } finally {
    server.close();
  }
});
