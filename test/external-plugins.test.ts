/**
 * External plugins through `bin/tollgate`: Tollgate-format plugins from `plugin_paths` and Kong JavaScript
 * plugins from a Kong plugin server directory (`pluginserver_js_start_cmd`), configured from a declarative
 * file and from the Admin API, proxied to a real upstream. Also: start and parse failures for bad plugins.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { request } from 'undici';
import { ROOT, runTollgate, startTollgate, waitUntil, type TollgateNode } from './helpers/tollgate.ts';
import { startUpstream, type TestUpstream } from './helpers/upstream.ts';

const NATIVE_DIR = join(ROOT, 'examples', 'plugins');
const JS_DIR = join(ROOT, 'examples', 'js-plugins');
const EXTERNAL = ['add-header', 'require-fields', 'request-counter', 'js-hello', 'js-status', 'js-transform', 'js-throws', 'goodbye'];

/** Node settings that enable the example plugins, the Kong way for the JavaScript ones. */
const PLUGIN_ENV: Record<string, string> = {
  TOLLGATE_PLUGINS: ['bundled', ...EXTERNAL].join(','),
  TOLLGATE_PLUGIN_PATHS: NATIVE_DIR,
  TOLLGATE_PLUGINSERVER_NAMES: 'js',
  TOLLGATE_PLUGINSERVER_JS_SOCKET: '/usr/local/kong/js_pluginserver.sock',
  TOLLGATE_PLUGINSERVER_JS_START_CMD: `/usr/local/bin/kong-js-pluginserver --plugins-directory ${JS_DIR}`,
  TOLLGATE_PLUGINSERVER_JS_QUERY_CMD: `/usr/local/bin/kong-js-pluginserver --plugins-directory ${JS_DIR} --dump-all-plugins`,
};

/** What the upstream saw: path with query, headers and the body as text. */
interface Seen {
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function seenHandler(req: IncomingMessage, res: ServerResponse): void {
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (c: string) => (body += c));
  req.on('end', () => {
    const text = JSON.stringify({ url: req.url ?? "/", headers: req.headers, body } satisfies Seen);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  });
}

async function call(url: string, options: { method?: 'GET' | 'POST'; headers?: Record<string, string>; body?: string } = {}) {
  const res = await request(url, { method: options.method ?? 'GET', headers: options.headers, body: options.body });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text };
}

async function admin(node: TollgateNode, method: 'POST' | 'GET', path: string, body?: unknown) {
  const res = await request(`${node.admin}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.body.text();
  return { status: res.statusCode, body: text === '' ? null : JSON.parse(text) };
}

/** The checks both configuration sources must pass, route by route. */
async function checkNativePlugins(node: TollgateNode): Promise<void> {
  const r = await call(`${node.proxy}/native`);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.headers['x-added-by'], 'from-tollgate');
  assert.equal((JSON.parse(r.text) as Seen).headers['x-added-by'], 'from-tollgate', 'the header also goes upstream');

  // An async phase reading the body: refused without the fields, proxied (body intact) with them.
  const json = { 'content-type': 'application/json' };
  const refused = await call(`${node.proxy}/native`, { method: 'POST', headers: json, body: '{"name":"ann"}' });
  assert.equal(refused.status, 422);
  assert.deepEqual(JSON.parse(refused.text), { message: 'missing field(s): email' });
  assert.equal(refused.headers['x-added-by'], 'from-tollgate', 'header_filter runs on a plugin exit too');
  const invalid = await call(`${node.proxy}/native`, { method: 'POST', headers: json, body: '{nope' });
  assert.equal(invalid.status, 422);
  assert.match(invalid.text, /the request body is not valid JSON/);
  const ok = await call(`${node.proxy}/native`, { method: 'POST', headers: json, body: '{"name":"ann","email":"a@b"}' });
  assert.equal(ok.status, 200, ok.text);
  const seen = JSON.parse(ok.text) as Seen;
  assert.equal(seen.body, '{"name":"ann","email":"a@b"}');
  assert.equal(seen.headers['x-checked-fields'], 'name,email');

  // Node-wide counters: exact whichever worker takes each request.
  const counts = await Promise.all([1, 2, 3].map(async () => (await call(`${node.proxy}/counted`)).headers['x-request-count']));
  assert.deepEqual(counts.map(Number).sort(), [1, 2, 3]);
  const limited = await call(`${node.proxy}/counted`);
  assert.equal(limited.status, 429);
  assert.deepEqual(JSON.parse(limited.text), { message: 'more than 3 requests in 3600 s' });
  assert.equal(limited.headers['x-request-count'], '4');
}

async function checkKongJsPlugins(node: TollgateNode): Promise<void> {
  const hello = await call(`${node.proxy}/hello`);
  assert.equal(hello.status, 200, hello.text);
  assert.equal(hello.headers['x-hello-from-javascript'], `Howdy, 127.0.0.1:${node.proxyPort}, from JavaScript`);
  assert.match(String(hello.headers['x-javascript-pid']), /^\d+$/);

  const refused = await call(`${node.proxy}/status`);
  assert.equal(refused.status, 403);
  assert.deepEqual(JSON.parse(refused.text), { message: 'header userId is required' });
  const welcomed = await call(`${node.proxy}/status`, { headers: { userId: 'ann' } });
  assert.equal(welcomed.status, 200, welcomed.text);
  assert.equal(welcomed.headers['x-welcome'], 'welcome, ann');

  const bye = await call(`${node.proxy}/goodbye`);
  assert.equal(bye.headers['x-goodbye-from-javascript'], 'JavaScript says see you');
}

async function checkTransform(node: TollgateNode): Promise<void> {
  const r = await call(`${node.proxy}/transform/x?a=1`, { method: 'POST', body: 'make me loud', headers: { 'content-type': 'text/plain' } });
  assert.equal(r.status, 200, r.text);
  const match = /^upstream said:\n(.*)\n\((\d+) bytes\)\n$/s.exec(r.text);
  assert.ok(match, r.text);
  const seen = JSON.parse(match[1]) as Seen;
  assert.equal(seen.body, 'MAKE ME LOUD');
  assert.match(seen.url, /[?&]js-transform=v0\.1\.0/);
  assert.equal(Number(match[2]), match[1].length);
}

async function checkThrowing(node: TollgateNode): Promise<void> {
  const r = await call(`${node.proxy}/throws`);
  assert.equal(r.status, 500);
  assert.match(r.text, /An unexpected error occurred/);
  const requestId = r.headers['x-tollgate-request-id'];
  assert.equal(typeof requestId, 'string');
  await waitUntil(() => node.output().split('\n').some((line) => line.includes('js-throws') && line.includes(requestId as string)), 5000, 'the log line of the failing plugin');
  const line = node.output().split('\n').find((l) => l.includes('js-throws') && l.includes(requestId as string)) as string;
  assert.match(line, new RegExp(`plugin 'js-throws' \\(\\S+\\) failed in access on route [0-9a-f-]{36}, request id ${requestId}: Error: js-throws failed on purpose`));
  // The worker keeps serving.
  assert.equal((await call(`${node.proxy}/hello`)).status, 200);
}

function declarative(port: number): string {
  return `_format_version: "3.0"
services:
- name: svc
  url: http://127.0.0.1:${port}
  routes:
  - name: native
    paths: [/native]
    plugins:
    - name: add-header
      config: { header_value: from-tollgate, upstream: true }
    - name: require-fields
      config: { fields: [name, email], status: 422 }
  - name: counted
    paths: [/counted]
    plugins:
    - name: request-counter
      config: { limit: 3, window_seconds: 3600 }
  - name: hello
    paths: [/hello]
    plugins:
    - name: js-hello
      config: { message: Howdy }
  - name: status
    paths: [/status]
    plugins:
    - name: js-status
  - name: goodbye
    paths: [/goodbye]
    plugins:
    - name: goodbye
      config: { message: see you }
  - name: transform
    paths: [/transform]
    plugins:
    - name: js-transform
  - name: throws
    paths: [/throws]
    plugins:
    - name: js-throws
`;
}

describe('external plugins from a declarative file (DB-less, two workers)', () => {
  let up: TestUpstream;
  let node: TollgateNode;
  before(async () => {
    up = await startUpstream('plugins-up', seenHandler);
    node = await startTollgate({ config: declarative(up.port), workers: 2, env: PLUGIN_ENV });
  });
  after(async () => {
    await node?.stop();
    await up?.close();
  });

  test('Tollgate-format plugins: a header from config, an async phase reading the body, node-wide counters', async () => checkNativePlugins(node));
  test('Kong JavaScript plugins: header from config, 403 without a header, a Name override in a TypeScript folder', async () => checkKongJsPlugins(node));
  test('a Kong JavaScript response handler: request body upper-cased, response body wrapped', async () => checkTransform(node));
  test('a throwing plugin gives 500 and a log line naming plugin, route and request id', async () => checkThrowing(node));

  test("the Admin API serves the external plugins' schemas in Kong's shape", async () => {
    const enabled = await admin(node, 'GET', '/plugins/enabled');
    for (const name of EXTERNAL) assert.ok(enabled.body.enabled_plugins.includes(name), name);
    const schema = await admin(node, 'GET', '/schemas/plugins/js-hello');
    assert.equal(schema.status, 200);
    const config = schema.body.fields.find((f: Record<string, unknown>) => 'config' in f).config;
    assert.deepEqual(config.fields, [{ message: { type: 'string' } }]);
  });
});

describe('external plugins from the Admin API (traditional mode, SQLite)', () => {
  let up: TestUpstream;
  let node: TollgateNode;
  before(async () => {
    up = await startUpstream('plugins-db-up', seenHandler);
    node = await startTollgate({ env: { ...PLUGIN_ENV, TOLLGATE_DATABASE: 'sqlite' } });
  });
  after(async () => {
    await node?.stop();
    await up?.close();
  });

  test('plugins created with the Admin API run on the proxy; bad configs are refused with the schema errors', async () => {
    assert.equal((await admin(node, 'POST', '/services', { name: 'svc', url: `http://127.0.0.1:${up.port}` })).status, 201);
    const routes: Record<string, unknown[]> = {
      native: [{ name: 'add-header', config: { header_value: 'from-tollgate', upstream: true } }, { name: 'require-fields', config: { fields: ['name', 'email'], status: 422 } }],
      counted: [{ name: 'request-counter', config: { limit: 3, window_seconds: 3600 } }],
      hello: [{ name: 'js-hello', config: { message: 'Howdy' } }],
      status: [{ name: 'js-status' }],
      goodbye: [{ name: 'goodbye', config: { message: 'see you' } }],
      transform: [{ name: 'js-transform' }],
      throws: [{ name: 'js-throws' }],
    };
    for (const [name, plugins] of Object.entries(routes)) {
      const route = await admin(node, 'POST', '/services/svc/routes', { name, paths: [`/${name}`] });
      assert.equal(route.status, 201, JSON.stringify(route.body));
      for (const plugin of plugins) {
        const created = await admin(node, 'POST', `/routes/${name}/plugins`, plugin);
        assert.equal(created.status, 201, JSON.stringify(created.body));
      }
    }
    const bad = await admin(node, 'POST', '/routes/hello/plugins', { name: 'js-hello', config: { message: 5 } });
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.body.fields, { config: { message: 'expected a string' } });
    const missing = await admin(node, 'POST', '/plugins', { name: 'add-header', config: {} });
    assert.equal(missing.status, 400);
    assert.deepEqual(missing.body.fields, { config: { header_value: 'required field missing' } });

    await waitUntil(async () => (await call(`${node.proxy}/throws`)).status === 500, 5000, 'the routes and plugins on the proxy');
    await checkNativePlugins(node);
    await checkKongJsPlugins(node);
    await checkTransform(node);
    await checkThrowing(node);
  });
});

describe('bad external plugins stop the start and the parse', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tollgate-bad-plugins-'));
    writeFileSync(join(dir, 'bad-priority.mjs'), `export default { schema: { name: 'bad-priority', config: { type: 'record', fields: {} } }, handler: { name: 'bad-priority', priority: 'high', access() {} } };\n`);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const startEnv = (plugins: string) => ({
    TOLLGATE_PREFIX: join(dir, 'servroot'),
    TOLLGATE_PLUGINS: plugins,
    TOLLGATE_PLUGIN_PATHS: dir,
    TOLLGATE_PROXY_LISTEN: '127.0.0.1:0',
    TOLLGATE_ADMIN_LISTEN: '127.0.0.1:0',
    TOLLGATE_STATUS_LISTEN: 'off',
    TOLLGATE_ADMIN_GUI_LISTEN: 'off',
    TOLLGATE_DATABASE: 'off',
  });

  test('tollgate start exits non-zero naming the plugin, the file and the reason', async () => {
    const r = await runTollgate(['start'], startEnv('bundled, bad-priority'));
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.equal(r.stderr.trim(), `Error: plugin 'bad-priority' (${join(dir, 'bad-priority.mjs')}): handler.priority must be an integer (higher runs first), got "high"`);
  });

  test('tollgate start exits non-zero for a plugin that is nowhere', async () => {
    const r = await runTollgate(['start'], startEnv('bundled, nowhere'));
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`^Error: plugin 'nowhere': not found: .* in ${dir} \\(plugin_paths\\); check the 'plugins' and 'plugin_paths' settings`));
  });

  test('tollgate config parse loads the enabled external plugins: a bad one fails, good ones validate their configs', async () => {
    const file = join(dir, 'kong.yml');
    writeFileSync(file, '_format_version: "3.0"\nplugins:\n- name: js-hello\n  config: { message: 5 }\n');
    const badPlugin = await runTollgate(['config', 'parse', file], startEnv('bundled, bad-priority'));
    assert.equal(badPlugin.code, 1);
    assert.match(badPlugin.stderr, /plugin 'bad-priority' \(.*bad-priority\.mjs\): handler\.priority must be an integer/);

    const env = { ...startEnv('bundled, js-hello'), TOLLGATE_PLUGIN_PATHS: JS_DIR };
    const badConfig = await runTollgate(['config', 'parse', file], env);
    assert.equal(badConfig.code, 1, badConfig.stdout);
    assert.match(badConfig.stderr, /in 'config':\n\s+in 'message': expected a string/);
    writeFileSync(file, '_format_version: "3.0"\nplugins:\n- name: js-hello\n  config: { message: hi }\n');
    const good = await runTollgate(['config', 'parse', file], env);
    assert.equal(good.code, 0, good.stderr);
    assert.equal(good.stdout, 'parse successful\n');
  });
});
