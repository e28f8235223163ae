/**
 * The proxy's upstream client against real servers on loopback: raw TCP servers where the exact bytes on the
 * wire matter (framing, keep-alive, broken answers), `node:http` and `node:https` servers for bodies and TLS.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer, type Socket } from 'node:net';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { UPSTREAM_ERRORS, UpstreamPool, type UpstreamController, type UpstreamHandler, type UpstreamPoolOptions, type UpstreamRequest } from './upstream-pool.ts';
import { onRequestHeads } from '../../test/helpers/raw-http.ts';

interface Outcome {
  status: number;
  rawHeaders: string[];
  statusMessage: string;
  body: string;
  error: (Error & { code?: string }) | null;
  /** Terminal callbacks seen: must always be exactly 1. */
  ends: number;
  /** Interim (1xx) heads seen by the handler. */
  heads: number;
}

/** Collects one call's callbacks; `done` resolves at its end or error. */
class Collector implements UpstreamHandler {
  readonly outcome: Outcome = { status: 0, rawHeaders: [], statusMessage: '', body: '', error: null, ends: 0, heads: 0 };
  controller: UpstreamController | null = null;
  readonly chunks: Buffer[] = [];
  readonly done: Promise<Outcome>;
  #resolve!: (o: Outcome) => void;
  onData: ((controller: UpstreamController, chunk: Buffer) => void) | null = null;

  constructor() {
    this.done = new Promise((resolve) => (this.#resolve = resolve));
  }
  onRequestStart(controller: UpstreamController): void {
    this.controller = controller;
  }
  onResponseStart(_c: UpstreamController, status: number, rawHeaders: string[], statusMessage: string): void {
    this.outcome.heads++;
    this.outcome.status = status;
    this.outcome.rawHeaders = rawHeaders;
    this.outcome.statusMessage = statusMessage;
  }
  onResponseData(c: UpstreamController, chunk: Buffer): void {
    this.chunks.push(chunk);
    this.onData?.(c, chunk);
  }
  onResponseEnd(): void {
    this.outcome.ends++;
    this.outcome.body = Buffer.concat(this.chunks).toString();
    this.#resolve(this.outcome);
  }
  onResponseError(_c: UpstreamController, error: Error): void {
    this.outcome.ends++;
    this.outcome.error = error;
    this.outcome.body = Buffer.concat(this.chunks).toString();
    this.#resolve(this.outcome);
  }
}

function request(overrides: Partial<UpstreamRequest> = {}): UpstreamRequest {
  return { method: 'GET', path: '/', headers: ['host', 'upstream'], body: null, trusted: true, headersTimeout: 0, bodyTimeout: 0, ...overrides };
}

const pools: UpstreamPool[] = [];
function pool(port: number, overrides: Partial<UpstreamPoolOptions> = {}): UpstreamPool {
  const p = new UpstreamPool({
    host: '127.0.0.1',
    port,
    tls: false,
    servername: null,
    rejectUnauthorized: true,
    connectTimeout: 2000,
    maxIdle: 16,
    idleTimeout: 60_000,
    maxRequests: 0,
    ...overrides,
  });
  pools.push(p);
  return p;
}

async function send(p: UpstreamPool, overrides: Partial<UpstreamRequest> = {}): Promise<Outcome> {
  const c = new Collector();
  p.dispatch(request(overrides), c);
  const outcome = await c.done;
  // A second terminal callback would arrive after the first; give it the chance to show up.
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(outcome.ends, 1, 'exactly one of onResponseEnd/onResponseError');
  return outcome;
}

/** A raw TCP upstream: `respond` sees each request head (up to the blank line) and writes what it likes. */
interface RawUpstream {
  port: number;
  connections: number;
  heads: string[];
  sockets: Set<Socket>;
  close(): Promise<void>;
}

const servers: { close(): Promise<void> }[] = [];

async function rawUpstream(respond: (socket: Socket, head: string, index: number) => void): Promise<RawUpstream> {
  const state: RawUpstream = { port: 0, connections: 0, heads: [], sockets: new Set(), close: async () => {} };
  const server: TcpServer = createTcpServer((socket) => {
    state.connections++;
    state.sockets.add(socket);
    socket.on('close', () => state.sockets.delete(socket));
    socket.on('error', () => {});
    onRequestHeads(socket, (head) => {
      state.heads.push(head);
      respond(socket, head, state.heads.length);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.port = (server.address() as AddressInfo).port;
  state.close = () =>
    new Promise((resolve) => {
      for (const s of state.sockets) s.destroy();
      server.close(() => resolve());
    });
  servers.push(state);
  return state;
}

const OK = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Mixed-Case: Yes\r\n\r\nok';

after(async () => {
  for (const p of pools) p.destroy();
  await Promise.all(servers.map((s) => s.close()));
});

describe('upstream client: framing', { timeout: 20_000 }, () => {
  it('sends one head with the headers given, keeps the response header case and reuses the connection', async () => {
    const up = await rawUpstream((socket) => socket.write(OK));
    const p = pool(up.port);
    const first = await send(p, { path: '/a?b=1', headers: ['host', 'example.test', 'X-One', '1'] });
    const second = await send(p);
    assert.equal(first.status, 200);
    assert.equal(first.statusMessage, 'OK');
    assert.equal(first.body, 'ok');
    assert.deepEqual(first.rawHeaders, ['Content-Length', '2', 'X-Mixed-Case', 'Yes']);
    assert.equal(second.body, 'ok');
    assert.equal(up.connections, 1, 'the second request reused the connection');
    assert.equal(up.heads[0], 'GET /a?b=1 HTTP/1.1\r\nhost: example.test\r\nX-One: 1\r\nconnection: keep-alive');
  });

  it('decodes chunked bodies and delivers more header lines than the parser buffers at once', async () => {
    const many = Array.from({ length: 40 }, (_, i) => `X-H${i}: v${i}\r\n`).join('');
    const up = await rawUpstream((socket) => socket.write(`HTTP/1.1 200 OK\r\n${many}Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n`));
    const o = await send(pool(up.port));
    assert.equal(o.body, 'abcde');
    assert.equal(o.rawHeaders.length, 82);
    assert.equal(o.rawHeaders[78], 'X-H39');
  });

  it('reads a response without length until the upstream closes, and does not reuse that connection', async () => {
    const up = await rawUpstream((socket) => socket.end('HTTP/1.1 200 OK\r\n\r\nuntil close'));
    const p = pool(up.port);
    assert.equal((await send(p)).body, 'until close');
    assert.equal((await send(p)).body, 'until close');
    assert.equal(up.connections, 2);
  });

  it('closes connections the upstream answers with Connection: close', async () => {
    const up = await rawUpstream((socket) => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 1\r\nConnection: close\r\n\r\nx'));
    const p = pool(up.port);
    await send(p);
    await send(p);
    assert.equal(up.connections, 2);
    assert.equal(p.size, 0);
  });

  it('does not wait for a body after HEAD, and the connection stays usable', async () => {
    const up = await rawUpstream((socket, head) =>
      socket.write(head.startsWith('HEAD') ? 'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n' : OK),
    );
    const p = pool(up.port);
    const head = await send(p, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.body, '');
    assert.equal((await send(p)).body, 'ok');
    assert.equal(up.connections, 1);
  });

  it('skips interim 1xx responses and reports the final one', async () => {
    const up = await rawUpstream((socket) => socket.write(`HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n${OK}`));
    const o = await send(pool(up.port));
    assert.equal(o.status, 200);
    assert.equal(o.heads, 1);
    assert.equal(o.body, 'ok');
  });

  it('announces an empty body for POST without one, and sends no length for GET', async () => {
    const up = await rawUpstream((socket) => socket.write(OK));
    const p = pool(up.port);
    await send(p, { method: 'POST' });
    await send(p);
    assert.match(up.heads[0], /\r\ncontent-length: 0$/);
    assert.doesNotMatch(up.heads[1], /content-length/i);
  });

  it('reports an invalid response as TOLLGATE_BAD_RESPONSE and drops the connection', async () => {
    const up = await rawUpstream((socket) => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok'));
    const p = pool(up.port);
    const o = await send(p);
    assert.equal(o.error?.code, UPSTREAM_ERRORS.badResponse);
    assert.equal(p.size, 0);
  });

  it('reports a body cut short by the upstream as TOLLGATE_UPSTREAM_CLOSED', async () => {
    const up = await rawUpstream((socket) => socket.end('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort'));
    const o = await send(pool(up.port));
    assert.equal(o.status, 200);
    assert.equal(o.error?.code, UPSTREAM_ERRORS.closed);
  });

  it('reports options the socket layer refuses as an error of the call', async () => {
    const o = await send(pool(65_536));
    assert.equal(o.error?.code, 'ERR_SOCKET_BAD_PORT');
  });

  it('passes connection errors on with their code', async () => {
    const up = await rawUpstream(() => {});
    const port = up.port;
    await up.close();
    servers.splice(servers.indexOf(up), 1);
    const o = await send(pool(port));
    assert.equal(o.error?.code, 'ECONNREFUSED');
  });
});

describe('upstream client: reuse and retry', { timeout: 20_000 }, () => {
  it('sends an idempotent request again, once, when a reused connection closes without an answer', async () => {
    // Answers the first request of each connection, then closes the connection when the next one arrives.
    const up = await rawUpstream((socket, _head, index) => {
      if (up.heads.length === 2 && index === 2) socket.destroy();
      else socket.write(OK);
    });
    const p = pool(up.port);
    assert.equal((await send(p)).body, 'ok');
    const retried = await send(p);
    assert.equal(retried.body, 'ok');
    assert.equal(up.connections, 2);
    assert.equal(up.heads.length, 3);
  });

  it('does not send a POST twice: the caller gets TOLLGATE_UPSTREAM_CLOSED', async () => {
    const up = await rawUpstream((socket, _head, index) => {
      if (index === 2) socket.destroy();
      else socket.write(OK);
    });
    const p = pool(up.port);
    await send(p, { method: 'POST' });
    const o = await send(p, { method: 'POST' });
    assert.equal(o.error?.code, UPSTREAM_ERRORS.closed);
    assert.equal(up.heads.length, 2);
  });

  it('keeps at most maxIdle connections and closes idle ones after idleTimeout', async () => {
    const up = await rawUpstream((socket) => setTimeout(() => socket.write(OK), 30));
    const p = pool(up.port, { maxIdle: 2, idleTimeout: 300 });
    await Promise.all([send(p), send(p), send(p), send(p)]);
    assert.equal(up.connections, 4);
    assert.equal(p.size, 2, 'two of four connections kept');
    const start = Date.now();
    while (p.size > 0 && Date.now() - start < 3000) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(p.size, 0, 'idle connections closed after the idle timeout');
    assert.ok(Date.now() - start >= 200);
  });

  it("closes an idle connection before the upstream's Keep-Alive timeout", async () => {
    const up = await rawUpstream((socket) => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nKeep-Alive: timeout=1\r\n\r\nok'));
    const p = pool(up.port);
    await send(p);
    // timeout=1 less the 1 s margin: not kept at all.
    assert.equal(p.size, 0);
    const up2 = await rawUpstream((socket) => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nkeep-alive: max=5, timeout=2\r\n\r\nok'));
    const p2 = pool(up2.port);
    await send(p2);
    assert.equal(p2.size, 1);
    const start = Date.now();
    while (p2.size > 0 && Date.now() - start < 3000) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(p2.size, 0);
    assert.ok(Date.now() - start >= 800 && Date.now() - start < 1500, `closed after ${Date.now() - start} ms`);
  });

  it('with maxIdle 0 asks for Connection: close and keeps nothing', async () => {
    const up = await rawUpstream((socket) => socket.write(OK));
    const p = pool(up.port, { maxIdle: 0 });
    await send(p);
    await send(p);
    assert.equal(up.connections, 2);
    assert.match(up.heads[0], /\r\nconnection: close$/);
  });

  it('closes a connection after maxRequests requests, announcing it on the last one', async () => {
    const up = await rawUpstream((socket) => socket.write(OK));
    const p = pool(up.port, { maxRequests: 2 });
    for (let i = 0; i < 4; i++) await send(p);
    assert.equal(up.connections, 2);
    assert.match(up.heads[0], /connection: keep-alive$/);
    assert.match(up.heads[1], /connection: close$/);
  });
});

describe('upstream client: timeouts, aborts and backpressure', { timeout: 20_000 }, () => {
  it('times out waiting for the response head', async () => {
    const up = await rawUpstream(() => {});
    const start = performance.now();
    const o = await send(pool(up.port), { headersTimeout: 300 });
    const took = performance.now() - start;
    assert.equal(o.error?.code, UPSTREAM_ERRORS.headersTimeout);
    assert.ok(took >= 290 && took < 1500, `took ${took} ms`);
  });

  it('starts the wait for the response head once the request body has been sent', async () => {
    const up = createHttpServer((req, res) => {
      req.resume();
      req.on('end', () => res.end('got it'));
    });
    await new Promise<void>((resolve) => up.listen(0, '127.0.0.1', resolve));
    servers.push({ close: () => new Promise((resolve) => { up.closeAllConnections(); up.close(() => resolve()); }) });
    // Three chunks over 600 ms: longer than the 300 ms head timeout, which must not count the upload.
    const slowBody = new Readable({ read() {} });
    let sent = 0;
    const timer = setInterval(() => {
      slowBody.push(Buffer.from('x'));
      if (++sent === 3) {
        clearInterval(timer);
        slowBody.push(null);
      }
    }, 200);
    const o = await send(pool((up.address() as AddressInfo).port), { method: 'POST', body: slowBody, headersTimeout: 300 });
    assert.equal(o.error, null);
    assert.equal(o.body, 'got it');
  });

  it('times out between two reads of the body, not over the whole body', async () => {
    // 6 bytes, one every 100 ms: slower than 300 ms in all, never 300 ms apart.
    const slow = await rawUpstream((socket) => {
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\n');
      let sent = 0;
      const timer = setInterval(() => {
        socket.write('x');
        if (++sent === 6) clearInterval(timer);
      }, 100);
      socket.on('close', () => clearInterval(timer));
    });
    const ok = await send(pool(slow.port), { bodyTimeout: 300 });
    assert.equal(ok.body, 'xxxxxx');
    const stalled = await rawUpstream((socket) => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nxx'));
    const o = await send(pool(stalled.port), { bodyTimeout: 300 });
    assert.equal(o.error?.code, UPSTREAM_ERRORS.bodyTimeout);
    assert.equal(o.body, 'xx');
  });

  it('times out a connection whose TLS handshake never completes', async () => {
    const silent = await rawUpstream(() => {});
    const start = performance.now();
    const o = await send(pool(silent.port, { tls: true, connectTimeout: 300, rejectUnauthorized: false }));
    assert.equal(o.error?.code, UPSTREAM_ERRORS.connectTimeout);
    assert.ok(performance.now() - start < 1500);
  });

  it('abort ends the call once, closes its connection and stops its callbacks', async () => {
    const up = await rawUpstream((socket) => {
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nfirst');
      setTimeout(() => socket.write('more'), 100);
    });
    const p = pool(up.port);
    const c = new Collector();
    c.onData = (controller) => controller.abort(Object.assign(new Error('stop'), { code: 'TEST_ABORT' }));
    p.dispatch(request(), c);
    const o = await c.done;
    await new Promise((resolve) => setTimeout(resolve, 250));
    assert.equal(o.error?.code, 'TEST_ABORT');
    assert.equal(o.ends, 1);
    assert.equal(c.chunks.length, 1, 'no data after the abort');
    assert.equal(p.size, 0);
  });

  it('pause stops the body until resume', async () => {
    const up = await rawUpstream((socket) => {
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nabc');
      setTimeout(() => socket.write('def'), 50);
    });
    const c = new Collector();
    let paused = 0;
    c.onData = (controller) => {
      if (paused++ > 0) return;
      controller.pause();
      setTimeout(() => controller.resume(), 300);
    };
    const start = performance.now();
    pool(up.port).dispatch(request(), c);
    const o = await c.done;
    assert.equal(o.body, 'abcdef');
    assert.ok(performance.now() - start >= 280, 'the second chunk waited for resume');
  });
});

describe('upstream client: request bodies, validation and TLS', { timeout: 20_000 }, () => {
  let http: HttpServer;
  let httpPort = 0;
  const seen: { headers: Record<string, string | string[] | undefined>; body: string }[] = [];

  it('streams a body with its Content-Length as is, and one without length chunked', async () => {
    http = createHttpServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.push({ headers: req.headers, body: Buffer.concat(chunks).toString() });
        res.end('stored');
      });
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    httpPort = (http.address() as AddressInfo).port;
    servers.push({ close: () => new Promise((resolve) => { http.closeAllConnections(); http.close(() => resolve()); }) });
    const p = pool(httpPort);
    const sized = await send(p, { method: 'PUT', headers: ['host', 'h', 'content-length', '11'], body: Readable.from([Buffer.from('hello '), Buffer.from('world')]) });
    assert.equal(sized.body, 'stored');
    const big = Buffer.alloc(3 * 1024 * 1024, 97);
    const chunked = await send(p, { method: 'POST', body: Readable.from([big, Buffer.from('!')]) });
    assert.equal(chunked.body, 'stored');
    assert.equal(seen[0].body, 'hello world');
    assert.equal(seen[0].headers['content-length'], '11');
    assert.equal(seen[1].headers['transfer-encoding'], 'chunked');
    assert.equal(seen[1].body.length, big.length + 1);
  });

  it('checks headers it cannot trust and sends nothing when one is invalid', async () => {
    const up = await rawUpstream((socket) => socket.write(OK));
    const p = pool(up.port);
    const badValue = await send(p, { trusted: false, headers: ['host', 'h', 'X-Evil', 'a\r\nInjected: 1'] });
    assert.equal(badValue.error?.code, UPSTREAM_ERRORS.badRequest);
    const badName = await send(p, { trusted: false, headers: ['host', 'h', 'Bad Name', 'v'] });
    assert.equal(badName.error?.code, UPSTREAM_ERRORS.badRequest);
    const badPath = await send(p, { path: '/a b' });
    assert.equal(badPath.error?.code, UPSTREAM_ERRORS.badRequest);
    assert.equal(up.connections, 0);
    assert.equal((await send(p, { trusted: false, headers: ['host', 'h', 'X-Fine', 'ok'] })).body, 'ok');
  });

  it('speaks TLS, verifying the certificate only when asked', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-upstream-tls-'));
    try {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=upstream.test', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
      const https = createHttpsServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (_req, res) => res.end('secure'));
      await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve));
      servers.push({ close: () => new Promise((resolve) => { https.closeAllConnections(); https.close(() => resolve()); }) });
      const port = (https.address() as AddressInfo).port;
      const relaxedPool = pool(port, { tls: true, servername: 'upstream.test', rejectUnauthorized: false, maxIdle: 0 });
      const relaxed = await send(relaxedPool);
      assert.equal(relaxed.body, 'secure');
      // Without keep-alive the second request needs a new connection, which resumes the first one's session.
      let resumed = false;
      https.once('secureConnection', (socket) => (resumed = socket.isSessionReused()));
      assert.equal((await send(relaxedPool)).body, 'secure');
      assert.ok(resumed, 'the second connection resumed the TLS session');
      const strict = await send(pool(port, { tls: true, servername: 'upstream.test', rejectUnauthorized: true }));
      assert.equal(strict.error?.code, 'DEPTH_ZERO_SELF_SIGNED_CERT');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('close() lets the busy connection finish, then resolves', async () => {
    const up = await rawUpstream((socket) => setTimeout(() => socket.write(OK), 100));
    const p = pool(up.port);
    const pending = send(p);
    await new Promise((resolve) => setTimeout(resolve, 20));
    let closed = false;
    const closing = p.close().then(() => (closed = true));
    assert.equal((await pending).body, 'ok');
    await closing;
    assert.ok(closed);
    assert.equal((await send(p)).error?.code, UPSTREAM_ERRORS.badRequest, 'a closed pool takes no new requests');
  });
});
