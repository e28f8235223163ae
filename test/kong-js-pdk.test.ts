/**
 * Kong's JavaScript PDK, function by function, through `bin/tollgate` and the real proxy: a probe plugin
 * (test/fixtures/kong-js-pdk/js-pdk-probe.js) calls every function kong-js-pdk's type definitions declare and
 * answers with what each call gave, for a route configured from a declarative file and from the Admin API
 * (PostgreSQL). The rewritten examples (a GraphQL-style answer from the body, a TypeScript greeter naming itself)
 * run beside it.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Agent, request } from 'undici';
import { ROOT, runTollgate, startTollgate, waitUntil, type TollgateNode } from './helpers/tollgate.ts';
import { startUpstream, type TestUpstream } from './helpers/upstream.ts';
import { createTestDatabase, type TestDatabase } from './helpers/postgres.ts';
import { startOtlpReceiver, type OtlpReceiver } from './support/otlp-receiver.ts';
import { freePort } from './helpers/ports.ts';

const DIR = join(ROOT, 'test', 'fixtures', 'kong-js-pdk');

/**
 * Every function of Kong's JavaScript PDK (kong-js-pdk's `kong/` definitions, Kong 3.8), by the name the probe
 * reports it under. The test fails when the probe skipped one, so a function dropped from this list is noticed.
 */
const KONG_JS_PDK_FUNCTIONS = [
  'client.authenticate', 'client.authenticateConsumerGroupByConsumerId', 'client.getConsumer', 'client.getConsumerGroup',
  'client.getConsumerGroups', 'client.getCredential', 'client.getForwardedIp', 'client.getForwardedPort', 'client.getIp',
  'client.getPort', 'client.getProtocol', 'client.loadConsumer', 'client.setAuthenticatedConsumerGroup',
  'client.setAuthenticatedConsumerGroups',
  'client.tls.disableSessionReuse', 'client.tls.getFullClientCertificateChain', 'client.tls.requestClientCertificate',
  'client.tls.setClientVerify',
  'cluster.getId',
  'ctx.shared.get', 'ctx.shared.set',
  'enterpriseEdition.jwe.decode',
  'ip.isTrusted',
  'log.alert', 'log.crit', 'log.debug', 'log.deprecation', 'log.err', 'log.info', 'log.notice', 'log.serialize',
  'log.setSerializeValue', 'log.warn',
  'nginx.getCtx', 'nginx.getStatistics', 'nginx.getSubsystem', 'nginx.getVar', 'nginx.reqStartTime', 'nginx.setCtx',
  'nginx.shared.get', 'nginx.shared.set', 'nginx.getTls1VersionStr',
  'node.getHostname', 'node.getId', 'node.getMemoryStats',
  'plugin.getId',
  'request.getBody', 'request.getForwardedHost', 'request.getForwardedPath', 'request.getForwardedPort',
  'request.getForwardedPrefix', 'request.getForwardedScheme', 'request.getHeader', 'request.getHeaders', 'request.getHost',
  'request.getHttpVersion', 'request.getMethod', 'request.getPath', 'request.getPathWithQuery', 'request.getPort',
  'request.getQuery', 'request.getQueryArg', 'request.getRawBody', 'request.getRawPath', 'request.getRawQuery',
  'request.getScheme', 'request.getStartTime', 'request.getUriCaptures',
  'response.addHeader', 'response.clearHeader', 'response.getHeader', 'response.getHeaders', 'response.getSource',
  'response.getStatus', 'response.setHeader', 'response.setHeaders', 'response.setStatus',
  'router.getRoute', 'router.getService',
  'service.setRetries', 'service.setTarget', 'service.setTargetRetryCallback', 'service.setTimeouts', 'service.setTlsVerify',
  'service.setTlsVerifyDepth', 'service.setUpstream',
  'service.request.addHeader', 'service.request.clearHeader', 'service.request.disableTls', 'service.request.enableBuffering',
  'service.request.setBody', 'service.request.setHeader', 'service.request.setHeaders', 'service.request.setMethod',
  'service.request.setPath', 'service.request.setQuery', 'service.request.setRawBody', 'service.request.setRawQuery',
  'service.request.setScheme',
  'service.response.getBody', 'service.response.getHeader', 'service.response.getHeaders', 'service.response.getRawBody',
  'service.response.getStatus',
  'telemetry.log',
  'vault.flush', 'vault.get', 'vault.initWorker', 'vault.isReference', 'vault.parseReference', 'vault.update', 'vault.warmup',
];

/** Calls that exist in Kong but that Tollgate cannot honour: they reject naming themselves (docs/plugins.md). */
const UNAVAILABLE = [
  'client.setAuthenticatedConsumerGroup', 'client.setAuthenticatedConsumerGroups', 'client.authenticateConsumerGroupByConsumerId',
  'client.tls.requestClientCertificate', 'client.tls.disableSessionReuse', 'nginx.getStatistics',
  'service.setRetries', 'service.setTimeouts', 'service.setTlsVerify', 'service.setTlsVerifyDepth', 'service.setUpstream',
  'service.setTargetRetryCallback',
];

type Outcome = { ok: unknown; err?: undefined } | { ok?: undefined; err: string };
type Report = Record<string, Outcome>;

/** The upstream: echoes what it received as JSON, with a header of its own. */
function echo(req: IncomingMessage, res: ServerResponse): void {
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (c: string) => (body += c));
  req.on('end', () => {
    const text = JSON.stringify({ method: req.method, url: req.url, headers: req.headers, body });
    res.writeHead(202, { 'content-type': 'application/json', 'x-upstream': 'echo', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  });
}

const PLUGIN_ENV = {
  TOLLGATE_PLUGINS: 'bundled,js-pdk-probe,js-graph-hello,greeter,js-otel-log',
  TOLLGATE_PLUGINSERVER_NAMES: 'js',
  TOLLGATE_PLUGINSERVER_JS_START_CMD: `/usr/local/bin/kong-js-pluginserver --plugins-directory ${DIR}`,
  TOLLGATE_PLUGINSERVER_JS_QUERY_CMD: `/usr/local/bin/kong-js-pluginserver --plugins-directory ${DIR} --dump-all-plugins`,
  TOLLGATE_TRUSTED_IPS: '127.0.0.1',
  PROBE_SECRET: 's3cret',
  PROBE_SECRET_PREVIOUS: 'old-s3cret',
};

function ok(report: Report, name: string): unknown {
  const outcome = report[name];
  assert.ok(outcome !== undefined, `${name} was not probed`);
  assert.equal(outcome.err, undefined, `${name} failed: ${outcome.err}`);
  return outcome.ok;
}

const insecure = new Agent({ connect: { rejectUnauthorized: false } });

async function probe(
  node: TollgateNode,
  logFile: string,
  base = node.proxy,
): Promise<{ access: Report; response: Report; log: Report; status: number; headers: Record<string, unknown> }> {
  rmSync(logFile, { force: true });
  const res = await request(`${base}/probe/42/tail?a=1&a=2&flag`, {
    dispatcher: insecure,
    method: 'POST',
    headers: { 'x-probe': 'first', 'X-Drop': 'dropped', cookie: 'theme=dark; session=abc', 'content-type': 'application/json' },
    body: '{"hello":"world"}',
  });
  const text = await res.body.text();
  assert.equal(res.statusCode, 200, text);
  const body = JSON.parse(text) as { access: Report; response: Report };
  let log: Report | null = null;
  // The log phase runs after the client has its answer; the file may also be caught half written.
  await waitUntil(() => {
    try {
      log = JSON.parse(readFileSync(logFile, 'utf8')) as Report;
      return true;
    } catch {
      return false;
    }
  }, 10_000, 'the log phase report');
  return { ...body, log: log as unknown as Report, status: res.statusCode, headers: res.headers };
}

/** What every function gave, checked against what Kong's JavaScript PDK gives for the same request. */
async function checkProbe(node: TollgateNode, got: { access: Report; response: Report; log: Report; headers: Record<string, unknown> }, pluginId: string): Promise<void> {
  const { access, response, log } = got;
  const all: Report = { ...access, ...response, ...log };
  const probed = new Set(Object.keys(all).map((name) => name.replace(/\(.*\)$/, '')));
  probed.add('service.setTarget'); // covered by test/proxy tests of kong.service.set_target; probing it would move the request
  for (const name of KONG_JS_PDK_FUNCTIONS) assert.ok(probed.has(name), `the probe does not call ${name}`);

  // kong.request: scalars, multi-value maps with every value an array (a flag argument gives []), the raw body.
  assert.equal(ok(access, 'request.getScheme'), 'http');
  assert.equal(ok(access, 'request.getHost'), '127.0.0.1');
  assert.equal(ok(access, 'request.getPort'), node.proxyPort);
  assert.equal(ok(access, 'request.getForwardedScheme'), 'http');
  assert.equal(ok(access, 'request.getForwardedHost'), '127.0.0.1');
  assert.equal(ok(access, 'request.getForwardedPort'), node.proxyPort);
  assert.equal(ok(access, 'request.getForwardedPath'), '/probe/42/tail');
  assert.equal(ok(access, 'request.getHttpVersion'), 1.1);
  assert.equal(ok(access, 'request.getMethod'), 'POST');
  assert.equal(ok(access, 'request.getPath'), '/probe/42/tail');
  assert.equal(ok(access, 'request.getRawPath'), '/probe/42/tail');
  assert.equal(ok(access, 'request.getPathWithQuery'), '/probe/42/tail?a=1&a=2&flag');
  assert.equal(ok(access, 'request.getRawQuery'), 'a=1&a=2&flag');
  assert.deepEqual(ok(access, 'request.getQuery'), { a: ['1', '2'], flag: [] });
  assert.equal(ok(access, 'request.getQueryArg'), '1', "a repeated argument's first value, as Kong's get_query_arg");
  assert.equal(ok(access, 'request.getQueryArg(flag)'), true);
  assert.equal(ok(access, 'request.getHeader'), 'first');
  assert.equal(ok(access, 'request.get_header'), 'first');
  assert.equal(ok(access, 'request.getHeader(underscores)'), 'first', 'dashes may be written as underscores, as on Kong');
  const headers = ok(access, 'request.getHeaders') as Record<string, unknown>;
  assert.deepEqual(headers['x-probe'], ['first']);
  assert.deepEqual(headers.host, [`127.0.0.1:${node.proxyPort}`]);
  assert.deepEqual(ok(access, 'request.getRawBody'), { buffer: '{"hello":"world"}' });
  assert.equal(ok(access, 'request.getRawBody(as text)'), "{'HELLO':'WORLD'}");
  assert.equal(ok(access, 'request.getRawBody(as bytes)'), 17);
  assert.deepEqual(ok(access, 'request.getBody'), { hello: 'world' });
  assert.deepEqual(ok(access, 'request.getUriCaptures'), { unnamed: ['/probe/42', '42'], named: { id: '42' } });
  assert.equal(typeof ok(access, 'request.getStartTime'), 'number');
  assert.ok(Math.abs((ok(access, 'request.getStartTime') as number) - Date.now()) < 600_000, 'getStartTime is in ms');
  assert.ok('request.getForwardedPrefix' in access);

  // kong.client, with a consumer loaded by username and authenticated.
  assert.equal(ok(access, 'client.getIp'), '127.0.0.1');
  assert.equal(ok(access, 'client.getForwardedIp'), '127.0.0.1');
  assert.equal(typeof ok(access, 'client.getPort'), 'number');
  assert.equal(typeof ok(access, 'client.getForwardedPort'), 'number');
  assert.equal(ok(access, 'client.getProtocol'), 'http');
  assert.equal(ok(access, 'client.getCredential'), null);
  assert.equal((ok(access, 'client.loadConsumer') as { username: string }).username, 'ann');
  ok(access, 'client.authenticate');
  assert.equal(ok(access, 'client.getConsumer'), 'ann');
  assert.deepEqual(ok(access, 'client.getConsumerGroups'), ['gold']);
  assert.equal(ok(access, 'client.getConsumerGroup'), 'gold');
  assert.equal(ok(access, 'client.tls.getFullClientCertificateChain'), null, 'no client certificate over plain HTTP');
  assert.equal(ok(access, 'client.tls.setClientVerify'), null);
  assert.match(access['client.tls.setClientVerify(bad)'].err ?? '', /unknown client verify value: MAYBE/);

  // Node, cluster, plugin, router.
  assert.match(ok(access, 'node.getId') as string, /^[0-9a-f-]{36}$/);
  assert.equal(ok(access, 'cluster.getId'), ok(access, 'node.getId'));
  assert.equal(typeof ok(access, 'node.getHostname'), 'string');
  const memory = ok(access, 'node.getMemoryStats') as { workers_lua_vms: { pid: number; http_allocated_gc: number }[]; lua_shared_dicts: object };
  assert.equal(typeof memory.workers_lua_vms[0].http_allocated_gc, 'number');
  const memoryK = ok(access, 'node.getMemoryStats(k)') as { workers_lua_vms: { http_allocated_gc: string }[] };
  assert.match(memoryK.workers_lua_vms[0].http_allocated_gc, /^\d+\.\d KiB$/);
  assert.match(access['node.getMemoryStats(bad unit)'].err ?? '', /invalid unit 't'/);
  assert.equal(ok(access, 'plugin.getId'), pluginId);
  assert.equal(ok(access, 'router.getRoute'), 'probe');
  assert.equal(ok(access, 'router.getService'), 'svc');

  // ctx, ip, log.
  assert.equal(ok(access, 'ctx.shared.set'), null);
  assert.equal(ok(access, 'ctx.shared.get'), 'shared value');
  assert.equal(ok(access, 'ip.isTrusted'), true);
  for (const level of ['debug', 'info', 'notice', 'warn', 'err', 'crit', 'alert', 'deprecation', 'setSerializeValue']) ok(access, `log.${level}`);
  // The workers' log lines reach the test through pipes: wait for them rather than expect them already.
  await waitUntil(() => /probe says crit/.test(node.output()), 10_000, 'the crit line');
  await waitUntil(() => /deprecation: probe says deprecation/.test(node.output()), 10_000, 'the deprecation line');

  // kong.nginx, as the plugin server's bridge exposes it.
  assert.equal(ok(access, 'nginx.getSubsystem'), 'http');
  const vars = ok(access, 'nginx.getVar') as Record<string, unknown>;
  assert.equal(vars.request_method, 'POST');
  assert.equal(vars.request_uri, '/probe/42/tail?a=1&a=2&flag');
  assert.equal(vars.http_x_probe, 'first');
  assert.equal(vars.arg_a, '1');
  assert.equal(vars.cookie_session, 'abc');
  assert.equal(vars.remote_addr, '127.0.0.1');
  assert.equal(vars.request_id, got.headers['x-tollgate-request-id'] ?? vars.request_id);
  assert.match(String(vars.request_id), /^[0-9a-f]{16,}/);
  assert.equal(vars.nope, null);
  assert.equal(vars.https, '');
  assert.equal(vars.ssl_protocol, null);
  assert.equal(ok(access, 'nginx.setCtx'), null);
  assert.equal(ok(access, 'nginx.getCtx'), 'kept for the request');
  assert.equal(ok(response, 'nginx.getCtx(response)'), 'kept for the request');
  assert.equal(ok(log, 'nginx.getCtx(log)'), 'kept for the request');
  const start = ok(access, 'nginx.reqStartTime') as number;
  assert.ok(Math.abs(start * 1000 - (ok(access, 'request.getStartTime') as number)) < 1, 'seconds, the same instant');
  assert.equal(ok(access, 'nginx.getTls1VersionStr'), null);
  assert.equal(ok(access, 'nginx.shared.get'), null);
  assert.equal(ok(access, 'nginx.shared.set'), null);

  // kong.vault: the env backend directly, and Kong's parse shape.
  assert.equal(ok(access, 'vault.isReference'), true);
  assert.deepEqual(ok(access, 'vault.parseReference'), { name: 'env', resource: 'probe-secret', key: 'key', version: 2 });
  assert.equal(ok(access, 'vault.get'), 's3cret');
  assert.deepEqual(ok(access, 'vault.update'), { password: 's3cret', plain: 'x' });
  for (const name of ['flush', 'warmup', 'initWorker']) assert.equal(ok(access, `vault.${name}`), null);
  assert.equal(ok(access, 'telemetry.log'), null);
  // Not in Kong's open-source PDK: Kong's bridge logs it and answers nil.
  assert.equal(ok(access, 'enterpriseEdition.jwe.decode'), null);
  await waitUntil(() => /could not find pdk method: kong\.enterpriseEdition\.jwe\.decode/.test(node.output()), 10_000, 'the missing-method line');
  assert.equal(access['nonsense.call'].err, 'PDK method kong.nonsense.call is not available in Tollgate');
  for (const name of UNAVAILABLE) assert.match(access[name]?.err ?? '', /is not available in Tollgate/, name);
  assert.match(access['service.request.disableTls'].err ?? '', /disable_tls cannot be called in the access phase/);

  // The upstream request as kong.service.request left it, seen from the response phase.
  for (const name of Object.keys(access).filter((n) => n.startsWith('service.request.') && n !== 'service.request.disableTls')) ok(access, name);
  assert.equal(ok(response, 'service.response.getStatus'), 202);
  assert.equal(ok(response, 'service.response.getHeader'), 'echo');
  assert.deepEqual((ok(response, 'service.response.getHeaders') as Record<string, unknown>)['x-upstream'], ['echo']);
  const seen = ok(response, 'service.response.getBody') as { method: string; url: string; headers: Record<string, string>; body: string };
  assert.equal(seen.method, 'PUT');
  assert.equal(seen.url, '/rewritten?c=3');
  assert.equal(seen.headers['x-set'], 'one');
  assert.equal(seen.headers['x-added'], 'two');
  assert.equal(seen.headers['x-many'], 'a, b');
  assert.equal(seen.headers['x-drop'], undefined);
  assert.equal(seen.body, '{"raw":true}');
  assert.deepEqual(ok(response, 'service.response.getRawBody'), { buffer: JSON.stringify(seen) });
  assert.equal(ok(response, 'response.getSource'), 'service');
  assert.equal(ok(response, 'response.getStatus'), 202);
  assert.equal(ok(response, 'response.getHeader'), 'set');
  const responseHeaders = ok(response, 'response.getHeaders') as Record<string, unknown>;
  assert.deepEqual(responseHeaders['x-probe-added'], ['added']);
  assert.equal(responseHeaders['x-probe-cleared'], undefined);
  for (const name of ['setHeader', 'addHeader', 'setHeaders', 'clearHeader']) ok(access, `response.${name}`);
  ok(response, 'response.setStatus');
  assert.equal(ok(response, 'response.getStatus(after setStatus)'), 203);
  assert.equal(got.headers['x-probe-set'], 'set', 'headers set in access reach the client');
  assert.equal(got.headers['x-probe-many'], 'many');

  // kong.log.serialize is JSON text, with the value set in access and the set_client_verify override.
  const serialized = ok(log, 'log.serialize') as { type: string; record: { request: { method: string }; route: { name: string }; probe: { from_js: string }; consumer: { username: string } } };
  assert.equal(serialized.type, 'string');
  assert.equal(serialized.record.request.method, 'POST');
  assert.equal(serialized.record.route.name, 'probe');
  assert.equal(serialized.record.consumer.username, 'ann');
  assert.deepEqual(serialized.record.probe, { from_js: 'set in access' });
}

async function checkExamples(node: TollgateNode): Promise<void> {
  const graph = await request(`${node.proxy}/graph`, { method: 'POST', body: '{ hello }' });
  assert.equal(graph.statusCode, 200);
  assert.match(String(graph.headers['content-type']), /application\/json/);
  assert.deepEqual(await graph.body.json(), { data: { hello: 'Hello world!' } });
  const bad = await request(`${node.proxy}/graph`, { method: 'POST', body: '{ bye }' });
  assert.deepEqual(await bad.body.json(), { errors: [{ message: 'Cannot query field "bye" on type "Query".' }] });

  const greet = await request(`${node.proxy}/greet`);
  await greet.body.text();
  assert.equal(greet.statusCode, 202);
  assert.equal(greet.headers['x-hello-from-typescript'], `TypeScript says bonjour to 127.0.0.1:${node.proxyPort}`);
  assert.match(String(greet.headers['x-typescript-pid']), /^\d+$/);
}

const PROBE_ID = '6f1c2b1e-8f61-4d57-9a8e-0b3a4c9d7e21';

function declarative(port: number, logFile: string): string {
  return `_format_version: "3.0"
consumer_groups:
- name: gold
consumers:
- username: ann
  groups: [{ name: gold }]
services:
- name: svc
  url: http://127.0.0.1:${port}
  routes:
  - name: probe
    paths: ['~/probe/(?<id>\\d+)']
    plugins:
    - name: js-pdk-probe
      id: ${PROBE_ID}
      config: { log_file: ${JSON.stringify(logFile)} }
  - name: graph
    paths: [/graph]
    plugins:
    - name: js-graph-hello
  - name: greet
    paths: [/greet]
    plugins:
    - name: greeter
      config: { message: bonjour }
`;
}

describe("Kong's JavaScript PDK from a declarative file (DB-less)", () => {
  let up: TestUpstream;
  let node: TollgateNode;
  let dir: string;
  let tlsPort: number;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tollgate-js-pdk-'));
    up = await startUpstream('js-pdk-up', echo);
    tlsPort = await freePort();
    node = await startTollgate({ config: declarative(up.port, join(dir, 'log.json')), env: PLUGIN_ENV, extraProxyListen: `127.0.0.1:${tlsPort} ssl` });
  });
  after(async () => {
    await node?.stop();
    await up?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('every function of the PDK answers as Kong\'s JavaScript PDK does', async () => {
    await checkProbe(node, await probe(node, join(dir, 'log.json')), PROBE_ID);
  });
  test("Kong's examples, rewritten: a GraphQL-style answer from the body, a TypeScript plugin naming itself", async () => checkExamples(node));

  test('over TLS: the TLS version, the https variables, and set_client_verify in the serialized record', async () => {
    const { access, log } = await probe(node, join(dir, 'log.json'), `https://127.0.0.1:${tlsPort}`);
    assert.equal(ok(access, 'request.getScheme'), 'https');
    assert.equal(ok(access, 'client.getProtocol'), 'https');
    const version = ok(access, 'nginx.getTls1VersionStr') as string;
    assert.match(version, /^TLSv1\.[23]$/);
    const vars = ok(access, 'nginx.getVar') as Record<string, unknown>;
    assert.equal(ok(access, 'client.tls.getFullClientCertificateChain'), null, 'the client sent no certificate');
    const serialized = ok(log, 'log.serialize') as { record: { request: { tls: { version: string; client_verify: string } } } };
    assert.equal(serialized.record.request.tls.version, version);
    assert.equal(serialized.record.request.tls.client_verify, 'FAILED:probe');
    assert.equal(vars.https, 'on');
    assert.equal(vars.ssl_protocol, version);
  });
});

describe("Kong's JavaScript PDK from the Admin API (PostgreSQL)", () => {
  let up: TestUpstream;
  let node: TollgateNode;
  let db: TestDatabase;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tollgate-js-pdk-db-'));
    db = await createTestDatabase();
    const boot = await runTollgate(['migrations', 'bootstrap'], { ...db.env, ...PLUGIN_ENV });
    assert.equal(boot.code, 0, boot.stderr);
    up = await startUpstream('js-pdk-db-up', echo);
    node = await startTollgate({ env: { ...db.env, ...PLUGIN_ENV } });
  });
  after(async () => {
    await node?.stop();
    await up?.close();
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('plugins created with the Admin API run every PDK function through the proxy', async () => {
    const logFile = join(dir, 'log.json');
    const post = async (path: string, body: Record<string, unknown>) => {
      const res = await request(`${node.admin}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const json = (await res.body.json()) as Record<string, unknown>;
      assert.equal(res.statusCode, 201, JSON.stringify(json));
      return json;
    };
    await post('/consumer_groups', { name: 'gold' });
    await post('/consumers', { username: 'ann' });
    await post('/consumer_groups/gold/consumers', { consumer: 'ann' });
    await post('/services', { name: 'svc', url: `http://127.0.0.1:${up.port}` });
    await post('/services/svc/routes', { name: 'probe', paths: ['~/probe/(?<id>\\d+)'] });
    await post('/services/svc/routes', { name: 'graph', paths: ['/graph'] });
    await post('/services/svc/routes', { name: 'greet', paths: ['/greet'] });
    const plugin = await post('/routes/probe/plugins', { name: 'js-pdk-probe', config: { log_file: logFile } });
    await post('/routes/graph/plugins', { name: 'js-graph-hello' });
    await post('/routes/greet/plugins', { name: 'greeter', config: { message: 'bonjour' } });
    await waitUntil(async () => {
      const res = await request(`${node.proxy}/greet`);
      await res.body.text();
      return res.headers['x-hello-from-typescript'] !== undefined;
    }, 15_000, 'the plugins on the proxy');
    await checkProbe(node, await probe(node, logFile), plugin.id as string);
    await checkExamples(node);
  });
});

describe('kong.telemetry.log feeds the OpenTelemetry plugin\'s logs_endpoint', () => {
  let up: TestUpstream;
  let node: TollgateNode;
  let receiver: OtlpReceiver;
  const OTEL_LOG_ID = '0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f';
  before(async () => {
    receiver = await startOtlpReceiver();
    up = await startUpstream('js-pdk-otel-up', echo);
    node = await startTollgate({
      env: PLUGIN_ENV,
      config: `_format_version: "3.0"
services:
- name: svc
  url: http://127.0.0.1:${up.port}
  routes:
  - name: exported
    paths: [/exported]
    plugins:
    - name: opentelemetry
      config: { logs_endpoint: ${receiver.url}/v1/logs, queue: { max_coalescing_delay: 0.05 } }
    - name: js-otel-log
      id: ${OTEL_LOG_ID}
  - name: silent
    paths: [/silent]
    plugins:
    - name: js-otel-log
`,
    });
  });
  after(async () => {
    await node?.stop();
    await up?.close();
    await receiver?.close();
  });

  test('recorded (true) where the plugin exports logs, with Kong\'s attributes; null where none does', async () => {
    const exported = await request(`${node.proxy}/exported`);
    await exported.body.text();
    assert.equal(exported.headers['x-telemetry-recorded'], 'true');
    await waitUntil(() => receiver.logs.some((l) => l.body === 'hello from JavaScript'), 30_000, 'the telemetry log record');
    const record = receiver.logs.find((l) => l.body === 'hello from JavaScript')!;
    assert.equal(record.attributes['message.type'], 'audit');
    assert.equal(record.attributes['plugin.name'], 'js-otel-log');
    assert.equal(record.attributes['plugin.id'], OTEL_LOG_ID);
    assert.equal(record.attributes['audit.user'], 'ann');
    assert.equal(Number(record.attributes['audit.count']), 2);
    assert.equal(typeof record.attributes['request.id'], 'string');

    const silent = await request(`${node.proxy}/silent`);
    await silent.body.text();
    assert.equal(silent.headers['x-telemetry-recorded'], 'null');
  });
});
