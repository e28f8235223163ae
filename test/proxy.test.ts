import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { startTollgate, waitUntil, type TollgateNode } from './helpers/tollgate.ts';
import { rawRequest } from './helpers/raw-http.ts';
import { startUpstream, type Echo, type TestUpstream } from './helpers/upstream.ts';

describe('proxying to a service', () => {
  let up: TestUpstream;
  let down: number;
  let node: TollgateNode;

  before(async () => {
    up = await startUpstream('echo');
    // A closed port for the 502 case.
    const dead = await startUpstream('dead');
    down = dead.port;
    await dead.close();
    node = await startTollgate({
      config: `
_format_version: "3.0"
services:
  - name: echo
    url: http://127.0.0.1:${up.port}/base
    routes:
      - name: echo-route
        paths: ["/echo"]
      - name: keep-route
        paths: ["/keep"]
        strip_path: false
      - name: host-route
        hosts: ["preserved.example"]
        preserve_host: true
      - name: secure-only
        paths: ["/secure"]
        protocols: ["https"]
      - name: secure-redirect
        paths: ["/redirect"]
        protocols: ["https"]
        https_redirect_status_code: 301
  - name: slow
    url: http://127.0.0.1:${up.port}
    read_timeout: 200
    retries: 0
    routes:
      - name: slow-route
        paths: ["/delay"]
        strip_path: false
      - name: status-route
        paths: ["/status"]
        strip_path: false
  - name: down
    url: http://127.0.0.1:${down}
    retries: 2
    routes:
      - paths: ["/down"]
routes:
  - name: serviceless
    paths: ["/nothing"]
`,
    });
  });

  after(async () => {
    await node?.stop();
    await up?.close();
  });

  test('forwards with the service path joined and strip_path applied', async () => {
    const res = await request(`${node.proxy}/echo/hello?x=1&y`);
    assert.equal(res.statusCode, 200);
    const echo = (await res.body.json()) as Echo;
    assert.equal(echo.url, '/base/hello?x=1&y');
    assert.equal(echo.method, 'GET');
    const res2 = await request(`${node.proxy}/keep/a%20b`);
    const echo2 = (await res2.body.json()) as Echo;
    assert.equal(echo2.url, '/base/keep/a%20b');
  });

  test('sends X-Forwarded-*, X-Real-IP, Via and the service Host upstream', async () => {
    const res = await rawRequest(node.proxy, '/echo/x/../y', { headers: { host: 'Gateway.Example:9999', 'x-forwarded-for': '10.9.9.9' } });
    const echo = JSON.parse(res.body) as Echo;
    const h = echo.headers;
    assert.equal(h.host, `127.0.0.1:${up.port}`);
    assert.equal(h['x-forwarded-for'], '10.9.9.9, 127.0.0.1', "an untrusted client's X-Forwarded-For is appended to, as Kong's");
    assert.equal(h['x-forwarded-proto'], 'http');
    assert.equal(h['x-forwarded-host'], 'gateway.example');
    assert.equal(h['x-forwarded-port'], String(node.proxyPort));
    assert.equal(h['x-forwarded-path'], '/echo/x/../y');
    assert.equal(h['x-forwarded-prefix'], '/echo');
    assert.equal(h['x-real-ip'], '127.0.0.1');
    assert.match(String(h.via), /^1\.1 tollgate\/\d+\.\d+\.\d+$/);
    assert.match(String(h['x-tollgate-request-id']), /^[0-9a-f]{32}$/);
    assert.equal(echo.url, '/base/y', 'dot segments are resolved before routing and forwarding');
  });

  test('removes hop-by-hop headers and those named in Connection', async () => {
    const res = await rawRequest(node.proxy, '/echo', {
      headers: { connection: 'keep-alive, x-secret-hop', 'x-secret-hop': '1', 'keep-alive': 'timeout=5', te: 'trailers', 'x-kept': 'yes' },
    });
    const echo = JSON.parse(res.body) as Echo;
    assert.equal(echo.headers['x-secret-hop'], undefined);
    assert.equal(echo.headers['keep-alive'], undefined);
    assert.equal(echo.headers.te, 'trailers', 'only the trailers token of TE is passed on, as Kong does');
    assert.equal(echo.headers['x-kept'], 'yes');
  });

  test('preserve_host sends the client Host header', async () => {
    const res = await request(`${node.proxy}/anything`, { headers: { host: 'preserved.example' } });
    const echo = (await res.body.json()) as Echo;
    assert.equal(echo.headers.host, 'preserved.example');
  });

  test('adds Via, latency headers and the request id downstream', async () => {
    const res = await request(`${node.proxy}/echo`);
    await res.body.text();
    assert.match(String(res.headers.via), /^1\.1 tollgate\//);
    assert.match(String(res.headers['x-tollgate-upstream-latency']), /^\d+$/);
    assert.match(String(res.headers['x-tollgate-proxy-latency']), /^\d+$/);
    assert.match(String(res.headers['x-tollgate-request-id']), /^[0-9a-f]{32}$/);
  });

  test('no route: 404 in Kong words, negotiated by Accept', async () => {
    const json = await request(`${node.proxy}/nope`);
    assert.equal(json.statusCode, 404);
    assert.match(String(json.headers['content-type']), /^application\/json/);
    const body = (await json.body.json()) as { message: string; request_id: string };
    assert.equal(body.message, 'no Route matched with those values');
    assert.equal(body.request_id, json.headers['x-tollgate-request-id']);
    assert.match(String(json.headers.server), /^tollgate\//);
    assert.match(String(json.headers['x-tollgate-response-latency']), /^\d+$/);

    const html = await request(`${node.proxy}/nope`, { headers: { accept: 'text/html' } });
    assert.match(String(html.headers['content-type']), /^text\/html/);
    assert.match(await html.body.text(), /<p>no Route matched with those values\.<\/p>/);
    const xml = await request(`${node.proxy}/nope`, { headers: { accept: 'application/xml;q=0.9, text/plain;q=0.5' } });
    assert.match(await xml.body.text(), /<message>no Route matched with those values<\/message>/);
    const text = await request(`${node.proxy}/nope`, { headers: { accept: 'text/plain' } });
    assert.match(await text.body.text(), /^no Route matched with those values\nrequest_id: [0-9a-f]{32}/);
  });

  test('a route without a service answers 503', async () => {
    const res = await request(`${node.proxy}/nothing`);
    assert.equal(res.statusCode, 503);
    assert.equal(((await res.body.json()) as { message: string }).message, 'no Service found with those values');
  });

  test('https-only routes answer 426 or redirect on plain HTTP', async () => {
    const res = await request(`${node.proxy}/secure`);
    assert.equal(res.statusCode, 426);
    assert.equal(((await res.body.json()) as { message: string }).message, 'Please use HTTPS protocol');
    assert.equal(res.headers.upgrade, 'TLS/1.2, HTTP/1.1');
    const red = await request(`${node.proxy}/redirect/a?b=c`, { headers: { host: 'Example.COM:8000' } });
    await red.body.text();
    assert.equal(red.statusCode, 301);
    assert.equal(red.headers.location, 'https://example.com/redirect/a?b=c');
  });

  test('an unreachable upstream gives 502 after the retries', async () => {
    const res = await request(`${node.proxy}/down`, { headers: { accept: 'application/json' } });
    assert.equal(res.statusCode, 502);
    assert.equal(((await res.body.json()) as { message: string }).message, 'An invalid response was received from the upstream server');
  });

  test('a slow upstream gives 504 after read_timeout', async () => {
    const t0 = Date.now();
    const res = await request(`${node.proxy}/delay/1500`, { headers: { accept: 'application/json' } });
    assert.equal(res.statusCode, 504);
    assert.equal(((await res.body.json()) as { message: string }).message, 'The upstream server is timing out');
    assert.ok(Date.now() - t0 < 1400, 'answered before the upstream did');
  });

  test('read_timeout counts from the end of the request body, not from its start', async () => {
    // Three chunks over 600 ms, three times the service's read_timeout of 200 ms; the upstream answers at once.
    const body = new Readable({ read() {} });
    let sent = 0;
    const timer = setInterval(() => {
      body.push('x'.repeat(100));
      if (++sent === 3) {
        clearInterval(timer);
        body.push(null);
      }
    }, 200);
    const res = await request(`${node.proxy}/delay/0`, { method: 'POST', body });
    assert.equal(res.statusCode, 200);
    assert.equal(((await res.body.json()) as Echo).bodyLength, 300);
  });

  test('upstream status codes and bodies pass through', async () => {
    const res = await rawRequest(node.proxy, '/delay/0/../../status/418');
    // normalised to /status/418 before routing
    assert.equal(res.status, 418);
    const echo = JSON.parse(res.body) as Echo;
    assert.equal(echo.url, '/status/418');
  });

  test('requests are written to the access log with the request id', async () => {
    const res = await request(`${node.proxy}/echo/logged?q=1`, { headers: { 'user-agent': 'access-log-test' } });
    await res.body.text();
    const id = String(res.headers['x-tollgate-request-id']);
    const file = join(node.prefix, 'logs', 'access.log');
    await waitUntil(() => existsSync(file) && readFileSync(file, 'utf8').includes(id), 5000, 'the access log line');
    const line = readFileSync(file, 'utf8').split('\n').find((l) => l.includes(id))!;
    assert.match(
      line,
      /^127\.0\.0\.1 - - \[\d{2}\/\w{3}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000\] "GET \/echo\/logged\?q=1 HTTP\/1\.1" 200 \d+ "-" "access-log-test" request_id: "[0-9a-f]{32}"$/,
    );
  });
});
