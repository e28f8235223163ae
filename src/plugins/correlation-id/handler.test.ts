import { test } from 'node:test';
import assert from 'node:assert/strict';
import { correlationIdHandler } from './handler.ts';

function stub(incoming?: string) {
  const upstream: Record<string, string> = {};
  const downstream: Record<string, string> = {};
  const serialized: Record<string, unknown> = {};
  const kong = {
    request: { getHeader: () => incoming, getHost: () => 'h', getPort: () => 80 },
    client: { getIp: () => '10.0.0.1', getPort: () => 5000 },
    service: { request: { setHeader: (n: string, v: string) => (upstream[n] = v) } },
    response: { setHeader: (n: string, v: string) => (downstream[n] = v) },
    log: { setSerializeValue: (k: string, v: unknown) => (serialized[k] = v) },
    ctx: { plugin: {} as Record<string, unknown> },
  };
  return { kong, upstream, downstream, serialized };
}

test('uuid#counter counts per worker; the id goes upstream, into the log record and back', () => {
  const conf = correlationIdHandler.prepare!({ header_name: 'Kong-Request-ID', generator: 'uuid#counter', echo_downstream: true } as never, undefined as never);
  const a = stub();
  correlationIdHandler.access!(a.kong as never, conf);
  correlationIdHandler.header_filter!(a.kong as never, conf);
  const b = stub();
  correlationIdHandler.access!(b.kong as never, conf);
  const [uuid, n] = a.upstream['Kong-Request-ID'].split('#');
  assert.equal(b.upstream['Kong-Request-ID'], `${uuid}#${Number(n) + 1}`);
  assert.equal(a.downstream['Kong-Request-ID'], a.upstream['Kong-Request-ID']);
  assert.equal(a.serialized.correlation_id, a.upstream['Kong-Request-ID']);
});

test('an incoming id is kept and not set again; an empty one is replaced', () => {
  const conf = correlationIdHandler.prepare!({ header_name: 'X-Id', generator: 'uuid', echo_downstream: false } as never, undefined as never);
  const kept = stub('abc');
  correlationIdHandler.access!(kept.kong as never, conf);
  assert.deepEqual(kept.upstream, {});
  assert.equal(kept.serialized.correlation_id, 'abc');
  const empty = stub('');
  correlationIdHandler.access!(empty.kong as never, conf);
  assert.match(empty.upstream['X-Id'], /^[0-9a-f-]{36}$/);
  correlationIdHandler.header_filter!(empty.kong as never, conf);
  assert.deepEqual(empty.downstream, {});
});
