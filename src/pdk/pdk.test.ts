/** The PDK's namespaces and its phase checks, on a request object as Node's parser leaves it. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import { PluginContext, PdkPhaseError, type PdkEnvironment, type PluginConfigData } from './index.ts';
import { PHASE } from './phase-rules.ts';

const DATA: PluginConfigData = {
  consumer: (id) => (id === 'c1' || id === 'ann' ? { id: 'c1', username: 'ann', custom_id: null } : undefined),
  entities: () => [],
  credentialsBy: () => new Map(),
  consumerGroups: (id) => (id === 'c1' ? [{ id: 'g1', name: 'gold' }] : []),
};

function context(options: { url?: string; headers?: string[]; body?: string; trusted?: boolean; hostPorts?: ReadonlyMap<number, number> } = {}): PluginContext {
  const raw = options.headers ?? ['Host', 'API.test:8000', 'X-Multi', 'a', 'x-multi', 'b', 'Authorization', 'Bearer t'];
  const headers: Record<string, string> = {};
  for (let i = 0; i < raw.length; i += 2) headers[raw[i].toLowerCase()] ??= raw[i + 1];
  const req = Object.assign(Readable.from(options.body === undefined ? [] : [Buffer.from(options.body)]), {
    url: options.url ?? '/a/../b//c?x=1&y&x=2',
    method: 'POST',
    httpVersionMajor: 1,
    httpVersionMinor: 1,
    rawHeaders: raw,
    headers,
    socket: { remoteAddress: '::ffff:10.0.0.9', remotePort: 4444, localPort: 8000 },
  }) as unknown as IncomingMessage;
  const env: PdkEnvironment = { services: null, nodeId: 'n1', hostname: 'h1', isTrusted: () => options.trusted === true, log: () => {}, maxBodyBytes: 16, hostPorts: options.hostPorts };
  return new PluginContext(req, 'rid-1', ['Host', '', 'X-Keep', '1'], '/b/c?x=1&y&x=2', env, DATA, performance.now(), '10.0.0.9');
}

describe('PDK', () => {
  test('kong.request reads the request as Kong does', () => {
    const kong = context();
    assert.equal(kong.request.getHost(), 'api.test');
    assert.equal(kong.request.getPort(), 8000);
    assert.equal(kong.request.getScheme(), 'http');
    assert.equal(kong.request.getPath(), '/b/c');
    assert.equal(kong.request.getRawPath(), '/a/../b//c');
    assert.equal(kong.request.getRawQuery(), 'x=1&y&x=2');
    assert.deepEqual(kong.request.getQueryArg('x'), ['1', '2']);
    assert.equal(kong.request.getQueryArg('y'), true);
    assert.deepEqual(kong.request.getHeaders()['x-multi'], ['a', 'b']);
    assert.equal(kong.request.getHeader('X-MULTI'), 'a');
    assert.equal(kong.request.getHttpVersion(), 1.1);
    assert.equal(kong.client.getIp(), '10.0.0.9');
  });

  test('forwarded values are believed only from trusted peers', () => {
    const headers = ['Host', 'inner', 'X-Forwarded-Proto', 'https', 'X-Forwarded-Host', 'outer.test:443', 'X-Forwarded-Port', '443'];
    const untrusted = context({ headers });
    assert.equal(untrusted.request.getForwardedScheme(), 'http');
    assert.equal(untrusted.request.getForwardedHost(), 'inner');
    const trusted = context({ headers, trusted: true });
    assert.equal(trusted.request.getForwardedScheme(), 'https');
    assert.equal(trusted.request.getForwardedHost(), 'outer.test');
    assert.equal(trusted.request.getForwardedPort(), 443);
  });

  test('port_maps: without a trusted X-Forwarded-Port, the forwarded port is the host port mapped to the listener', () => {
    const mapped = context({ headers: ['Host', 'inner'], hostPorts: new Map([[8000, 80]]) });
    assert.equal(mapped.request.getForwardedPort(), 80);
    assert.equal(mapped.request.getPort(), 8000);
    assert.equal(context({ headers: ['Host', 'inner', 'X-Forwarded-Port', '8443'], trusted: true, hostPorts: new Map([[8000, 80]]) }).request.getForwardedPort(), 8443);
  });

  test('kong.service.request edits the upstream request: path, query, headers, body, method', () => {
    const kong = context();
    kong.service.request.setPath('/v2/items');
    assert.equal(kong.upstreamTarget, '/v2/items?x=1&y&x=2');
    kong.service.request.clearQueryArg('x');
    assert.equal(kong.upstreamTarget, '/v2/items?y');
    kong.service.request.setQuery({ b: '2', a: ['1', '3'] });
    assert.equal(kong.upstreamTarget, '/v2/items?a=1&a=3&b=2');
    kong.service.request.setHeader('X-Keep', 'replaced');
    kong.service.request.addHeader('X-Add', 'one');
    kong.service.request.setHeader('Host', 'other.test');
    assert.deepEqual(kong.upstreamHeaders, ['Host', '', 'X-Keep', 'replaced', 'X-Add', 'one']);
    assert.equal(kong.upstreamHost, 'other.test');
    kong.service.request.setBody({ z: 1 }, 'application/json');
    assert.equal(kong.upstreamBody?.toString(), '{"z":1}');
    kong.service.request.setMethod('PUT');
    assert.equal(kong.upstreamMethod, 'PUT');
    assert.throws(() => kong.service.request.setHeader('Bad Name', 'x'), /invalid header name/);
    assert.throws(() => kong.service.request.setHeader('X-Ok', 'a\r\nInjected: 1'), /invalid header value/);
  });

  test('a header name checked once stays checked: values are still checked, edits match any case', () => {
    const kong = context();
    for (let i = 0; i < 3; i++) kong.service.request.setHeader('X-Consumer-ID', `id-${i}`);
    assert.deepEqual(kong.upstreamHeaders, ['Host', '', 'X-Keep', '1', 'X-Consumer-ID', 'id-2']);
    assert.throws(() => kong.service.request.setHeader('X-Consumer-ID', 'a\nb'), /invalid header value/);
    assert.throws(() => kong.service.request.setHeader('X-Consumer-ID', 'a\0b'), /invalid header value/);
    assert.throws(() => kong.service.request.setHeader('X-Consumer-ID', 'a\rb'), /invalid header value/);
    assert.throws(() => kong.service.request.setHeader('X-Consumer-ID:', 'x'), /invalid header name/);
    assert.equal(kong.request.getHeader('x-consumer-id'), 'id-2', 'kong.request reads the edit under any case');
    kong.service.request.clearHeader('x-consumer-ID');
    assert.deepEqual(kong.upstreamHeaders, ['Host', '', 'X-Keep', '1']);
    assert.equal(kong.request.getHeader('X-Consumer-Id'), undefined);
  });

  test('a call Kong forbids in a phase throws, naming the call and the phase', async () => {
    const kong = context();
    kong.phaseBit = PHASE.header_filter;
    assert.throws(() => kong.service.request.setHeader('X', '1'), (err: unknown) => err instanceof PdkPhaseError && err.message === 'kong.service.request.set_header cannot be called in the header_filter phase');
    assert.throws(() => kong.response.exit(200), /kong.response.exit cannot be called in the header_filter phase/);
    kong.phaseBit = PHASE.access;
    assert.throws(() => kong.response.getStatus(), /kong.response.get_status cannot be called in the access phase/);
    assert.throws(() => kong.response.getChunk(), /kong.response.get_chunk cannot be called in the access phase/);
    kong.phaseBit = PHASE.log;
    await assert.rejects(() => kong.request.getRawBody(), /kong.request.get_raw_body cannot be called in the log phase/);
    kong.phaseBit = PHASE.certificate;
    assert.throws(() => kong.request.getHeader('host'), /certificate phase/);
    assert.equal(kong.client.getIp(), '10.0.0.9', 'the client address is known at the handshake');
  });

  test('response headers set before a response exists are recorded, then applied to it', () => {
    const kong = context();
    kong.response.setHeader('X-A', '1');
    kong.response.addHeader('X-B', '2');
    kong.response.addHeader('X-B', '3');
    kong.response.clearHeader('X-Gone');
    assert.deepEqual(kong.pendingResponseHeaders, [['clear', 'X-A', ''], ['add', 'X-A', '1'], ['add', 'X-B', '2'], ['add', 'X-B', '3'], ['clear', 'X-Gone', '']]);
  });

  test('request bodies: read once within the limit, parsed by content type', async () => {
    const form = context({ headers: ['Content-Type', 'application/x-www-form-urlencoded'], body: 'a=1&a=2&b=x+y' });
    assert.deepEqual({ ...(await form.request.getBody()) }, { a: ['1', '2'], b: 'x y' });
    assert.equal(await form.request.getRawBody(), 'a=1&a=2&b=x+y', 'kept after the first read');
    const big = context({ headers: ['Content-Type', 'text/plain'], body: 'x'.repeat(17) });
    await assert.rejects(() => big.request.getRawBody(), /did not fit into client body buffer/);
    const none = context({ headers: [], body: '{}' });
    await assert.rejects(() => none.request.getBody(), /missing content type/);
    const bad = context({ headers: ['Content-Type', 'application/json'], body: '{x' });
    await assert.rejects(() => bad.request.getBody(), /invalid json body/);
    const proto = context({ headers: ['Content-Type', 'application/x-www-form-urlencoded'], body: '__proto__=1' });
    const parsed = (await proto.request.getBody()) as Record<string, unknown>;
    assert.equal(parsed['__proto__'], '1', 'a plain key, not the prototype');
    assert.equal(({} as Record<string, unknown>)['1'], undefined);
  });

  test('kong.client: authenticate needs a consumer or credential; load_consumer by id, or username when asked', () => {
    const kong = context();
    assert.throws(() => kong.client.authenticate(null, null), /either credential or consumer/);
    assert.equal(kong.client.loadConsumer('ann'), null);
    assert.equal(kong.client.loadConsumer('ann', true)?.id, 'c1');
    assert.deepEqual(kong.client.getConsumerGroups(), [], 'no consumer, no groups');
    kong.client.authenticate(kong.client.loadConsumer('c1'), null);
    assert.equal(kong.client.getConsumer()?.username, 'ann');
    assert.deepEqual(kong.client.getConsumerGroups(), [{ id: 'g1', name: 'gold' }]);
  });

  test("kong.log.serialize gives Kong's record, Authorization redacted, with set_serialize_value edits", () => {
    const kong = context();
    kong.log.setSerializeValue('request.tag', 'x');
    kong.log.setSerializeValue('__proto__.polluted', 'yes');
    kong.phaseBit = PHASE.log;
    kong.downstream = { status: 201, headers: ['Content-Type', 'text/plain'], source: 'service', size: 5 };
    const record = kong.log.serialize();
    assert.equal(record.request.headers.authorization, 'REDACTED');
    assert.equal(record.request.url, 'http://API.test:8000/a/../b//c?x=1&y&x=2');
    assert.equal(record.request.id, 'rid-1');
    assert.equal(record.response.status, 201);
    assert.equal(record.response.headers['content-type'], 'text/plain');
    assert.equal(record.upstream_uri, '/b/c?x=1&y&x=2');
    assert.equal(record.client_ip, '10.0.0.9');
    assert.equal((record.request as Record<string, unknown>).tag, 'x');
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  test('kong.log.serialize: header and query names such as __proto__ or constructor stay fields', () => {
    const kong = context({ url: '/q?__proto__=a&__proto__=b&constructor=c', headers: ['Host', 'h', '__proto__', 'p1', '__Proto__', 'p2', 'Constructor', 'c1', 'X-A', '1', 'x-a', '2'] });
    kong.phaseBit = PHASE.log;
    const record = kong.log.serialize();
    const json = JSON.parse(JSON.stringify(record)) as { request: { headers: Record<string, unknown>; querystring: Record<string, unknown> } };
    assert.deepEqual(json.request.headers, JSON.parse('{"host":"h","__proto__":["p1","p2"],"constructor":"c1","x-a":["1","2"]}'));
    assert.equal(Object.getPrototypeOf(record.request.headers), Object.prototype);
    assert.deepEqual(json.request.querystring.__proto__, ['a', 'b']);
    assert.equal(json.request.querystring.constructor, 'c');
    assert.equal(Object.getPrototypeOf(record.request.querystring), Object.prototype);
  });

  test('kong.request sees what earlier plugins changed with kong.service.request, as in Kong', () => {
    const kong = context();
    kong.service.request.clearHeader('x-multi');
    kong.service.request.setHeader('X-New', 'n');
    kong.service.request.addHeader('X-New', 'm');
    kong.service.request.addHeader('Authorization', 'Extra');
    assert.equal(kong.request.getHeader('X-Multi'), undefined);
    assert.deepEqual(kong.request.getHeaderValues('x-new'), ['n', 'm']);
    assert.deepEqual(kong.request.getHeaderValues('authorization'), ['Bearer t', 'Extra']);
    const all = kong.request.getHeaders();
    assert.equal(all['x-multi'], undefined);
    assert.deepEqual(all['x-new'], ['n', 'm']);
    assert.equal(all.host, 'API.test:8000');
    kong.service.request.clearQueryArg('x');
    assert.equal(kong.request.getQueryArg('x'), undefined);
    assert.equal(kong.request.getRawQuery(), 'y');
    kong.service.request.setQuery({ k: 'v' });
    assert.deepEqual({ ...kong.request.getQuery() }, { k: 'v' });
    assert.equal(kong.request.getRawPath(), '/a/../b//c', 'the path is the client\'s (Kong keeps it apart from the upstream path)');
  });
});
