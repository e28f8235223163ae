import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTagsHeader, toZipkinJson, ZipkinSpan } from './span.ts';

test('Zipkin v2 JSON: hex ids, parent, microseconds, empty tags left out, remote endpoint rules', () => {
  const root = new ZipkinSpan('SERVER', 'GET', 1_700_000_000_000_123.7, true, Buffer.alloc(16, 0xaa), Buffer.alloc(8, 1));
  root.setTag('lc', 'kong');
  root.setTag('empty', '');
  root.setTag('n', 5);
  root.ip = '::1';
  root.port = 4000;
  root.annotate('krs', 1_700_000_000_000_200);
  root.finish(1_700_000_000_001_123);
  const json = toZipkinJson(root, 'kong', null);
  assert.deepEqual(json, {
    traceId: 'aa'.repeat(16),
    name: 'GET',
    id: '01'.repeat(8),
    kind: 'SERVER',
    timestamp: 1_700_000_000_000_123,
    duration: 1000,
    localEndpoint: { serviceName: 'kong' },
    remoteEndpoint: { port: 4000, ipv6: '::1' },
    tags: { lc: 'kong', n: '5' },
    annotations: [{ value: 'krs', timestamp: 1_700_000_000_000_200 }],
  });
  const child = root.child('CLIENT', 'GET (proxy)', 1_700_000_000_000_500);
  assert.deepEqual(child.parentId, root.spanId);
  assert.deepEqual(child.traceId, root.traceId);
  const childJson = toZipkinJson(child, 'kong', null);
  assert.equal(childJson.parentId, '01'.repeat(8));
  assert.equal(childJson.remoteEndpoint, null, 'no port and no service name: no remote endpoint');
  assert.equal(childJson.tags, undefined);
  assert.deepEqual(toZipkinJson(child, 'kong', 'fallback').remoteEndpoint, { serviceName: 'fallback' });
});

test("Zipkin-Tags: name=value pairs separated by ';', the unparsable ones reported", () => {
  assert.deepEqual(parseTagsHeader(['a=1; b = two words ;', 'c=3']), { tags: { a: '1', b: 'two words', c: '3' }, errors: [] });
  assert.deepEqual(parseTagsHeader(['novalue;x=1']).errors, ['novalue']);
});
