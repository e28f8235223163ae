/**
 * Behaviour of the proxy path that Kong's own integration specs assert (spec/02-integration/05-proxy:
 * upstream headers, request id, Via, Server and latency headers), checked through a real node and real
 * upstreams. Kong's `X-Kong-*` headers carry Tollgate's `X-Tollgate-*` names here.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect as connectHttp2, type ClientHttp2Session } from 'node:http2';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTollgate, waitUntil, type TollgateNode } from './helpers/tollgate.ts';
import { rawRequest } from './helpers/raw-http.ts';
import { freePort } from './helpers/ports.ts';
import { SERVER_TOKEN } from '../src/core/version.ts';
import { echoHandler, startUpstream, type Echo, type TestUpstream } from './helpers/upstream.ts';

/** Kong's fixture paths: hop-by-hop response headers, a Via of its own, a plain text body. */
function upstreamHandler(req: IncomingMessage, res: ServerResponse): void {
  switch (req.url) {
    case '/hop-by-hop':
      // Chunked (no Content-Length), with every hop-by-hop header Kong's fixture sends, and one the
      // Connection header names.
      res.writeHead(200, [
        'Keep-Alive', 'timeout=5, max=1000',
        'Proxy-Authenticate', 'Basic',
        'Trailer', 'Expires',
        'Upgrade', 'example/1, foo/2',
        'Connection', 'keep-alive, X-Resp-Hop',
        'X-Resp-Hop', 'Remove-Me',
        'X-Resp-Kept', 'Keep-Me',
      ]);
      res.end('hello\r\n');
      return;
    case '/via':
      req.resume();
      req.on('end', () => {
        const body = JSON.stringify({ via: String(req.headers.via) });
        res.writeHead(200, ['Server', 'http-mock', 'Via', '2 nginx, HTTP/1.1 http_mock', 'Content-Type', 'application/json', 'Content-Length', String(body.length)]);
        res.end(body);
      });
      return;
    case '/nocharset':
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('Hello World!\n');
      return;
    default:
      echoHandler('echo', req, res);
  }
}

/**
 * Answers with a Trailer header that Node's own server would refuse to send: on a HEAD answer (chunked, but
 * without a body) and on a response with a Content-Length.
 */
async function startRawTrailerUpstream(): Promise<{ server: Server; port: number }> {
  const server = createTcpServer((socket) => {
    socket.once('data', (data) => {
      const head = data.toString('latin1');
      const framing = head.startsWith('HEAD ') ? 'Transfer-Encoding: chunked\r\n\r\n' : 'Content-Length: 2\r\n\r\nok';
      socket.end(`HTTP/1.1 200 OK\r\nTrailer: Expires\r\nConnection: close\r\n${framing}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

/** Cuts every other request without an answer (Kong's fixture); answers the others with the Host it got. */
async function startFlakyHostEcho(): Promise<{ server: Server; port: number }> {
  let requests = 0;
  const server = createTcpServer((socket) => {
    socket.on('data', (data) => {
      if (++requests % 2 === 1) {
        socket.destroy();
        return;
      }
      const host = /\r\nhost: *([^\r]*)/i.exec(data.toString('latin1'))?.[1] ?? '';
      socket.end(`HTTP/1.1 200 OK\r\nContent-Length: ${host.length}\r\nConnection: close\r\n\r\n${host}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

function h2Get(session: ClientHttp2Session, headers: Record<string, string>): Promise<{ headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const stream = session.request(headers);
    let text = '';
    let got: Record<string, unknown> = {};
    stream.on('response', (h) => (got = h as Record<string, unknown>));
    stream.on('data', (c: Buffer) => (text += c.toString()));
    stream.on('end', () => resolve({ headers: got, body: text }));
    stream.on('error', reject);
    stream.end();
  });
}

describe('Kong proxy specs: upstream and downstream headers', () => {
  let up: TestUpstream;
  let node: TollgateNode;
  let h2Port: number;
  let deadPort: number;
  let raw: { server: Server; port: number };
  let flaky: { server: Server; port: number };

  before(async () => {
    up = await startUpstream('echo', upstreamHandler);
    const dead = await startUpstream('dead');
    deadPort = dead.port;
    await dead.close();
    h2Port = await freePort();
    raw = await startRawTrailerUpstream();
    flaky = await startFlakyHostEcho();
    node = await startTollgate({
      extraProxyListen: `127.0.0.1:${h2Port} ssl http2`,
      config: `
_format_version: "3.0"
services:
  - name: echo
    url: http://127.0.0.1:${up.port}
    routes:
      - hosts: [headers-inspect.test]
      - hosts: [preserved.test]
        preserve_host: true
      - hosts: [prefix.test]
        paths: [/foo]
      - hosts: [prefix.test]
        paths: [/status/200]
        strip_path: false
      - hosts: [prefix-root.test]
        paths: [/]
      - hosts: [request-id-access.test]
        plugins:
          - name: request-transformer
            config:
              replace: { headers: ["X-Tollgate-Request-Id:overwritten"] }
              add: { headers: ["X-Tollgate-Request-Id:overwritten"] }
      - hosts: [request-id-header-filter.test]
        plugins:
          - name: response-transformer
            config:
              replace: { headers: ["X-Tollgate-Request-Id:overwritten"] }
              add: { headers: ["X-Tollgate-Request-Id:overwritten"] }
      - paths: [/proxy-authorization]
        plugins:
          - name: request-transformer
            config:
              add: { headers: ["Proxy-Authorization:Basic ZGVtbzp0ZXN0"] }
              replace: { headers: ["Proxy-Authorization:Basic ZGVtbzp0ZXN0"] }
  - name: via
    url: http://127.0.0.1:${up.port}/via
    routes:
      - hosts: [test.via]
        paths: [/get]
  - name: short-circuit
    url: http://127.0.0.1:${deadPort}
    routes:
      - hosts: [short-circuit.test]
        plugins:
          - name: request-termination
            config: { status_code: 200, message: Terminated }
          - name: response-transformer
            config:
              add: { headers: ["Via:${SERVER_TOKEN}", "Server:Demo"] }
      - hosts: [short-circuit-server.test]
        plugins:
          - name: request-termination
            config: { status_code: 200, message: Terminated }
          - name: response-transformer
            config:
              add: { headers: ["Server:Demo"] }
  - name: raw-trailer
    url: http://127.0.0.1:${raw.port}
    routes:
      - hosts: [raw-trailer.test]
  - name: dead
    url: http://127.0.0.1:${deadPort}
    retries: 0
    routes:
      - hosts: [502.test]
  - name: retry-service
    host: foo
    retries: 5
    routes:
      - paths: [/hello]
        strip_path: false
upstreams:
  - name: foo
    host_header: foo.com
    targets:
      - target: 127.0.0.1:${flaky.port}
`,
    });
  });

  after(async () => {
    await node?.stop();
    await up?.close();
    raw?.server.close();
    flaky?.server.close();
  });

  const echoed = async (headers: Record<string, string>, path = '/'): Promise<Echo['headers']> => {
    const res = await rawRequest(node.proxy, path, { headers });
    assert.equal(res.status, 200, res.body);
    return (JSON.parse(res.body) as Echo).headers;
  };

  test('hop-by-hop headers are removed from the request; TE keeps only trailers; Proxy (httpoxy) is dropped', async () => {
    const h = await echoed({
      Connection: 'X-Foo, X-Bar',
      Host: 'headers-inspect.test',
      'Keep-Alive': 'timeout=5, max=1000',
      Proxy: 'Remove-Me',
      'Proxy-Connection': 'close',
      'Proxy-Authenticate': 'Basic',
      'Proxy-Authorization': 'Basic YWxhZGRpbjpvcGVuc2VzYW1l',
      TE: 'trailers, deflate;q=0.5',
      Upgrade: 'example/1, foo/2',
      'X-Foo': 'Remove-Me',
      'X-Bar': 'Remove-Me',
      'X-Foo-Bar': 'Keep-Me',
      Close: 'Keep-Me',
    });
    assert.equal(h['keep-alive'], undefined);
    assert.equal(h.proxy, undefined);
    assert.equal(h['proxy-connection'], undefined);
    assert.equal(h.upgrade, undefined);
    assert.equal(h['x-foo'], undefined);
    assert.equal(h['x-bar'], undefined);
    assert.equal(h['proxy-authenticate'], 'Basic');
    assert.equal(h['proxy-authorization'], 'Basic YWxhZGRpbjpvcGVuc2VzYW1l');
    assert.equal(h.te, 'trailers');
    assert.equal(h['x-foo-bar'], 'Keep-Me');
    assert.equal(h.close, 'Keep-Me');
    const plain = await echoed({ Host: 'headers-inspect.test', TE: 'deflate' });
    assert.equal(plain.te, undefined, 'a TE without trailers is not passed on');
  });

  test('hop-by-hop headers are removed from the response, with those its Connection header names', async () => {
    const res = await rawRequest(node.proxy, '/hop-by-hop', { headers: { Host: 'headers-inspect.test' } });
    assert.equal(res.status, 200);
    assert.equal(res.headers['keep-alive'], undefined);
    assert.equal(res.headers.trailer, undefined);
    assert.equal(res.headers.upgrade, undefined);
    assert.equal(res.headers['x-resp-hop'], undefined);
    assert.equal(res.headers['x-resp-kept'], 'Keep-Me');
    assert.equal(res.headers['proxy-authenticate'], 'Basic');
    assert.equal(res.headers['transfer-encoding'], 'chunked');
    assert.equal(res.body, 'hello\r\n');
  });

  test('the Trailer response header stays when the client asked for trailers', async () => {
    const res = await rawRequest(node.proxy, '/hop-by-hop', { headers: { Host: 'headers-inspect.test', TE: 'trailers' } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.trailer, 'Expires');
    assert.equal(res.body, 'hello\r\n');
    // Node refuses a Trailer header on an HTTP/1.1 response that is not chunked: those drop it instead of failing.
    const head = await rawRequest(node.proxy, '/', { method: 'HEAD', headers: { Host: 'raw-trailer.test', TE: 'trailers' } });
    assert.equal(head.status, 200);
    assert.equal(head.headers.trailer, undefined);
    const sized = await rawRequest(node.proxy, '/', { headers: { Host: 'raw-trailer.test', TE: 'trailers' } });
    assert.equal(sized.status, 200);
    assert.equal(sized.body, 'ok');
    assert.equal(sized.headers.trailer, undefined);
  });

  test('Upgrade and Connection are kept when upgrading (the upstream declining)', async () => {
    const h = await echoed({ Host: 'headers-inspect.test', Connection: 'keep-alive, Upgrade', Upgrade: 'websocket' }, '/get');
    assert.equal(h.connection, 'keep-alive, Upgrade');
    assert.equal(h.upgrade, 'websocket');
  });

  test('Proxy-Authorization set by a plugin reaches the upstream', async () => {
    assert.equal((await echoed({ 'Proxy-Authorization': 'Basic YWxhZGRpbjpvcGVuc2VzYW1l' }, '/proxy-authorization'))['proxy-authorization'], 'Basic ZGVtbzp0ZXN0');
    assert.equal((await echoed({}, '/proxy-authorization'))['proxy-authorization'], 'Basic ZGVtbzp0ZXN0');
    assert.equal((await echoed({ 'Proxy-Authorization': 'Basic ZGVtbzp0ZXN0' }, '/proxy-authorization'))['proxy-authorization'], 'Basic ZGVtbzp0ZXN0');
  });

  test('with the downstream host preserved or discarded, X-Forwarded-* name the client request', async () => {
    const sent = { 'X-Real-IP': '10.0.0.1', 'X-Forwarded-For': '10.0.0.1', 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'example.test', 'X-Forwarded-Port': '80' };
    const kept = await echoed({ Host: 'preserved.test', ...sent });
    assert.equal(kept.host, 'preserved.test');
    const discarded = await echoed({ Host: 'headers-inspect.test', ...sent });
    assert.equal(discarded.host, `127.0.0.1:${up.port}`);
    for (const [h, host] of [[kept, 'preserved.test'], [discarded, 'headers-inspect.test']] as const) {
      assert.equal(h['x-real-ip'], '127.0.0.1');
      assert.equal(h['x-forwarded-for'], '10.0.0.1, 127.0.0.1');
      assert.equal(h['x-forwarded-proto'], 'http');
      assert.equal(h['x-forwarded-host'], host);
      assert.equal(h['x-forwarded-port'], String(node.proxyPort));
      assert.equal(h['x-forwarded-path'], '/');
    }
  });

  test('X-Forwarded-Prefix: the stripped prefix, replacing the client one; none when nothing or only / was stripped', async () => {
    assert.equal((await echoed({ Host: 'prefix.test' }, '/foo'))['x-forwarded-prefix'], '/foo');
    assert.equal((await echoed({ Host: 'prefix.test', 'X-Forwarded-Prefix': '/preserved' }, '/foo'))['x-forwarded-prefix'], '/foo');
    assert.equal((await echoed({ Host: 'prefix.test', 'X-Forwarded-Prefix': '/preserved' }, '/status/200'))['x-forwarded-prefix'], undefined);
    assert.equal((await echoed({ Host: 'prefix-root.test' }, '/'))['x-forwarded-prefix'], undefined);
    assert.equal((await echoed({ Host: 'prefix-root.test', 'X-Forwarded-Path': '/original-path' }, '/'))['x-forwarded-path'], '/');
  });

  test('a Content-Type without charset is passed on as the upstream sent it', async () => {
    const res = await rawRequest(node.proxy, '/nocharset', { headers: { Host: 'headers-inspect.test' } });
    assert.equal(res.headers['content-type'], 'text/plain');
  });

  test('the request id replaces the one a client or a plugin set, upstream and downstream', async () => {
    const h = await echoed({ Host: 'headers-inspect.test', 'X-Tollgate-Request-Id': 'client_value' });
    assert.match(String(h['x-tollgate-request-id']), /^[0-9a-f]{32}$/);
    const access = await echoed({ Host: 'request-id-access.test' });
    assert.match(String(access['x-tollgate-request-id']), /^[0-9a-f]{32}$/, 'a value set in access is replaced');
    const filtered = await rawRequest(node.proxy, '/', { headers: { Host: 'request-id-header-filter.test' } });
    assert.equal(filtered.status, 200);
    assert.match(String(filtered.headers['x-tollgate-request-id']), /^[0-9a-f]{32}$/, 'a value set in header_filter is replaced');
  });

  test('Via names the client protocol upstream (2 for HTTP/2) and is appended to the upstream one downstream', async () => {
    const res = await rawRequest(node.proxy, '/get', { headers: { Host: 'test.via', Via: '1.1 dev' } });
    const token = String((await rawRequest(node.proxy, '/', { headers: { Host: '404.test' } })).headers.server);
    assert.deepEqual(JSON.parse(res.body), { via: `1.1 dev, 1.1 ${token}` });
    assert.equal(res.headers.via, `2 nginx, HTTP/1.1 http_mock, 1.1 ${token}`);
    assert.equal(res.headers.server, 'http-mock');
    const session = connectHttp2(`https://127.0.0.1:${h2Port}`, { rejectUnauthorized: false });
    try {
      const h2 = await h2Get(session, { ':path': '/get', ':authority': 'test.via', via: '1.1 dev' });
      assert.deepEqual(JSON.parse(h2.body), { via: `1.1 dev, 2 ${token}` });
      assert.equal(h2.headers.via, `2 nginx, HTTP/1.1 http_mock, 1.1 ${token}`);
      assert.equal(h2.headers.server, 'http-mock');
    } finally {
      session.close();
    }
  });

  test('a 502 after proxying carries the upstream and proxy latencies, not the response latency', async () => {
    const res = await rawRequest(node.proxy, '/', { headers: { Host: '502.test' } });
    assert.equal(res.status, 502);
    assert.match(String(res.headers['x-tollgate-upstream-latency']), /^\d+$/);
    assert.match(String(res.headers['x-tollgate-proxy-latency']), /^\d+$/);
    assert.equal(res.headers['x-tollgate-response-latency'], undefined);
    assert.match(String(res.headers.via), /^1\.1 /);
  });

  test('an upstream failure is negotiated as Kong’s error handler: Accept, else Content-Type, else error_default_type', async () => {
    const plain = await rawRequest(node.proxy, '/', { headers: { Host: '502.test' } });
    assert.equal(plain.status, 502);
    assert.equal(plain.headers['content-type'], 'text/plain; charset=utf-8', 'error_default_type is text/plain by default');
    assert.equal(plain.body, `An invalid response was received from the upstream server\nrequest_id: ${String(plain.headers['x-tollgate-request-id'])}\n`);
    const byContentType = await rawRequest(node.proxy, '/', { method: 'POST', body: '{}', headers: { Host: '502.test', 'Content-Type': 'application/json' } });
    assert.equal(byContentType.headers['content-type'], 'application/json; charset=utf-8');
    assert.equal((JSON.parse(byContentType.body) as { message: string }).message, 'An invalid response was received from the upstream server');
    const formats: [string, RegExp][] = [
      ['text/html', /^text\/html/],
      ['application/xml', /^application\/xml/],
      ['application/json;q=0.9,text/html,text/plain;q=0.9', /^text\/html/],
      ['text/plain;q=0.7,application/json;q=0.8,text/html;q=0.5', /^application\/json/],
      // A type Kong does not render counts as JSON rather than being skipped.
      ['image/png, text/html;q=0.5', /^application\/json/],
      ['text/*', /^text\/plain/],
    ];
    for (const [accept, type] of formats) {
      const res = await rawRequest(node.proxy, '/', { headers: { Host: '502.test', Accept: accept } });
      assert.match(String(res.headers['content-type']), type, accept);
    }
    const routeMiss = await rawRequest(node.proxy, '/', { headers: { Host: '404.test' } });
    assert.match(String(routeMiss.headers['content-type']), /^application\/json/, "the gateway's own errors (kong.response.error) stay JSON without Accept");
  });

  test('TRACE is refused with 405, and a header line over 8 KiB with 400, before routing', async () => {
    const trace = await rawRequest(node.proxy, '/', { method: 'TRACE', headers: { Host: 'headers-inspect.test' } });
    assert.equal(trace.status, 405);
    assert.equal(trace.headers.server, SERVER_TOKEN);
    assert.match(trace.body, /^Method not allowed\nrequest_id: [0-9a-f]+\n$/);
    const large = await rawRequest(node.proxy, '/', { headers: { Host: 'headers-inspect.test', 'X-Large': 'a'.repeat(10 * 1024) } });
    assert.equal(large.status, 400);
    assert.equal(large.headers.server, SERVER_TOKEN);
    assert.match(large.body, /Request header or cookie too large/);
    const fits = await rawRequest(node.proxy, '/', { headers: { Host: 'headers-inspect.test', 'X-Large': 'a'.repeat(7 * 1024) } });
    assert.equal(fits.status, 200);
  });

  test('the upstream host_header is the Host of every try, retries included', async () => {
    const res = await rawRequest(node.proxy, '/hello');
    assert.equal(res.status, 200);
    assert.equal(res.body, 'foo.com');
  });

  test('Server: the upstream one when proxied, the gateway one otherwise, unless a plugin answers with the gateway in Via', async () => {
    const proxied = await rawRequest(node.proxy, '/get', { headers: { Host: 'headers-inspect.test' } });
    assert.equal(proxied.headers.server, SERVER_TOKEN, 'the upstream sent none: the gateway adds its own only then');
    const none = await rawRequest(node.proxy, '/', { headers: { Host: '404.test' } });
    assert.equal(none.headers.server, SERVER_TOKEN);
    assert.equal(none.headers.via, undefined);
    const short = await rawRequest(node.proxy, '/get', { headers: { Host: 'short-circuit.test' } });
    assert.equal(short.status, 200);
    assert.equal(short.headers.via, SERVER_TOKEN);
    assert.equal(short.headers.server, 'Demo');
    assert.match(String(short.headers['x-tollgate-response-latency']), /^\d+$/, 'a short-circuited answer has the response latency only');
    assert.equal(short.headers['x-tollgate-upstream-latency'], undefined);
    assert.equal(short.headers['x-tollgate-proxy-latency'], undefined);
    const replaced = await rawRequest(node.proxy, '/get', { headers: { Host: 'short-circuit-server.test' } });
    assert.equal(replaced.headers.server, SERVER_TOKEN, "without the gateway's Via, a plugin's answer gets the gateway's Server");
  });
});

/** Kong's fixture templates (spec/fixtures/error_templates), as files. */
const TEMPLATES = {
  html: '<html><body><h1>Custom</h1><p>%s.</p><p>request_id: %s</p></body></html>\n',
  json: '{\n  "custom_template_message":"%s",\n  "request_id":"%s"\n}',
  xml: '<?xml version="1.0" encoding="UTF-8"?>\n<error><custom>%s</custom><requestid>%s</requestid></error>\n',
  plain: 'custom plain template: %s\\n\nrequest_id: %s\\n\n',
};

describe('Kong proxy specs: headers = off, error_default_type = text/html, error templates', () => {
  let up: TestUpstream;
  let node: TollgateNode;
  let deadPort: number;
  const templateDir = mkdtempSync(join(tmpdir(), 'tollgate-error-templates-'));
  const templateEnv: Record<string, string> = {};
  for (const [format, text] of Object.entries(TEMPLATES)) {
    const file = join(templateDir, `error_template.${format}`);
    writeFileSync(file, text);
    templateEnv[`TOLLGATE_ERROR_TEMPLATE_${format.toUpperCase()}`] = file;
  }

  before(async () => {
    up = await startUpstream('echo', (req, res) => {
      req.resume();
      res.writeHead(200, { server: 'upstream-server', 'content-type': 'text/plain' });
      res.end('ok');
    });
    const dead = await startUpstream('dead');
    deadPort = dead.port;
    await dead.close();
    node = await startTollgate({
      // Request ids are off downstream with headers = off; the templates still get them.
      env: { TOLLGATE_HEADERS: 'off', TOLLGATE_HEADERS_UPSTREAM: 'off', TOLLGATE_ERROR_DEFAULT_TYPE: 'text/html', ...templateEnv },
      config: `
_format_version: "3.0"
services:
  - name: echo
    url: http://127.0.0.1:${up.port}
    routes:
      - hosts: [headers-inspect.test]
      - hosts: [short-circuit.test]
        plugins:
          - name: request-termination
            config: { status_code: 200, message: Terminated }
          - name: response-transformer
            config:
              add: { headers: ["Server:Demo"] }
  - name: dead
    url: http://127.0.0.1:${deadPort}
    retries: 0
    routes:
      - hosts: [502.test]
`,
    });
  });

  after(async () => {
    await node?.stop();
    await up?.close();
    rmSync(templateDir, { recursive: true, force: true });
  });

  test('error_template_* files replace the error bodies, filled with the message and the request id', async () => {
    const message = 'An invalid response was received from the upstream server';
    const get = (accept: string) => rawRequest(node.proxy, '/', { headers: { Host: '502.test', Accept: accept } });
    assert.match((await get('text/plain')).body, new RegExp(`^custom plain template: ${message}\\\\n\nrequest_id: [0-9a-f]{32}\\\\n\n$`));
    assert.equal((JSON.parse((await get('application/json')).body) as { custom_template_message: string }).custom_template_message, message);
    assert.match((await get('application/xml')).body, new RegExp(`<custom>${message}</custom><requestid>[0-9a-f]{32}</requestid>`));
    assert.match((await get('application/json;q=0.9,text/html,text/plain;q=0.9')).body, /^<html><body><h1>Custom/);
    const json = await get('text/plain;q=0.7,application/json;q=0.8,text/html;q=0.5');
    assert.equal((JSON.parse(json.body) as { custom_template_message: string }).custom_template_message, message);
    const routeMiss = await rawRequest(node.proxy, '/', { headers: { Host: 'nowhere.test', Accept: 'text/plain' } });
    assert.equal(routeMiss.status, 404);
    assert.match(routeMiss.body, /^custom plain template: no Route matched with those values/, "the gateway's own errors use them too");
  });

  test('the Admin API carries neither Server nor the admin latency', async () => {
    const res = await rawRequest(node.admin, '/');
    assert.equal(res.status, 200);
    assert.equal(res.headers.server, undefined);
    assert.equal(res.headers['x-tollgate-admin-latency'], undefined);
  });

  test('without Accept or Content-Type, an upstream failure is answered in error_default_type; HEAD gets no body', async () => {
    const res = await rawRequest(node.proxy, '/', { headers: { Host: '502.test' } });
    assert.equal(res.status, 502);
    assert.equal(res.headers['content-type'], 'text/html; charset=utf-8');
    assert.match(res.body, /^<html><body><h1>Custom<\/h1><p>An invalid response was received from the upstream server\.<\/p><p>request_id: [0-9a-f]{32}<\/p>/);
    const head = await rawRequest(node.proxy, '/', { method: 'HEAD', headers: { Host: '502.test' } });
    assert.equal(head.status, 502);
    assert.equal(head.body, '');
  });

  test('the upstream Server is forwarded; the gateway adds none of its own headers', async () => {
    const proxied = await rawRequest(node.proxy, '/', { headers: { Host: 'headers-inspect.test' } });
    assert.equal(proxied.headers.server, 'upstream-server');
    assert.equal(proxied.headers.via, undefined);
    assert.equal(proxied.headers['x-tollgate-request-id'], undefined);
    const none = await rawRequest(node.proxy, '/', { headers: { Host: '404.test' } });
    assert.equal(none.status, 404);
    assert.equal(none.headers.server, undefined);
    assert.equal(none.headers['x-tollgate-response-latency'], undefined);
    const short = await rawRequest(node.proxy, '/', { headers: { Host: 'short-circuit.test' } });
    assert.equal(short.headers.server, undefined, "Kong removes a plugin answer's Server when Server is off");
  });
});

describe('Kong proxy specs: X-Kong-Upstream-Status; port_maps', () => {
  let up: TestUpstream;
  let node: TollgateNode;

  before(async () => {
    up = await startUpstream('echo');
    const ports = { proxy: await freePort(), admin: await freePort(), status: await freePort() };
    node = await startTollgate({
      ports,
      env: { TOLLGATE_HEADERS: 'server_tokens,latency_tokens,x-kong-upstream-status', TOLLGATE_PORT_MAPS: `80:${ports.proxy}` },
      config: `
_format_version: "3.0"
services:
  - name: echo
    url: http://127.0.0.1:${up.port}
    routes:
      - hosts: [plain.test]
      - hosts: [cached.test]
        plugins:
          - name: proxy-cache
            config: { strategy: memory, content_type: ["application/json"] }
      - hosts: [auth.test]
        plugins:
          - name: key-auth
`,
    });
  });

  after(async () => {
    await node?.stop();
    await up?.close();
  });

  test('is the upstream status; cache hits keep the one stored; short-circuited answers have none', async () => {
    const plain = await rawRequest(node.proxy, '/status/201', { headers: { Host: 'plain.test' } });
    assert.equal(plain.status, 201);
    assert.equal(plain.headers['x-tollgate-upstream-status'], '201');
    const miss = await rawRequest(node.proxy, '/status/200', { headers: { Host: 'cached.test' } });
    assert.equal(miss.headers['x-cache-status'], 'Miss');
    const hit = await rawRequest(node.proxy, '/status/200', { headers: { Host: 'cached.test' } });
    assert.equal(hit.headers['x-cache-status'], 'Hit');
    assert.equal(hit.headers['x-tollgate-upstream-status'], '200');
    const refused = await rawRequest(node.proxy, '/status/200', { headers: { Host: 'auth.test' } });
    assert.equal(refused.status, 401);
    assert.equal(refused.headers['x-tollgate-upstream-status'], undefined);
  });
  test('the Admin API carries Server and the admin latency by default', async () => {
    const res = await rawRequest(node.admin, '/');
    assert.equal(res.headers.server, SERVER_TOKEN);
    assert.match(String(res.headers['x-tollgate-admin-latency']), /^\d+$/);
  });

  test('with port_maps, X-Forwarded-Port names the port the client reached, whatever the client sent', async () => {
    for (const sent of [{}, { 'X-Forwarded-Port': '81' }]) {
      const res = await rawRequest(node.proxy, '/anything', { headers: { Host: 'plain.test', ...sent } });
      assert.equal((JSON.parse(res.body) as Echo).headers['x-forwarded-port'], '80');
    }
  });
});

/** Kong's max-args fixture plugin: how many headers and arguments the PDK getters return by default. */
const MAX_ARGS_PLUGIN = `
export default {
  schema: { name: 'max-args', config: { type: 'record', fields: {} } },
  handler: {
    name: 'max-args',
    priority: 1000,
    async access(kong) {
      if (kong.request.getPath() === '/error-html') return kong.response.error(403, 'Go away', { 'Content-Type': 'text/html' });
      if (kong.request.getPath() !== '/max-args') return;
      const body = await kong.request.getBody('application/x-www-form-urlencoded');
      kong.response.exit(200, {
        request_headers: Object.keys(kong.request.getHeaders()).length,
        uri_args: Object.keys(kong.request.getQuery()).length,
        post_args: Object.keys(body).length,
        explicit: Object.keys(kong.request.getHeaders(1000)).length,
      });
    },
    header_filter(kong) {
      kong.response.setHeader('X-Response-Headers', String(Object.keys(kong.response.getHeaders()).length));
    },
  },
};
`;

describe('Kong proxy specs: lua_max_* bound what the PDK getters return, not what is proxied', () => {
  let up: TestUpstream;
  let node: TollgateNode;
  const pluginDir = mkdtempSync(join(tmpdir(), 'tollgate-max-args-'));
  const n = 20;
  const query = Array.from({ length: n }, (_, i) => `a${i}=v${i}`).join('&');
  const headers: Record<string, string> = {};
  for (let i = 0; i < n; i++) headers[`x-a${i}`] = `v${i}`;

  before(async () => {
    writeFileSync(join(pluginDir, 'max-args.mjs'), MAX_ARGS_PLUGIN);
    up = await startUpstream('many-headers', (req, res) => {
      req.resume();
      const out: string[] = [];
      for (let i = 0; i < n; i++) out.push(`X-R${i}`, `v${i}`);
      res.writeHead(200, [...out, 'Content-Type', 'application/json']);
      res.end(JSON.stringify({ headers: req.headers, url: req.url }));
    });
    node = await startTollgate({
      env: {
        TOLLGATE_PLUGINS: 'bundled, max-args',
        TOLLGATE_PLUGIN_PATHS: pluginDir,
        TOLLGATE_LUA_MAX_REQ_HEADERS: '10',
        TOLLGATE_LUA_MAX_RESP_HEADERS: '10',
        TOLLGATE_LUA_MAX_URI_ARGS: '10',
        TOLLGATE_LUA_MAX_POST_ARGS: '10',
      },
      config: `
_format_version: "3.0"
services:
  - name: s
    url: http://127.0.0.1:${up.port}
    routes:
      - paths: [/]
        strip_path: false
        plugins:
          - name: max-args
`,
    });
  });

  after(async () => {
    await node?.stop();
    await up?.close();
    rmSync(pluginDir, { recursive: true, force: true });
  });

  test('the getters stop at the setting and log a notice; an explicit bound still wins', async () => {
    const res = await rawRequest(node.proxy, `/max-args?${query}`, {
      method: 'POST',
      body: query,
      headers: { ...headers, 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(res.status, 200, res.body);
    assert.deepEqual(JSON.parse(res.body), { request_headers: 10, uri_args: 10, post_args: 10, explicit: n + 4 });
    await waitUntil(() => /request headers truncated/.test(node.output()) && /uri args truncated/.test(node.output()), 5000, 'the notices');
  });

  test('proxying passes every header and argument; the response getter stops at the setting', async () => {
    const res = await rawRequest(node.proxy, `/proxy?${query}`, { headers });
    assert.equal(res.status, 200);
    const echo = JSON.parse(res.body) as { headers: Record<string, string>; url: string };
    for (let i = 0; i < n; i++) assert.equal(echo.headers[`x-a${i}`], `v${i}`);
    assert.equal(echo.url, `/proxy?${query}`);
    for (let i = 0; i < n; i++) assert.equal(res.headers[`x-r${i}`], `v${i}`);
    assert.equal(res.headers['x-response-headers'], '10');
    await waitUntil(() => /response headers truncated/.test(node.output()), 5000, 'the notice');
  });
  test('kong.response.error renders the format of the Content-Type the plugin gave, whatever Accept says', async () => {
    const html = await rawRequest(node.proxy, '/error-html', { headers: { Accept: 'application/json' } });
    assert.equal(html.status, 403);
    assert.equal(html.headers['content-type'], 'text/html', 'the plugin’s header, not a second one');
    assert.match(html.body, /<p>Go away\.<\/p>/);
  });
});

describe('allow_debug_header', () => {
  let up: TestUpstream;
  let node: TollgateNode;
  let bare: TollgateNode;
  const config = (port: number) => `_format_version: "3.0"
services:
- name: debug-svc
  url: http://127.0.0.1:${port}
  routes:
  - name: debug-route
    paths: [/debug]
  - name: locked
    paths: [/locked]
    plugins:
    - name: key-auth
`;
  before(async () => {
    up = await startUpstream('debug-up');
    node = await startTollgate({ config: config(up.port), env: { TOLLGATE_ALLOW_DEBUG_HEADER: 'on' } });
    bare = await startTollgate({ config: config(up.port) });
  });
  after(async () => {
    await Promise.all([node?.stop(), bare?.stop()]);
    await up?.close();
  });

  test('a Kong-Debug request gets the route and service named, proxied or answered by a plugin', async () => {
    const proxied = await rawRequest(node.proxy, '/debug', { headers: { 'kong-debug': '1' } });
    assert.equal(proxied.status, 200);
    assert.equal(proxied.headers['kong-route-name'], 'debug-route');
    assert.equal(proxied.headers['kong-service-name'], 'debug-svc');
    assert.match(String(proxied.headers['kong-route-id']), /^[0-9a-f-]{36}$/);
    assert.match(String(proxied.headers['kong-service-id']), /^[0-9a-f-]{36}$/);
    const refused = await rawRequest(node.proxy, '/locked', { headers: { 'kong-debug': '1' } });
    assert.equal(refused.status, 401);
    assert.equal(refused.headers['kong-route-name'], 'locked');
    assert.equal(refused.headers['kong-service-name'], 'debug-svc');
  });

  test('without the header, or with the setting off, nothing is added', async () => {
    assert.equal((await rawRequest(node.proxy, '/debug')).headers['kong-route-id'], undefined);
    assert.equal((await rawRequest(bare.proxy, '/debug', { headers: { 'kong-debug': '1' } })).headers['kong-route-id'], undefined);
  });
});
