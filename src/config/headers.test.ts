import { test } from 'node:test';
import assert from 'node:assert/strict';
import { headerEntries, resolveDownstreamHeaders, resolveUpstreamHeaders, upstreamHeaderEntries } from './headers.ts';

const NONE = {
  server: false, via: false, proxyLatency: false, responseLatency: false,
  upstreamLatency: false, adminLatency: false, upstreamStatus: false, requestId: false,
};

function downstream(raw: string): typeof NONE {
  return resolveDownstreamHeaders(headerEntries(raw));
}

test('the default enables server, via, the four latency headers and the request id', () => {
  assert.deepEqual(downstream('server_tokens, latency_tokens, X-Tollgate-Request-Id'), {
    server: true, via: true, proxyLatency: true, responseLatency: true,
    upstreamLatency: true, adminLatency: true, upstreamStatus: false, requestId: true,
  });
});

test('off enables nothing', () => {
  assert.deepEqual(downstream('off'), NONE);
  assert.deepEqual(downstream('OFF'), NONE);
});

test('single headers, case-insensitive', () => {
  assert.deepEqual(downstream('via'), { ...NONE, via: true });
  assert.deepEqual(downstream('SERVER'), { ...NONE, server: true });
  assert.deepEqual(downstream('x-tollgate-upstream-status'), { ...NONE, upstreamStatus: true });
  assert.deepEqual(downstream('X-Tollgate-Admin-Latency'), { ...NONE, adminLatency: true });
});

test('X-Kong- spellings are aliases', () => {
  assert.deepEqual(downstream('X-Kong-Proxy-Latency, x-kong-response-latency, X-Kong-Upstream-Latency'), {
    ...NONE, proxyLatency: true, responseLatency: true, upstreamLatency: true,
  });
  assert.deepEqual(downstream('X-Kong-Request-Id, X-Kong-Upstream-Status, X-Kong-Admin-Latency'), {
    ...NONE, requestId: true, upstreamStatus: true, adminLatency: true,
  });
});

test('unknown headers are refused', () => {
  assert.throws(() => headerEntries('server_tokens, X-Powered-By'), {
    reason: `unknown header 'X-Powered-By' (accepted: off, server_tokens, latency_tokens, Server, Via, X-Tollgate-Proxy-Latency, ` +
      `X-Tollgate-Response-Latency, X-Tollgate-Upstream-Latency, X-Tollgate-Admin-Latency, X-Tollgate-Upstream-Status, ` +
      `X-Tollgate-Request-Id; X-Kong-* spellings also work)`,
  });
});

test('off first turns every header off; off elsewhere is ignored (as Kong reads the list)', () => {
  assert.deepEqual(downstream('off, via'), NONE);
  assert.deepEqual(downstream('server_tokens, off, X-Kong-Proxy-Latency'), { ...NONE, server: true, via: true, proxyLatency: true });
  assert.deepEqual(resolveUpstreamHeaders(upstreamHeaderEntries('off, X-Kong-Request-Id')), { requestId: false });
  assert.deepEqual(resolveUpstreamHeaders(upstreamHeaderEntries('X-Kong-Request-Id, off')), { requestId: true });
});

test('headers_upstream accepts the request id in both spellings, or off', () => {
  assert.deepEqual(resolveUpstreamHeaders(upstreamHeaderEntries('X-Tollgate-Request-Id')), { requestId: true });
  assert.deepEqual(resolveUpstreamHeaders(upstreamHeaderEntries('x-kong-request-id')), { requestId: true });
  assert.deepEqual(resolveUpstreamHeaders(upstreamHeaderEntries('off')), { requestId: false });
  assert.throws(() => upstreamHeaderEntries('Via'), {
    reason: `unknown header 'Via' (accepted: off, X-Tollgate-Request-Id or X-Kong-Request-Id)`,
  });
});
