/**
 * request-termination, correlation-id, redirect, request-transformer and response-transformer through the
 * real proxy: a declarative file, the Admin API (with its 400s), and a real upstream that echoes what it got
 * (bodies included) or answers JSON.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { request } from 'undici';
import { startTollgate, waitUntil, type TollgateNode } from './helpers/tollgate.ts';
import { startUpstream, type TestUpstream } from './helpers/upstream.ts';

interface Seen {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  rawHeaders: string[];
  body: string;
}

/** Echoes the request with its body; `/json/...` answers a JSON document (in three chunks under `/json/chunked`). */
function handler(req: IncomingMessage, res: ServerResponse): void {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const url = req.url ?? '/';
    if (url.startsWith('/json')) {
      const doc = JSON.stringify({ keep: 'k', drop: 'd', old: 'o', swap: 'before', flag: false, list: ['x'], nothing: null });
      const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8', 'x-upstream': 'u', 'x-old': 'o', 'x-drop': 'd' };
      if (url.startsWith('/json/chunked')) {
        res.writeHead(200, headers);
        res.write(doc.slice(0, 10));
        setTimeout(() => {
          res.write(doc.slice(10, 30));
          setTimeout(() => res.end(doc.slice(30)), 10);
        }, 10);
        return;
      }
      if (url.startsWith('/json/text')) {
        res.writeHead(200, { ...headers, 'content-type': 'text/plain', 'content-length': String(doc.length) });
        res.end(doc);
        return;
      }
      if (url.startsWith('/json/bad')) {
        res.writeHead(200, { ...headers, 'content-length': '9' });
        res.end('{not json');
        return;
      }
      res.writeHead(200, { ...headers, 'content-length': String(Buffer.byteLength(doc)) });
      res.end(doc);
      return;
    }
    const seen: Seen = { method: req.method ?? '', url, headers: req.headers, rawHeaders: req.rawHeaders, body: Buffer.concat(chunks).toString('latin1') };
    const body = JSON.stringify(seen);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
}

async function call(url: string, init: { method?: string; headers?: Record<string, string | string[]>; body?: string } = {}) {
  const res = await request(url, { method: (init.method ?? 'GET') as 'GET', headers: init.headers, body: init.body });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text };
}

async function seen(url: string, init: Parameters<typeof call>[1] = {}): Promise<Seen> {
  const res = await call(url, init);
  assert.equal(res.status, 200, res.text);
  return JSON.parse(res.text) as Seen;
}

function declarative(port: number): string {
  const up = `http://127.0.0.1:${port}`;
  return `_format_version: "3.0"
services:
  - name: svc
    url: ${up}
    routes:
      - name: closed
        paths: [/closed]
        plugins:
          - name: request-termination
      - name: teapot
        paths: [/teapot]
        plugins:
          - name: request-termination
            config: { status_code: 418, body: "<h1>short and stout</h1>", content_type: text/html }
      - name: maintenance
        paths: [/maintenance]
        plugins:
          - name: request-termination
            config: { status_code: 403, message: "So long", trigger: x-stop }
      - name: echo
        paths: ["~/echo/(?<user>[a-z]+)$"]
        plugins:
          - name: request-termination
            config: { status_code: 200, echo: true }
      - name: correlated
        paths: [/correlated]
        plugins:
          - name: correlation-id
            config: { echo_downstream: true }
      - name: correlated-uuid
        paths: [/correlated-uuid]
        plugins:
          - name: correlation-id
            config: { header_name: X-Trace, generator: uuid }
      - name: correlated-tracker
        paths: [/correlated-tracker]
        plugins:
          - name: correlation-id
            config: { header_name: X-Track, generator: tracker, echo_downstream: true }
      - name: moved
        paths: [/moved]
        plugins:
          - name: redirect
            config: { location: "https://example.test/new?x=1" }
      - name: moved-keep
        paths: [/moved-keep]
        plugins:
          - name: redirect
            config: { status_code: 308, location: "https://example.test:8443/ignored?y=2", keep_incoming_path: true }
      - name: transform
        paths: ["~/transform/(?<user>[a-z]+)/(\\\\d+)$"]
        strip_path: false
        plugins:
          - name: request-transformer
            config:
              http_method: POST
              remove: { headers: [x-remove, x-gone], querystring: [drop], body: [secret] }
              rename: { headers: ["x-old:x-new"], querystring: ["old:new"], body: ["before:after"] }
              replace:
                headers: ["x-replace:$(headers['x-remove'] or 'none')", "x-missing:never"]
                querystring: ["q:$(uri_captures.user)"]
                body: ["swap:swapped"]
                uri: "/users/$(uri_captures.user)/items/$(uri_captures[2])"
              add:
                headers: ["x-added:$(query_params.q)-$(uri_captures.user)", "x-present:not-used"]
                querystring: ["added:yes", "q:not-used"]
                body: ["extra:$(headers['x-present'])"]
              append:
                headers: ["x-multi:two"]
                querystring: ["list:2"]
                body: ["tags:new"]
      - name: to-get
        paths: [/to-get]
        plugins:
          - name: request-transformer
            config: { http_method: GET }
      - name: host-replace
        paths: [/host-replace]
        plugins:
          - name: request-transformer
            config:
              replace: { headers: ["host:rewritten.test"] }
              add: { querystring: ["only:$(query_params.missing or 'fallback')"] }
      - name: bad-render
        paths: [/bad-render]
        plugins:
          - name: request-transformer
            config:
              add: { headers: ["x-boom:$(headers.nope.deeper)"] }
      - name: json
        paths: [/json]
        strip_path: false
        plugins:
          - name: response-transformer
            config:
              remove: { headers: [x-drop], json: [drop] }
              rename: { headers: ["x-old:x-new"], json: ["old:new"] }
              replace: { headers: ["x-upstream:replaced", "x-absent:no"], json: ["swap:42", "flag:true", "absent:1"], json_types: [number, boolean] }
              add: { headers: ["x-added:yes", "x-upstream:not-used"], json: ["added:true", "keep:not-used", "flag:now"], json_types: [boolean] }
              append: { headers: ["x-upstream:second"], json: ["list:y", "keep:k2", "fresh:z"] }
      - name: headers-only
        paths: [/headers-only]
        plugins:
          - name: response-transformer
            config:
              add: { headers: ["x-added:1"] }
`;
}

describe('traffic plugins from a declarative file', () => {
  let up: TestUpstream;
  let node: TollgateNode;
  before(async () => {
    up = await startUpstream('transformers-up', handler);
    node = await startTollgate({ config: declarative(up.port) });
  });
  after(async () => {
    await node?.stop();
    await up?.close();
  });

  test('request-termination: 503 with Kong’s default message, no upstream call', async () => {
    const before = up.count;
    const res = await call(`${node.proxy}/closed`);
    assert.equal(res.status, 503);
    assert.deepEqual(JSON.parse(res.text), { message: 'Service unavailable' });
    assert.equal(up.count, before);
  });

  test('request-termination: a raw body with its content type', async () => {
    const res = await call(`${node.proxy}/teapot`);
    assert.equal(res.status, 418);
    assert.equal(res.headers['content-type'], 'text/html');
    assert.equal(res.text, '<h1>short and stout</h1>');
  });

  test('request-termination: trigger by header or query; without it the request is proxied', async () => {
    assert.equal((await call(`${node.proxy}/maintenance`)).status, 200);
    const byHeader = await call(`${node.proxy}/maintenance`, { headers: { 'X-Stop': '1' } });
    assert.equal(byHeader.status, 403);
    assert.deepEqual(JSON.parse(byHeader.text), { message: 'So long' });
    assert.equal((await call(`${node.proxy}/maintenance?x-stop`)).status, 403);
  });

  test('request-termination: echo reflects the request, captures, route, service and node', async () => {
    const res = await call(`${node.proxy}/echo/ann?a=1&a=2`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-thing': 'v' }, body: '{"k":"v"}' });
    assert.equal(res.status, 200);
    const echo = JSON.parse(res.text);
    assert.equal(echo.message, undefined);
    assert.equal(echo.request.method, 'POST');
    assert.equal(echo.request.path, '/echo/ann');
    assert.equal(echo.request.scheme, 'http');
    assert.equal(echo.request.headers['x-thing'], 'v');
    assert.deepEqual(echo.request.query, { a: ['1', '2'] });
    assert.deepEqual(echo.request.body, { k: 'v' });
    assert.equal(echo.request.raw_body, '{"k":"v"}');
    assert.equal(echo.request.uri_captures.named.user, 'ann');
    assert.equal(echo.matched_route.name, 'echo');
    assert.equal(echo.matched_service.name, 'svc');
    assert.match(echo.kong.node_id, /^[0-9a-f-]{36}$/);
    assert.equal(typeof echo.kong.worker_pid, 'number');
  });

  test('correlation-id: uuid#counter by default, echoed downstream; an incoming id is kept', async () => {
    const first = await call(`${node.proxy}/correlated`);
    const second = await call(`${node.proxy}/correlated`);
    const a = String(first.headers['kong-request-id']);
    const b = String(second.headers['kong-request-id']);
    assert.match(a, /^[0-9a-f-]{36}#\d+$/);
    assert.equal(a.split('#')[0], b.split('#')[0], 'one worker, one uuid');
    assert.equal(Number(b.split('#')[1]), Number(a.split('#')[1]) + 1);
    assert.equal(JSON.parse(second.text).headers['kong-request-id'], b, 'the upstream got the same id');
    const kept = await call(`${node.proxy}/correlated`, { headers: { 'Kong-Request-ID': 'from-client' } });
    assert.equal(kept.headers['kong-request-id'], 'from-client');
    assert.equal(JSON.parse(kept.text).headers['kong-request-id'], 'from-client');
  });

  test('correlation-id: uuid generator, custom header, not echoed; tracker', async () => {
    const res = await call(`${node.proxy}/correlated-uuid`);
    assert.equal(res.headers['x-trace'], undefined);
    assert.match(String(JSON.parse(res.text).headers['x-trace']), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    const tracked = await call(`${node.proxy}/correlated-tracker`);
    assert.match(String(tracked.headers['x-track']), /^127\.0\.0\.1-\d+-\d+-127\.0\.0\.1:\d+-\d+-\d+\.\d{3}$/);
  });

  test('redirect: 301 to the location; keep_incoming_path takes the path and query', async () => {
    const res = await call(`${node.proxy}/moved/a?b=c`);
    assert.equal(res.status, 301);
    assert.equal(res.headers.location, 'https://example.test/new?x=1');
    assert.equal(res.text, 'redirecting');
    const kept = await call(`${node.proxy}/moved-keep/a/b?c=d&e`);
    assert.equal(kept.status, 308);
    assert.equal(kept.headers.location, 'https://example.test:8443/moved-keep/a/b?c=d&e');
    const noQuery = await call(`${node.proxy}/moved-keep`);
    assert.equal(noQuery.headers.location, 'https://example.test:8443/moved-keep');
  });

  test("request-transformer: uri, method, headers, JSON body and query string in Kong's order", async () => {
    const got = await seen(`${node.proxy}/transform/ann/7?q=1&drop=x&old=o&list=1`, {
      method: 'PUT',
      headers: {
        'content-type': 'application/json',
        'x-remove': 'removed-value',
        'x-gone': 'g',
        'x-old': 'o',
        'x-replace': 'r',
        'x-present': 'p',
        'x-multi': 'one',
      },
      body: JSON.stringify({ secret: 's', before: 'b', swap: 'w', tags: 'old', keep: 1 }),
    });
    assert.equal(got.method, 'POST');
    const url = new URL(got.url, 'http://x');
    assert.equal(url.pathname, '/users/ann/items/7');
    assert.equal(url.searchParams.get('q'), 'ann');
    assert.equal(url.searchParams.has('drop'), false);
    assert.equal(url.searchParams.get('new'), 'o');
    assert.equal(url.searchParams.has('old'), false);
    assert.equal(url.searchParams.get('added'), 'yes');
    assert.deepEqual(url.searchParams.getAll('list'), ['1', '2']);
    const h = got.headers;
    assert.equal(h['x-remove'], undefined);
    assert.equal(h['x-gone'], undefined);
    assert.equal(h['x-new'], 'o');
    assert.equal(h['x-old'], undefined);
    assert.equal(h['x-replace'], 'removed-value', 'templates see the headers as the client sent them');
    assert.equal(h['x-missing'], undefined, 'replace only what is there');
    assert.equal(h['x-added'], '1-ann', 'templates see the query as the client sent it');
    assert.equal(h['x-present'], 'p');
    assert.equal(h['x-multi'], 'one, two');
    const body = JSON.parse(got.body);
    assert.deepEqual(body, { after: 'b', swap: 'swapped', tags: ['old', 'new'], keep: 1, extra: 'p' });
    assert.equal(Number(h['content-length']), Buffer.byteLength(got.body));
  });

  test('request-transformer: form bodies and multipart bodies', async () => {
    const form = await seen(`${node.proxy}/transform/bob/1`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-present': 'p' },
      body: 'secret=s&before=b&swap=w&tags=t1&tags=t2&flag',
    });
    const params = new URLSearchParams(form.body);
    assert.equal(params.has('secret'), false);
    assert.equal(params.get('after'), 'b');
    assert.equal(params.get('swap'), 'swapped');
    assert.deepEqual(params.getAll('tags'), ['t1', 't2', 'new']);
    assert.equal(params.get('extra'), 'p');
    assert.ok(/(^|&)flag(&|$)/.test(form.body), form.body);

    const boundary = 'XyZ';
    const multipart =
      `--${boundary}\r\nContent-Disposition: form-data; name="secret"\r\n\r\ns\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="before"\r\n\r\nb\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.bin"\r\nContent-Type: application/octet-stream\r\n\r\n\u00ff\u0000bin\r\n` +
      `--${boundary}--\r\n`;
    const mp = await seen(`${node.proxy}/transform/bob/1`, {
      method: 'POST',
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'x-present': 'p' },
      body: Buffer.from(multipart, 'latin1') as unknown as string,
    });
    const parsed = await new Response(Buffer.from(mp.body, 'latin1'), { headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } }).formData();
    assert.equal(parsed.get('secret'), null);
    assert.equal(parsed.get('after'), 'b');
    assert.equal(parsed.get('extra'), 'p');
    const file = parsed.get('file') as File;
    assert.equal(file.name, 'a.bin', 'file parts pass unchanged');
    assert.deepEqual([...new Uint8Array(await file.arrayBuffer())], [0xff, 0, 98, 105, 110]);
  });

  test('request-transformer: a body it cannot parse is left alone', async () => {
    const got = await seen(`${node.proxy}/transform/bob/1`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{broken' });
    assert.equal(got.body, '{broken');
  });

  test('request-transformer: http_method GET moves a form body into the query', async () => {
    const got = await seen(`${node.proxy}/to-get?a=1`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=2&b=3' });
    assert.equal(got.method, 'GET');
    const url = new URL(got.url, 'http://x');
    assert.deepEqual(url.searchParams.getAll('a'), ['1', '2']);
    assert.equal(url.searchParams.get('b'), '3');
  });

  test('request-transformer: replacing host sets the upstream Host; defaults with or', async () => {
    const got = await seen(`${node.proxy}/host-replace`);
    assert.equal(got.headers.host, 'rewritten.test');
    assert.equal(new URL(got.url, 'http://x').searchParams.get('only'), 'fallback');
  });

  test('request-transformer: a template that fails on a request gives a 500 and a log line', async () => {
    const res = await call(`${node.proxy}/bad-render`);
    assert.equal(res.status, 500);
    assert.equal(JSON.parse(res.text).message, 'An unexpected error occurred');
    await waitUntil(() => /failed to render the template/.test(node.output()), 3000, 'the error log line');
  });

  test('response-transformer: headers and JSON body, Content-Length dropped', async () => {
    const res = await call(`${node.proxy}/json`);
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-length'], undefined);
    assert.equal(res.headers['x-drop'], undefined);
    assert.equal(res.headers['x-new'], 'o');
    assert.equal(res.headers['x-old'], undefined);
    assert.deepEqual(res.headers['x-upstream'], ['replaced', 'second']);
    assert.equal(res.headers['x-absent'], undefined);
    assert.equal(res.headers['x-added'], 'yes');
    const body = JSON.parse(res.text);
    assert.deepEqual(body, {
      keep: ['k', 'k2'],
      new: 'o',
      swap: 42,
      // Kong tests fields as Lua values: false is not replaced, and is added over.
      flag: 'now',
      list: ['x', 'y'],
      nothing: null,
      added: true,
      fresh: ['z'],
    });
  });

  test('response-transformer: a chunked JSON body is transformed whole; other types and bad JSON pass', async () => {
    const chunked = await call(`${node.proxy}/json/chunked`);
    assert.equal(JSON.parse(chunked.text).new, 'o');
    assert.equal(JSON.parse(chunked.text).drop, undefined);
    const text = await call(`${node.proxy}/json/text`);
    assert.equal(JSON.parse(text.text).drop, 'd');
    assert.equal(text.headers['x-added'], 'yes');
    const bad = await call(`${node.proxy}/json/bad`);
    assert.equal(bad.status, 200);
    assert.equal(bad.text, '{not json');
  });

  test('response-transformer: header rules alone keep the body and its length', async () => {
    const res = await call(`${node.proxy}/headers-only`);
    assert.equal(res.headers['x-added'], '1');
    assert.equal(JSON.parse(res.text).method, 'GET');
  });
});

async function post(base: string, path: string, body: unknown) {
  const res = await request(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.body.text();
  return { status: res.statusCode, body: text === '' ? null : JSON.parse(text) };
}

describe('traffic plugins through the Admin API', () => {
  let up: TestUpstream;
  let node: TollgateNode;
  before(async () => {
    up = await startUpstream('transformers-admin', handler);
    node = await startTollgate({ env: { TOLLGATE_DATABASE: 'sqlite' } });
    assert.equal((await post(node.admin, '/services', { name: 's', url: `http://127.0.0.1:${up.port}` })).status, 201);
    assert.equal((await post(node.admin, '/services/s/routes', { name: 'r', paths: ['/r'] })).status, 201);
  });
  after(async () => {
    await node?.stop();
    await up?.close();
  });

  test("each plugin is created with Kong's defaults", async () => {
    const cases: [string, Record<string, unknown>, Record<string, unknown>][] = [
      ['correlation-id', {}, { header_name: 'Kong-Request-ID', generator: 'uuid#counter', echo_downstream: false }],
      ['request-termination', {}, { status_code: 503, message: null, body: null, content_type: null, echo: false, trigger: null }],
      ['redirect', { location: 'https://example.test' }, { status_code: 301, location: 'https://example.test', keep_incoming_path: false }],
      [
        'request-transformer',
        {},
        {
          http_method: null,
          remove: { body: [], headers: [], querystring: [] },
          rename: { body: [], headers: [], querystring: [] },
          replace: { body: [], headers: [], querystring: [], uri: null },
          add: { body: [], headers: [], querystring: [] },
          append: { body: [], headers: [], querystring: [] },
        },
      ],
      [
        'response-transformer',
        {},
        {
          remove: { json: [], headers: [] },
          rename: { json: [], headers: [] },
          replace: { json: [], json_types: [], headers: [] },
          add: { json: [], json_types: [], headers: [] },
          append: { json: [], json_types: [], headers: [] },
        },
      ],
    ];
    for (const [name, config, expected] of cases) {
      const res = await post(node.admin, '/plugins', { name, config });
      assert.equal(res.status, 201, `${name}: ${JSON.stringify(res.body)}`);
      assert.deepEqual(res.body.config, expected, name);
      const info = JSON.parse((await call(`${node.admin}/`)).text);
      assert.ok(name in info.plugins.available_on_server, name);
      assert.equal((await call(`${node.admin}/plugins/${res.body.id}`, { method: 'DELETE' })).status, 204);
    }
  });

  test('bad configurations are refused with a 400 naming the field', async () => {
    const bad: [string, Record<string, unknown>, RegExp][] = [
      ['request-termination', { status_code: 600 }, /"status_code":"value should be between 100 and 599"/],
      ['request-termination', { message: 'm', body: 'b' }, /message cannot be used with content_type or body/],
      ['request-termination', { content_type: 'text/plain' }, /content_type requires a body/],
      ['request-termination', { echo: true, body: 'b' }, /echo cannot be used with content_type and body/],
      ['correlation-id', { generator: 'random' }, /"generator":"expected one of: uuid, uuid#counter, tracker"/],
      ['redirect', {}, /"location":"required field missing"/],
      ['redirect', { location: 'not a url' }, /"location"/],
      ['request-transformer', { add: { headers: ['x-a:$(os.execute("id"))'] } }, /"add":\{"headers":\["value '\$\(os\.execute\(\\"id\\"\)\)' is not in supported format/],
      ['request-transformer', { add: { body: ['novalue'] } }, /key 'novalue' has no value/],
      ['request-transformer', { rename: { headers: ['x-a:bad name'] } }, /'bad name' is not a valid header/],
      ['request-transformer', { http_method: 'get' }, /"http_method"/],
      ['request-transformer', { replace: { uri: '/$(uri_captures.a' } }, /"uri":"value/],
      ['response-transformer', { add: { json_types: ['date'] } }, /"json_types":\["expected one of: boolean, number, string"\]/],
      ['response-transformer', { add: { headers: ['no-colon'] } }, /"headers":\["invalid value: no-colon"\]/],
    ];
    for (const [name, config, pattern] of bad) {
      const res = await post(node.admin, '/plugins', { name, config });
      assert.equal(res.status, 400, `${name} ${JSON.stringify(config)}`);
      assert.match(JSON.stringify(res.body.fields), pattern, `${name}: ${JSON.stringify(res.body)}`);
    }
  });

  test('a plugin added through the Admin API acts on the proxy', async () => {
    const res = await post(node.admin, '/routes/r/plugins', { name: 'request-termination', config: { status_code: 401, trigger: 'x-deny' } });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    await waitUntil(async () => (await call(`${node.proxy}/r`, { headers: { 'x-deny': '1' } })).status === 401, 3000, 'the plugin on the proxy');
    assert.deepEqual(JSON.parse((await call(`${node.proxy}/r`, { headers: { 'x-deny': '1' } })).text), { message: 'Unauthorized' });
    assert.equal((await call(`${node.proxy}/r`)).status, 200);
  });
});
