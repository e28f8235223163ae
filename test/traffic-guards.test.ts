/**
 * ip-restriction, bot-detection, request-size-limiting and cors through the real proxy: a DB-less node from a
 * declarative file for their behaviours and error bodies, and the Admin API for creating them and for
 * refusing bad configurations with the field named.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request } from 'undici';
import { startTollgate, waitUntil, type TollgateNode } from './helpers/tollgate.ts';
import { startUpstream, type Echo, type TestUpstream } from './helpers/upstream.ts';

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

/** One request with node:http, so that chunked bodies, repeated headers and early answers are in our hands. */
function send(url: string, options: { method?: string; headers?: Record<string, string | string[]>; chunks?: Buffer[]; body?: Buffer } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: options.method ?? 'GET', headers: options.headers ?? {}, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
      res.on('error', reject);
    });
    // The proxy may answer (and close) before the whole body is sent: that answer is what the test wants.
    req.on('error', reject);
    if (options.body !== undefined) req.end(options.body);
    else if (options.chunks !== undefined) {
      let i = 0;
      const next = (): void => {
        if (i === options.chunks!.length) {
          req.end();
          return;
        }
        req.write(options.chunks![i++], () => setTimeout(next, 5));
      };
      next();
    } else req.end();
  });
}

function message(answer: Answer): string {
  return (JSON.parse(answer.text) as { message: string }).message;
}

describe('traffic guards from a declarative file', () => {
  let up: TestUpstream;
  let node: TollgateNode;
  /** Upstream requests whose body arrived whole, and those cut short, by URL. */
  const completed: string[] = [];
  const aborted: string[] = [];
  before(async () => {
    up = await startUpstream('guards-up');
    up.server.on('request', (req: import('node:http').IncomingMessage) => {
      req.once('end', () => completed.push(req.url ?? ''));
      req.once('aborted', () => aborted.push(req.url ?? ''));
    });
    const url = `http://127.0.0.1:${up.port}`;
    node = await startTollgate({
      env: { TOLLGATE_TRUSTED_IPS: '127.0.0.1/32', TOLLGATE_REAL_IP_HEADER: 'X-Forwarded-For' },
      config: `_format_version: "3.0"
services:
  - name: echo
    url: ${url}
    routes:
      - { name: ip-deny, paths: [/ip-deny], plugins: [{ name: ip-restriction, config: { deny: [127.0.0.0/8] } }] }
      - name: ip-allow
        paths: [/ip-allow]
        plugins: [{ name: ip-restriction, config: { allow: [203.0.113.0/24, "2001:db8::/32"], deny: [203.0.113.66], status: 401, message: Go away } }]
      - { name: ip-default, paths: [/ip-default], plugins: [{ name: ip-restriction, config: { allow: [198.51.100.7] } }] }
      - { name: bots, paths: [/bots], plugins: [{ name: bot-detection }] }
      - name: bots-custom
        paths: [/bots-custom]
        plugins: [{ name: bot-detection, config: { allow: [facebookexternalhit], deny: ["^Hello(World)?$"] } }]
      - name: size
        paths: [/size]
        plugins: [{ name: request-size-limiting, config: { allowed_payload_size: 1, size_unit: kilobytes } }]
      - name: size-read
        paths: [/size-read]
        plugins:
          - { name: request-size-limiting, config: { allowed_payload_size: 100, size_unit: bytes } }
          # Reads the whole body first (priority 1250 > 951).
          - { name: key-auth, config: { key_in_body: true, anonymous: anon } }
      - name: size-cl
        paths: [/size-cl]
        plugins: [{ name: request-size-limiting, config: { allowed_payload_size: 10, size_unit: bytes, require_content_length: true } }]
      - name: cors
        paths: [/cors]
        plugins:
          - name: cors
            config:
              origins: [example.test]
              methods: [GET]
              headers: [origin, type, accepts]
              exposed_headers: [x-auth-token]
              max_age: 23
              credentials: true
      - { name: cors-any, paths: [/cors-any], plugins: [{ name: cors }] }
      - name: cors-list
        paths: [/cors-list]
        plugins: [{ name: cors, config: { origins: ["http://my-site.test", "(.*[./])?foo\\\\.test"], private_network: true } }]
      - name: cors-continue
        paths: [/cors-continue]
        plugins: [{ name: cors, config: { preflight_continue: true } }]
consumers:
  - username: anon
`,
    });
  });
  after(async () => {
    await node?.stop();
    await up?.close();
  });

  describe('ip-restriction', () => {
    test('a denied address gets Kong\'s 403 naming it; the upstream is not called', async () => {
      const before = up.count;
      const res = await send(`${node.proxy}/ip-deny`);
      assert.equal(res.status, 403);
      assert.equal(message(res), 'IP address not allowed: 127.0.0.1');
      assert.ok((JSON.parse(res.text) as { request_id?: string }).request_id);
      assert.equal(up.count, before);
    });

    test('the forwarded address from a trusted peer decides: allow, deny first, IPv6, status and message', async () => {
      assert.equal((await send(`${node.proxy}/ip-allow`, { headers: { 'x-forwarded-for': '203.0.113.5' } })).status, 200);
      assert.equal((await send(`${node.proxy}/ip-allow`, { headers: { 'x-forwarded-for': '2001:db8::42' } })).status, 200);
      const denied = await send(`${node.proxy}/ip-allow`, { headers: { 'x-forwarded-for': '203.0.113.66' } });
      assert.equal(denied.status, 401);
      assert.equal(message(denied), 'Go away');
      const outside = await send(`${node.proxy}/ip-allow`, { headers: { 'x-forwarded-for': '192.0.2.1' } });
      assert.equal(outside.status, 401);
      // The peer itself (no header) is outside the allow list too.
      assert.equal((await send(`${node.proxy}/ip-allow`)).status, 401);
      const named = await send(`${node.proxy}/ip-default`, { headers: { 'x-forwarded-for': '198.51.100.8' } });
      assert.equal(named.status, 403);
      assert.equal(message(named), 'IP address not allowed: 198.51.100.8');
      assert.equal((await send(`${node.proxy}/ip-default`, { headers: { 'x-forwarded-for': '198.51.100.7' } })).status, 200);
    });
  });

  describe('bot-detection', () => {
    test('browsers, curl and no User-Agent pass; built-in bots get 403 Forbidden', async () => {
      for (const ua of ['Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_5) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/50.0 Safari/537.36', 'curl/7.43.0', 'HelloWorld']) {
        assert.equal((await send(`${node.proxy}/bots`, { headers: { 'user-agent': ua } })).status, 200, ua);
      }
      assert.equal((await send(`${node.proxy}/bots`)).status, 200);
      for (const ua of ['Googlebot/2.1 (+http://www.google.com/bot.html)', 'facebookexternalhit/1.1', 'python-requests/2.0 Scrapy/2.11', 'Go-http-client/1.1']) {
        const res = await send(`${node.proxy}/bots`, { headers: { 'user-agent': ua } });
        assert.equal(res.status, 403, ua);
        assert.equal(message(res), 'Forbidden');
      }
      // Asked again, the remembered decision is the same.
      assert.equal((await send(`${node.proxy}/bots`, { headers: { 'user-agent': 'facebookexternalhit/1.1' } })).status, 403);
    });

    test('allow beats the built-in rules, deny adds to them; two User-Agents are a 400', async () => {
      assert.equal((await send(`${node.proxy}/bots-custom`, { headers: { 'user-agent': 'facebookexternalhit/1.1' } })).status, 200);
      assert.equal((await send(`${node.proxy}/bots-custom`, { headers: { 'user-agent': 'HelloWorld' } })).status, 403);
      assert.equal((await send(`${node.proxy}/bots-custom`, { headers: { 'user-agent': 'HelloWorlds' } })).status, 200);
      const two = await send(`${node.proxy}/bots-custom`, { headers: { 'user-agent': ['a', 'b'] } });
      assert.equal(two.status, 400);
      assert.equal(message(two), 'Only one User-Agent header allowed');
    });
  });

  describe('request-size-limiting', () => {
    test('a Content-Length over the limit is a 413 (417 with Expect: 100-continue) before the upstream sees it', async () => {
      const before = up.count;
      const big = await send(`${node.proxy}/size`, { method: 'POST', body: Buffer.alloc(1025, 97) });
      assert.equal(big.status, 413);
      assert.equal(message(big), 'Request size limit exceeded');
      const expect = await send(`${node.proxy}/size`, { method: 'POST', headers: { expect: '100-continue', 'content-length': '5000' } });
      assert.equal(expect.status, 417);
      assert.equal(message(expect), 'Request size limit exceeded');
      assert.equal(up.count, before);
      const fits = await send(`${node.proxy}/size`, { method: 'POST', body: Buffer.alloc(1024, 97) });
      assert.equal(fits.status, 200);
      assert.equal((JSON.parse(fits.text) as Echo).bodyLength, 1024);
    });

    test('a chunked body is counted as it streams: within the limit it reaches the upstream, past it a 413', async () => {
      const fits = await send(`${node.proxy}/size`, { method: 'POST', chunks: [Buffer.alloc(500, 97), Buffer.alloc(524, 98)] });
      assert.equal(fits.status, 200);
      const echo = JSON.parse(fits.text) as Echo;
      assert.equal(echo.bodyLength, 1024);
      assert.equal(echo.headers['transfer-encoding'], 'chunked');

      const big = await send(`${node.proxy}/size?big=1`, { method: 'POST', chunks: [Buffer.alloc(600, 97), Buffer.alloc(600, 98), Buffer.alloc(600, 99)] });
      assert.equal(big.status, 413);
      assert.equal(message(big), 'Request size limit exceeded');
      assert.equal(big.headers.connection, 'close');
      // The upstream got the start of the body, then a cut connection, never a whole (truncated) body.
      await waitUntil(() => aborted.includes('/?big=1'), 5000, 'the upstream call to be cut');
      assert.ok(!completed.includes('/?big=1'));
      // The node goes on serving.
      assert.equal((await send(`${node.proxy}/size`, { method: 'POST', body: Buffer.from('ok') })).status, 200);
    });

    test('a chunked body another plugin already read is held to the same limit', async () => {
      const json = (n: number) => Buffer.from(JSON.stringify({ pad: 'x'.repeat(n) }));
      const headers = { 'content-type': 'application/json' };
      const small = await send(`${node.proxy}/size-read`, { method: 'POST', headers, chunks: [json(20)] });
      assert.equal(small.status, 200);
      assert.equal((JSON.parse(small.text) as Echo).headers['x-anonymous-consumer'], 'true');
      const big = await send(`${node.proxy}/size-read`, { method: 'POST', headers, chunks: [json(60), json(60)] });
      assert.equal(big.status, 413);
      assert.equal(message(big), 'Request size limit exceeded');
    });

    test('require_content_length: 411 without one, chunked bodies still counted', async () => {
      const none = await send(`${node.proxy}/size-cl`);
      assert.equal(none.status, 411);
      assert.equal(message(none), 'A valid Content-Length header is required');
      assert.equal((await send(`${node.proxy}/size-cl`, { method: 'POST', body: Buffer.from('0123456789') })).status, 200);
      assert.equal((await send(`${node.proxy}/size-cl`, { method: 'POST', chunks: [Buffer.from('01234'), Buffer.from('56789')] })).status, 200);
      assert.equal((await send(`${node.proxy}/size-cl`, { method: 'POST', chunks: [Buffer.from('01234'), Buffer.from('567890')] })).status, 413);
    });
  });

  describe('cors', () => {
    const preflight = (path: string, origin: string, extra: Record<string, string> = {}) =>
      send(`${node.proxy}${path}`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'GET', ...extra } });

    test('a preflight is answered 200 with no body and the configured headers', async () => {
      const before = up.count;
      const res = await preflight('/cors', 'origin5.test');
      assert.equal(res.status, 200);
      assert.equal(res.text, '');
      assert.equal(res.headers['content-length'], '0');
      assert.equal(res.headers['access-control-allow-methods'], 'GET');
      assert.equal(res.headers['access-control-allow-origin'], 'example.test');
      assert.equal(res.headers['access-control-max-age'], '23');
      assert.equal(res.headers['access-control-allow-credentials'], 'true');
      assert.equal(res.headers['access-control-allow-headers'], 'origin,type,accepts');
      assert.equal(res.headers.vary, 'Origin');
      assert.equal(up.count, before);
    });

    test('defaults: *, every method, the requested headers echoed', async () => {
      const res = await preflight('/cors-any', 'origin1.test', { 'access-control-request-headers': 'origin,accepts' });
      assert.equal(res.status, 200);
      assert.equal(res.headers['access-control-allow-origin'], '*');
      assert.equal(res.headers['access-control-allow-methods'], 'GET,HEAD,PUT,PATCH,POST,DELETE,OPTIONS,TRACE,CONNECT');
      assert.equal(res.headers['access-control-allow-headers'], 'origin,accepts');
      assert.equal(res.headers.vary, undefined);
      assert.equal(res.headers['access-control-allow-credentials'], undefined);
    });

    test('origin lists: exact values normalized, regexes anchored on the host, private network', async () => {
      assert.equal((await preflight('/cors-list', 'http://my-site.test:80')).headers['access-control-allow-origin'], 'http://my-site.test');
      assert.equal((await preflight('/cors-list', 'https://my-site.test')).headers['access-control-allow-origin'], undefined);
      assert.equal((await preflight('/cors-list', 'https://api.foo.test:8443')).headers['access-control-allow-origin'], 'https://api.foo.test:8443');
      assert.equal((await preflight('/cors-list', 'http://foo.test.evil.test')).headers['access-control-allow-origin'], undefined);
      const pna = await preflight('/cors-list', 'http://foo.test', { 'access-control-request-private-network': 'true' });
      assert.equal(pna.headers['access-control-allow-private-network'], 'true');
      assert.equal(pna.headers.vary, 'Origin');
    });

    test('actual requests get the headers in header_filter, Vary added to the upstream\'s', async () => {
      const res = await send(`${node.proxy}/cors`, { headers: { origin: 'example.test' } });
      assert.equal(res.status, 200);
      assert.equal(res.headers['access-control-allow-origin'], 'example.test');
      assert.equal(res.headers['access-control-expose-headers'], 'x-auth-token');
      assert.equal(res.headers['access-control-allow-credentials'], 'true');
      assert.equal(res.headers.vary, 'Origin');
      // A non-preflight OPTIONS goes upstream.
      const options = await send(`${node.proxy}/cors-any`, { method: 'OPTIONS', headers: { origin: 'x.test' } });
      assert.equal((JSON.parse(options.text) as Echo).method, 'OPTIONS');
      assert.equal(options.headers['access-control-allow-origin'], '*');
      // An error answer from the upstream gets them too.
      const missing = await send(`${node.proxy}/cors-list/status/404`, { headers: { origin: 'http://my-site.test' } });
      assert.equal(missing.status, 404);
      assert.equal(missing.headers['access-control-allow-origin'], 'http://my-site.test');
    });

    test('preflight_continue sends the preflight upstream', async () => {
      const res = await preflight('/cors-continue', 'origin1.test');
      assert.equal(res.status, 200);
      assert.equal((JSON.parse(res.text) as Echo).method, 'OPTIONS');
      assert.equal(res.headers['access-control-allow-origin'], undefined);
    });
  });
});

describe('traffic guards through the Admin API', () => {
  let up: TestUpstream;
  let node: TollgateNode;
  const post = async (path: string, body: unknown) => {
    const res = await request(`${node.admin}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.statusCode, body: (await res.body.json()) as Record<string, any> };
  };
  before(async () => {
    up = await startUpstream('guards-admin');
    node = await startTollgate({ env: { TOLLGATE_DATABASE: 'sqlite' } });
    assert.equal((await post('/services', { name: 's', url: `http://127.0.0.1:${up.port}` })).status, 201);
    assert.equal((await post('/services/s/routes', { name: 'r', paths: ['/r'] })).status, 201);
  });
  after(async () => {
    await node?.stop();
    await up?.close();
  });

  test('Kong\'s defaults are filled in', async () => {
    const size = await post('/routes/r/plugins', { name: 'request-size-limiting' });
    assert.equal(size.status, 201, JSON.stringify(size.body));
    assert.deepEqual(size.body.config, { allowed_payload_size: 128, size_unit: 'megabytes', require_content_length: false });
    const cors = await post('/services/s/plugins', { name: 'cors' });
    assert.equal(cors.status, 201, JSON.stringify(cors.body));
    assert.deepEqual(cors.body.config.methods, ['GET', 'HEAD', 'PUT', 'PATCH', 'POST', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT']);
    assert.equal(cors.body.config.credentials, false);
    assert.equal(cors.body.config.allow_origin_absent, true);
    const bots = await post('/plugins', { name: 'bot-detection' });
    assert.equal(bots.status, 201, JSON.stringify(bots.body));
    assert.deepEqual(bots.body.config, { allow: [], deny: [] });
    const info = (await (await request(`${node.admin}/`)).body.json()) as { plugins: { available_on_server: Record<string, { priority: number }> } };
    assert.equal(info.plugins.available_on_server['ip-restriction'].priority, 990);
    assert.equal(info.plugins.available_on_server['bot-detection'].priority, 2500);
    assert.equal(info.plugins.available_on_server['request-size-limiting'].priority, 951);
    assert.equal(info.plugins.available_on_server.cors.priority, 2000);
  });

  test('an ip-restriction created on the Admin API restricts the proxy', async () => {
    const ip = await post('/routes/r/plugins', { name: 'ip-restriction', config: { deny: ['127.0.0.1'] } });
    assert.equal(ip.status, 201, JSON.stringify(ip.body));
    await waitUntil(async () => (await send(`${node.proxy}/r`)).status === 403, 5000, 'ip-restriction on the proxy');
    assert.equal(message(await send(`${node.proxy}/r`)), 'IP address not allowed: 127.0.0.1');
  });

  test('bad configurations are a 400 naming the field', async () => {
    const neither = await post('/plugins', { name: 'ip-restriction', config: {} });
    assert.equal(neither.status, 400);
    assert.deepEqual(neither.body.fields['@entity'], ["at least one of these fields must be non-empty: 'config.allow', 'config.deny'"]);
    const badIp = await post('/plugins', { name: 'ip-restriction', config: { allow: ['127.0.0.1', 'hello'] } });
    assert.equal(badIp.status, 400);
    // Kong's `{ [2] = ... }`: the second element is the bad one.
    assert.deepEqual(badIp.body.fields.config.allow, [null, "invalid ip or cidr range: 'hello'"]);
    const badRegex = await post('/plugins', { name: 'bot-detection', config: { allow: ['[[[bad'] } });
    assert.equal(badRegex.status, 400);
    assert.deepEqual(badRegex.body.fields.config.allow, ['not a valid regex: [[[bad']);
    const badUnit = await post('/plugins', { name: 'request-size-limiting', config: { size_unit: 'gigabytes' } });
    assert.equal(badUnit.status, 400);
    assert.equal(badUnit.body.fields.config.size_unit, 'expected one of: megabytes, kilobytes, bytes');
    const badOrigin = await post('/plugins', { name: 'cors', config: { origins: ['.*.example.com', 'invalid_**regex'] } });
    assert.equal(badOrigin.status, 400);
    assert.match(JSON.stringify(badOrigin.body.fields.config.origins), /'invalid_\*\*regex' is not a valid regex/);
    const badMethod = await post('/plugins', { name: 'cors', config: { methods: ['FAKE'] } });
    assert.equal(badMethod.status, 400);
    assert.deepEqual(badMethod.body.fields.config.methods, ['expected one of: GET, HEAD, PUT, PATCH, POST, DELETE, OPTIONS, TRACE, CONNECT']);
  });
});
