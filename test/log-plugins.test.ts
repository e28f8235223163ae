/**
 * The log plugins through a real node and real receivers started here: an HTTP collector (records, batching,
 * headers, basic auth from the endpoint's user info, retries after a 500, and a collector that accepts
 * connections and never answers — the proxy keeps answering and the queue drops and says so once), a file
 * (with reopen after a rename), TCP and UDP listeners, a Unix datagram socket standing in for the syslog daemon
 * (a small python3 program: Node.js cannot receive Unix datagrams), Loggly's syslog-over-UDP format, StatsD
 * in every tag style, bad configurations refused naming the field, and the JSON access log.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createServer as createTlsServer } from 'node:tls';
import { createServer as createHttpsServer } from 'node:https';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTollgate, waitUntil, type TollgateNode } from './helpers/tollgate.ts';
import { startUpstream, type TestUpstream } from './helpers/upstream.ts';

interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

interface Collector {
  port: number;
  seen: Received[];
  close(): Promise<void>;
}

/** An HTTP collector: `/flaky` answers 500 to its first two requests, everything else 200. */
async function startCollector(): Promise<Collector> {
  const seen: Received[] = [];
  let flaky = 0;
  const server = createHttpServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      if (req.url === '/flaky' && ++flaky <= 2) {
        res.writeHead(500).end('collector broken');
        return;
      }
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    seen,
    close: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}

/** A collector that accepts connections, reads, and never answers. */
async function startDeadCollector(): Promise<{ port: number; sockets: Socket[]; close(): Promise<void> }> {
  const sockets: Socket[] = [];
  const server: Server = createTcpServer((s) => {
    sockets.push(s);
    s.on('data', () => {});
    s.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    sockets,
    close: () => new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    }),
  };
}

async function startTcpListener(): Promise<{ port: number; lines: () => string[]; close(): Promise<void> }> {
  let data = '';
  const sockets: Socket[] = [];
  const server = createTcpServer((s) => {
    sockets.push(s);
    s.setEncoding('utf8');
    s.on('data', (c: string) => (data += c));
    s.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    lines: () => data.split('\n').filter((l) => l !== ''),
    close: () => new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    }),
  };
}

/** A self-signed certificate for the TLS collectors (the log plugins do not verify it, as Kong's). */
function selfSigned(dir: string): { key: string; cert: string } {
  const key = join(dir, 'collector.key');
  const cert = join(dir, 'collector.crt');
  if (!existsSync(cert)) {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2', '-subj', '/CN=logs.example', '-keyout', key, '-out', cert], { stdio: 'ignore' });
  }
  return { key, cert };
}

/** An HTTPS collector recording what it receives. */
async function startHttpsCollector(dir: string): Promise<{ port: number; bodies: string[]; close(): Promise<void> }> {
  const { key, cert } = selfSigned(dir);
  const bodies: string[] = [];
  const server = createHttpsServer({ key: readFileSync(key), cert: readFileSync(cert) }, (req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      bodies.push(body);
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    bodies,
    close: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}

/** A TLS listener with a self-signed certificate, recording the SNI each connection sent. */
async function startTlsListener(dir: string): Promise<{ port: number; lines: () => string[]; servernames: (string | false | null)[]; close(): Promise<void> }> {
  const { key, cert } = selfSigned(dir);
  let data = '';
  const servernames: (string | false | null)[] = [];
  const sockets: Socket[] = [];
  const server = createTlsServer({ key: readFileSync(key), cert: readFileSync(cert) }, (s) => {
    sockets.push(s);
    servernames.push(s.servername);
    s.setEncoding('utf8');
    s.on('data', (c: string) => (data += c));
    s.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    lines: () => data.split('\n').filter((l) => l !== ''),
    servernames,
    close: () => new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    }),
  };
}

async function startUdpListener(): Promise<{ port: number; messages: string[]; close(): void }> {
  const messages: string[] = [];
  const socket: UdpSocket = createSocket('udp4');
  socket.on('message', (m) => messages.push(m.toString('utf8')));
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  return { port: socket.address().port, messages, close: () => socket.close() };
}

/** A Unix datagram socket receiver (python3: Node.js has no Unix datagram sockets); prints each datagram as JSON. */
async function startUnixDgram(path: string): Promise<{ messages: string[]; stop(): void }> {
  const script = [
    'import socket, sys, json',
    's = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)',
    `s.bind(${JSON.stringify(path)})`,
    'print("ready", flush=True)',
    'while True:',
    '    print(json.dumps(s.recv(262144).decode("utf-8", "replace")), flush=True)',
  ].join('\n');
  const proc: ChildProcess = spawn('python3', ['-c', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const messages: string[] = [];
  let buffer = '';
  let ready = false;
  proc.stdout!.setEncoding('utf8');
  proc.stdout!.on('data', (c: string) => {
    buffer += c;
    let nl: number;
    while ((nl = buffer.indexOf('\n')) !== -1) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      if (line === 'ready') ready = true;
      else messages.push(JSON.parse(line) as string);
    }
  });
  await waitUntil(() => ready, 20_000, 'the Unix datagram receiver');
  return { messages, stop: () => proc.kill() };
}

async function get(node: TollgateNode, path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; body: string }> {
  const res = await fetch(`${node.proxy}${path}`, { headers });
  return { status: res.status, headers: res.headers, body: await res.text() };
}

async function validate(node: TollgateNode, name: string, config: Record<string, unknown>): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${node.admin}/schemas/plugins/validate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name, config }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

function route(name: string, path: string, plugins: unknown[]): Record<string, unknown> {
  return { name, paths: [path], plugins };
}

describe('log plugins through a real node', () => {
  let up: TestUpstream;
  let collector: Collector;
  let dead: Awaited<ReturnType<typeof startDeadCollector>>;
  let tcp: Awaited<ReturnType<typeof startTcpListener>>;
  let tlsCollector: Awaited<ReturnType<typeof startTlsListener>>;
  let httpsCollector: Awaited<ReturnType<typeof startHttpsCollector>>;
  let udp: Awaited<ReturnType<typeof startUdpListener>>;
  let loggly: Awaited<ReturnType<typeof startUdpListener>>;
  const statsd: Record<string, Awaited<ReturnType<typeof startUdpListener>>> = {};
  let syslog: Awaited<ReturnType<typeof startUnixDgram>>;
  let dir: string;
  let node: TollgateNode;
  const styles = ['plain', 'dogstatsd', 'influxdb', 'librato', 'signalfx'];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tg-log-plugins-'));
    up = await startUpstream('log-up');
    collector = await startCollector();
    dead = await startDeadCollector();
    tcp = await startTcpListener();
    tlsCollector = await startTlsListener(dir);
    httpsCollector = await startHttpsCollector(dir);
    udp = await startUdpListener();
    loggly = await startUdpListener();
    for (const s of styles) statsd[s] = await startUdpListener();
    syslog = await startUnixDgram(join(dir, 'log.sock'));
    const c = `http://127.0.0.1:${collector.port}`;
    const routes = [
      route('http', '/http', [{
        name: 'http-log',
        config: {
          http_endpoint: `http://logger:s3cret@127.0.0.1:${collector.port}/one`,
          method: 'PUT',
          headers: { 'X-Collector-Token': 'abc' },
          custom_fields: { 'tenant.id': '$(headers.x_tenant)', 'team': 'payments', 'seen.route': '$(record.route.name)', 'seen.method': '$(record.request.method)' },
        },
      }]),
      route('https', '/https', [{ name: 'http-log', config: { http_endpoint: `https://127.0.0.1:${httpsCollector.port}/secure`, content_type: 'application/json; charset=utf-8' } }]),
      route('batch', '/batch', [{ name: 'http-log', config: { http_endpoint: `${c}/batch`, queue: { max_batch_size: 3, max_coalescing_delay: 3600 } } }]),
      route('legacy', '/legacy', [{ name: 'http-log', config: { http_endpoint: `${c}/legacy`, queue_size: 2, flush_timeout: 3600 } }]),
      route('retry', '/retry', [{ name: 'http-log', config: { http_endpoint: `${c}/flaky`, queue: { initial_retry_delay: 0.01, max_retry_delay: 0.05 } } }]),
      route('dead', '/dead', [{ name: 'http-log', config: { http_endpoint: `http://127.0.0.1:${dead.port}/`, timeout: 600000, queue: { max_entries: 5 } } }]),
      route('file', '/file', [{ name: 'file-log', config: { path: join(dir, 'requests.log'), reopen: true, custom_fields: { where: 'file' } } }]),
      route('tcp', '/tcp', [{ name: 'tcp-log', config: { host: '127.0.0.1', port: tcp.port } }]),
      route('tls', '/tls', [{ name: 'tcp-log', config: { host: '127.0.0.1', port: tlsCollector.port, tls: true, tls_sni: 'logs.example' } }]),
      route('udp', '/udp', [{ name: 'udp-log', config: { host: '127.0.0.1', port: udp.port } }]),
      route('exit', '/exit', [
        { name: 'request-termination', config: { status_code: 403, message: 'go away' } },
        { name: 'udp-log', config: { host: '127.0.0.1', port: udp.port } },
      ]),
      route('syslog', '/syslog', [{ name: 'syslog', config: { facility: 'local0', log_level: 'info', successful_severity: 'info', client_errors_severity: 'warning', server_errors_severity: 'crit' } }]),
      route('syslog-quiet', '/quiet', [{ name: 'syslog', config: { log_level: 'err', successful_severity: 'info' } }]),
      route('loggly', '/loggly', [{ name: 'loggly', config: { host: '127.0.0.1', port: loggly.port, key: 'TOKEN123', tags: ['kong', 'edge'] } }]),
      ...styles.map((s) =>
        route(`statsd-${s}`, `/statsd-${s}`, [{
          name: 'statsd',
          config: {
            host: '127.0.0.1',
            port: statsd[s].port,
            ...(s === 'plain' ? { udp_packet_size: 1000 } : { tag_style: s }),
            metrics: [
              { name: 'request_count', stat_type: 'counter', sample_rate: 1 },
              { name: 'latency', stat_type: 'timer' },
              { name: 'status_count', stat_type: 'counter', sample_rate: 1 },
            ],
          },
        }]),
      ),
    ];
    const config = JSON.stringify({
      _format_version: '3.0',
      services: [{ name: 'log.svc', url: `http://127.0.0.1:${up.port}`, routes }],
    });
    node = await startTollgate({ config, env: { TOLLGATE_SYSLOG_SOCKET: join(dir, 'log.sock') } });
  });

  after(async () => {
    await node?.stop();
    syslog?.stop();
    for (const s of Object.values(statsd)) s.close();
    udp?.close();
    loggly?.close();
    await tcp?.close();
    await tlsCollector?.close();
    await httpsCollector?.close();
    await dead?.close();
    await collector?.close();
    await up?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("http-log sends Kong's record with the configured method, headers, basic auth and custom fields", async () => {
    const res = await get(node, '/http/x?a=1', { 'x-tenant': 'acme', authorization: 'Bearer secret-token' });
    assert.equal(res.status, 200);
    await waitUntil(() => collector.seen.some((r) => r.url === '/one'), 20_000, 'the http-log entry');
    const got = collector.seen.find((r) => r.url === '/one')!;
    assert.equal(got.method, 'PUT');
    assert.equal(got.headers['content-type'], 'application/json');
    assert.equal(got.headers.authorization, `Basic ${Buffer.from('logger:s3cret').toString('base64')}`);
    assert.equal(got.headers['x-collector-token'], 'abc');
    const record = JSON.parse(got.body) as Record<string, any>;
    assert.ok(!Array.isArray(record), 'max_batch_size 1 sends an object');
    assert.equal(record.request.method, 'GET');
    assert.equal(record.request.uri, '/http/x?a=1');
    assert.equal(record.request.url, `http://127.0.0.1:${node.proxyPort}/http/x?a=1`);
    assert.deepEqual(record.request.querystring, { a: '1' });
    assert.equal(record.request.headers.authorization, 'REDACTED');
    assert.equal(record.request.id, res.headers.get('x-tollgate-request-id') ?? record.request.id);
    assert.equal(typeof record.request.size, 'number');
    assert.equal(record.response.status, 200);
    assert.equal(typeof record.response.size, 'number');
    assert.equal(typeof record.response.headers, 'object');
    assert.equal(record.upstream_uri, '/x?a=1', 'strip_path');
    assert.equal(record.upstream_status, '200');
    for (const k of ['request', 'kong', 'proxy', 'receive']) assert.equal(typeof record.latencies[k], 'number', k);
    assert.equal(record.client_ip, '127.0.0.1');
    assert.equal(typeof record.started_at, 'number');
    assert.equal(record.service.name, 'log.svc');
    assert.equal(record.route.name, 'http');
    assert.equal(record.workspace, '00000000-0000-0000-0000-000000000000');
    assert.equal(record.source, 'upstream');
    assert.equal(record.tries.length, 1);
    assert.deepEqual(record.tenant, { id: 'acme' });
    assert.equal(record.team, 'payments');
    assert.deepEqual(record.seen, { route: 'http', method: 'GET' });
    assert.doesNotMatch(node.output(), /s3cret/, 'the endpoint password never reaches the logs');
  });

  test('http-log sends to an HTTPS collector', async () => {
    assert.equal((await get(node, '/https/1')).status, 200);
    await waitUntil(() => httpsCollector.bodies.length >= 1, 20_000, 'the HTTPS entry');
    assert.equal((JSON.parse(httpsCollector.bodies[0]) as { request: { uri: string } }).request.uri, '/https/1');
  });

  test('http-log batches into a JSON array when max_batch_size > 1; legacy queue_size maps onto it', async () => {
    for (let i = 0; i < 3; i++) assert.equal((await get(node, `/batch/${i}`)).status, 200);
    await waitUntil(() => collector.seen.some((r) => r.url === '/batch'), 20_000, 'the batch');
    const batch = JSON.parse(collector.seen.find((r) => r.url === '/batch')!.body) as { request: { uri: string } }[];
    assert.ok(Array.isArray(batch));
    assert.deepEqual(batch.map((r) => r.request.uri).sort(), ['/batch/0', '/batch/1', '/batch/2']);

    for (let i = 0; i < 2; i++) await get(node, `/legacy/${i}`);
    await waitUntil(() => collector.seen.some((r) => r.url === '/legacy'), 20_000, 'the legacy batch');
    assert.equal((JSON.parse(collector.seen.find((r) => r.url === '/legacy')!.body) as unknown[]).length, 2);
    await waitUntil(() => /queue_size parameter is deprecated/.test(node.output()), 10_000, 'the deprecation warning');
  });

  test('http-log retries a batch the collector refused with a 500 until it is taken', async () => {
    assert.equal((await get(node, '/retry/1')).status, 200);
    await waitUntil(() => collector.seen.filter((r) => r.url === '/flaky').length >= 3, 20_000, 'three attempts');
    const attempts = collector.seen.filter((r) => r.url === '/flaky');
    assert.equal(new Set(attempts.map((a) => a.body)).size, 1, 'the same entry each time');
    assert.match(node.output(), /returned status code 500 and body collector broken/);
  });

  test('a collector that never answers: the proxy keeps answering, the queue stays bounded and reports its drops once', async () => {
    for (let i = 0; i < 40; i++) assert.equal((await get(node, `/dead/${i}`)).status, 200);
    await waitUntil(() => /queue full, dropped \d+ entries/.test(node.output()), 20_000, 'the drop report');
    const reports = node.output().match(/queue full, dropped/g) ?? [];
    assert.equal(reports.length, 1, 'one report per interval, not one per request');
    assert.ok(dead.sockets.length >= 1);
  });

  test('file-log appends JSON lines and, with reopen, starts a new file after a rename', async () => {
    const path = join(dir, 'requests.log');
    assert.equal((await get(node, '/file/a')).status, 200);
    await waitUntil(() => existsSync(path) && readFileSync(path, 'utf8').includes('/file/a'), 20_000, 'the first line');
    renameSync(path, `${path}.1`);
    assert.equal((await get(node, '/file/b')).status, 200);
    await waitUntil(() => existsSync(path) && readFileSync(path, 'utf8').includes('/file/b'), 20_000, 'the reopened file');
    const line = JSON.parse(readFileSync(path, 'utf8').trim().split('\n')[0]) as Record<string, any>;
    assert.equal(line.request.uri, '/file/b');
    assert.equal(line.where, 'file');
    assert.doesNotMatch(readFileSync(`${path}.1`, 'utf8'), /\/file\/b/);
  });

  test('tcp-log (plain and TLS) and udp-log send the record as JSON', async () => {
    await get(node, '/tcp/1');
    await get(node, '/tcp/2');
    await waitUntil(() => tcp.lines().length >= 2, 20_000, 'two TCP lines');
    assert.deepEqual(tcp.lines().map((l) => (JSON.parse(l) as { request: { uri: string } }).request.uri), ['/tcp/1', '/tcp/2']);
    await get(node, '/tls/1');
    await get(node, '/tls/2');
    await waitUntil(() => tlsCollector.lines().length >= 2, 20_000, 'two TLS lines');
    assert.deepEqual(tlsCollector.lines().map((l) => (JSON.parse(l) as { request: { uri: string } }).request.uri), ['/tls/1', '/tls/2']);
    assert.deepEqual(tlsCollector.servernames, ['logs.example'], 'one kept-alive connection, with the configured SNI');
    await get(node, '/udp/1');
    await waitUntil(() => udp.messages.length >= 1, 20_000, 'a UDP datagram');
    assert.equal((JSON.parse(udp.messages[0]) as { request: { uri: string } }).request.uri, '/udp/1');
    // Answered by a plugin: nothing proxied, as Kong records it.
    assert.equal((await get(node, '/exit/1')).status, 403);
    await waitUntil(() => udp.messages.length >= 2, 20_000, 'the second datagram');
    const exit = JSON.parse(udp.messages[1]) as Record<string, any>;
    assert.equal(exit.source, 'exit');
    assert.equal(exit.response.status, 403);
    assert.equal(exit.upstream_status, '');
    assert.equal(exit.latencies.proxy, -1);
    assert.ok(exit.response.size > 'go away'.length, 'response.size counts the status line and headers too');
    assert.ok(exit.request.size >= 'GET /exit/1 HTTP/1.1\r\n'.length, 'request.size counts the request line and headers');
  });

  test('syslog writes to the local socket with the facility and the severity of the response class', async () => {
    await get(node, '/syslog/ok');
    await get(node, '/syslog/status/503');
    await waitUntil(() => syslog.messages.length >= 2, 20_000, 'two syslog messages');
    const ok = syslog.messages.find((m) => m.includes('/syslog/ok'))!;
    const failed = syslog.messages.find((m) => m.includes('/syslog/status/503'))!;
    // local0 = 16: info (6) gives 134, crit (2) gives 130.
    assert.match(ok, /^<134>.* kong: \{/);
    assert.match(failed, /^<130>/);
    assert.equal((JSON.parse(ok.slice(ok.indexOf('{'))) as { request: { uri: string } }).request.uri, '/syslog/ok');
    // log_level err: a successful request (info) is not sent.
    await get(node, '/quiet/1');
    await get(node, '/syslog/after');
    await waitUntil(() => syslog.messages.some((m) => m.includes('/syslog/after')), 20_000, 'the later message');
    assert.ok(!syslog.messages.some((m) => m.includes('/quiet/1')));
  });

  test("loggly sends Kong's RFC 5424 line with the token and tags", async () => {
    await get(node, '/loggly/1');
    await waitUntil(() => loggly.messages.length >= 1, 20_000, 'a loggly datagram');
    assert.match(loggly.messages[0], /^<14>1 \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \S+ kong - - \[TOKEN123@41058 tag="kong" tag="edge"\] \{/);
    assert.doesNotMatch(node.output(), /TOKEN123/);
  });

  test("statsd sends Kong's metric names, plain (packed) and in each tag style", async () => {
    for (const s of styles) assert.equal((await get(node, `/statsd-${s}/x`)).status, 200);
    for (const s of styles) await waitUntil(() => statsd[s].messages.length >= 1, 20_000, `statsd ${s}`);
    const plain = statsd.plain.messages.join('\n').split('\n');
    assert.deepEqual(plain.filter((l) => !l.startsWith('kong.service.log_svc.latency:')), ['kong.service.log_svc.request.count:1|c', 'kong.service.log_svc.status.200:1|c']);
    assert.match(plain.find((l) => l.includes('.latency:'))!, /^kong\.service\.log_svc\.latency:\d+\|ms$/);
    assert.equal(statsd.plain.messages.length, 1, 'udp_packet_size packs the lines into one datagram');
    const first = (s: string) => statsd[s].messages.find((m) => m.includes('request.count'))!;
    assert.match(first('dogstatsd'), /^kong\.request\.count:1\|c\|#service:log\.svc,route:statsd-dogstatsd,workspace:0{8}-0{4}-0{4}-0{4}-0{12},node:\S+,status:200$/);
    assert.match(first('influxdb'), /^kong\.request\.count,service=log\.svc,route=statsd-influxdb,workspace=\S+,node=\S+,status=200:1\|c$/);
    assert.match(first('librato'), /^kong\.request\.count#service=log\.svc,route=statsd-librato,workspace=\S+,node=\S+,status=200:1\|c$/);
    assert.match(first('signalfx'), /^kong\.request\.count\[service=log\.svc,route=statsd-signalfx,workspace=\S+,node=\S+,status=200\]:1\|c$/);
    assert.ok(!statsd.dogstatsd.messages.some((m) => m.includes('status.200')), 'status_count is left out with a tag style');
  });

  test('bad configurations are refused naming the field', async () => {
    const cases: [string, Record<string, unknown>, string][] = [
      ['http-log', { http_endpoint: 'http://127.0.0.1/', method: 'GET' }, 'method'],
      ['http-log', { http_endpoint: 'not a url' }, 'http_endpoint'],
      ['http-log', { http_endpoint: 'http://127.0.0.1/', headers: { Host: 'x' } }, 'headers'],
      ['http-log', { http_endpoint: 'http://127.0.0.1/', custom_fields_by_lua: { x: 'return 1' } }, 'custom_fields_by_lua'],
      ['http-log', { http_endpoint: 'http://127.0.0.1/', custom_fields: { x: '$(os.exit())' } }, 'custom_fields'],
      ['http-log', { http_endpoint: 'http://127.0.0.1/', queue: { max_batch_size: 0 } }, 'queue'],
      ['http-log', { http_endpoint: 'http://127.0.0.1/', queue: { concurrency_limit: 2 } }, 'queue'],
      ['file-log', { path: 'bad*name' }, 'path'],
      ['tcp-log', { host: '127.0.0.1' }, 'port'],
      ['udp-log', { host: '127.0.0.1', port: 70000 }, 'port'],
      ['syslog', { facility: 'nope' }, 'facility'],
      ['syslog', { log_level: 'loud' }, 'log_level'],
      ['loggly', {}, 'key'],
      ['statsd', { tag_style: 'prometheus' }, 'tag_style'],
      ['statsd', { metrics: [{ name: 'request_count', stat_type: 'counter' }] }, 'metrics'],
      ['statsd', { metrics: [{ name: 'nope', stat_type: 'counter', sample_rate: 1 }] }, 'metrics'],
      ['statsd', { allow_status_codes: ['2xx'] }, 'allow_status_codes'],
    ];
    for (const [name, config, field] of cases) {
      const res = await validate(node, name, config);
      assert.equal(res.status, 400, `${name} ${JSON.stringify(config)}`);
      const fields = (res.body.fields as { config?: Record<string, unknown> } | undefined)?.config ?? {};
      assert.ok(field in fields, `${name} ${JSON.stringify(config)} names ${field}: ${JSON.stringify(res.body)}`);
    }
    const lua = await validate(node, 'http-log', { http_endpoint: 'http://127.0.0.1/', custom_fields_by_lua: { x: 'return 1' } });
    assert.match(JSON.stringify(lua.body), /Tollgate does not run Lua code.*custom_fields/);
    const both = await validate(node, 'http-log', { http_endpoint: 'http://u:p@127.0.0.1/', headers: { Authorization: 'x' } });
    assert.equal(both.status, 400);
    assert.match(JSON.stringify(both.body), /specifying both an 'Authorization' header and user info/);
    assert.equal((await validate(node, 'statsd', {})).status, 200);
    for (const name of ['http-log', 'file-log', 'tcp-log', 'udp-log', 'syslog', 'loggly', 'statsd']) {
      const res = await fetch(`${node.admin}/schemas/plugins/${name}`);
      assert.equal(res.status, 200, name);
      assert.match(await res.text(), /"config"/, name);
    }
    assert.equal((await validate(node, 'http-log', { http_endpoint: 'https://127.0.0.1/x', content_type: 'application/json; charset=utf-8' })).status, 200);
  });
});

describe('http-log when the node stops', () => {
  test('entries waiting for a batch to fill are sent before the worker exits', async () => {
    const up = await startUpstream('drain-up');
    const collector = await startCollector();
    const config = JSON.stringify({
      _format_version: '3.0',
      services: [{
        name: 's',
        url: `http://127.0.0.1:${up.port}`,
        routes: [{ name: 'r', paths: ['/'], plugins: [{ name: 'http-log', config: { http_endpoint: `http://127.0.0.1:${collector.port}/drain`, queue: { max_batch_size: 100, max_coalescing_delay: 3600 } } }] }],
      }],
    });
    const node = await startTollgate({ config });
    try {
      for (let i = 0; i < 2; i++) assert.equal((await fetch(`${node.proxy}/d/${i}`)).status, 200);
      assert.equal(collector.seen.length, 0, 'the batch is still filling');
      await node.stop();
      assert.equal(collector.seen.length, 1);
      assert.equal((JSON.parse(collector.seen[0].body) as unknown[]).length, 2);
    } finally {
      await node.stop();
      await collector.close();
      await up.close();
    }
  });
});

describe('file-log with two workers', () => {
  test('both workers append whole lines to one file', async () => {
    const up = await startUpstream('file-up');
    const dir = mkdtempSync(join(tmpdir(), 'tg-file-log-'));
    const path = join(dir, 'shared.log');
    const config = JSON.stringify({
      _format_version: '3.0',
      services: [{ name: 's', url: `http://127.0.0.1:${up.port}`, routes: [{ name: 'r', paths: ['/'], plugins: [{ name: 'file-log', config: { path } }] }] }],
    });
    const node = await startTollgate({ config, workers: 2 });
    try {
      const total = 200;
      // Many connections at once, so that both workers serve some.
      for (let batch = 0; batch < total; batch += 20) {
        await Promise.all(Array.from({ length: 20 }, async (_, i) => {
          const res = await fetch(`${node.proxy}/n/${batch + i}`, { headers: { connection: 'close' } });
          await res.text();
        }));
      }
      const lines = () => (existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter((l) => l !== '') : []);
      await waitUntil(() => lines().length >= total, 30_000, `${total} lines`);
      const uris = lines().map((l) => (JSON.parse(l) as { request: { uri: string } }).request.uri);
      assert.equal(uris.length, total);
      assert.equal(new Set(uris).size, total, 'every request once, no line torn or lost');
    } finally {
      await node.stop();
      await up.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('access log format', () => {
  test('json writes one object a line, with the request id the client got in X-Tollgate-Request-Id', async () => {
    const up = await startUpstream('access-up');
    const config = JSON.stringify({ _format_version: '3.0', services: [{ name: 's', url: `http://127.0.0.1:${up.port}`, routes: [{ name: 'r', paths: ['/'] }] }] });
    const node = await startTollgate({ config, env: { TOLLGATE_PROXY_ACCESS_LOG_FORMAT: 'json' }, keepPrefix: true });
    try {
      const res = await get(node, '/hello?x=1', { 'user-agent': 'log-test' });
      const id = res.headers.get('x-tollgate-request-id');
      const path = join(node.prefix, 'logs', 'access.log');
      await waitUntil(() => existsSync(path) && readFileSync(path, 'utf8').includes('/hello'), 20_000, 'the access log line');
      const line = JSON.parse(readFileSync(path, 'utf8').trim().split('\n').at(-1)!) as Record<string, unknown>;
      assert.equal(line.method, 'GET');
      assert.equal(line.uri, '/hello?x=1');
      assert.equal(line.status, 200);
      assert.equal(line.user_agent, 'log-test');
      assert.equal(line.client_ip, '127.0.0.1');
      assert.match(String(line.request_id), /^[0-9a-f]{32}$/);
      assert.equal(line.request_id, id, 'the X-Tollgate-Request-Id the client got');
      assert.match(String(line.time), /^\d{4}-\d\d-\d\dT/);
    } finally {
      await node.stop();
      rmSync(node.prefix, { recursive: true, force: true });
      await up.close();
    }
  });
});
