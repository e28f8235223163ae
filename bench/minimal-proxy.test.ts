import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request } from 'node:http';
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash, randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { forwardRequestHeaders, forwardResponseHeaders, parseMinimalProxyArgs, startProxyServer } from './minimal-proxy.ts';
import { freePort, waitForHttp } from './harness/net.ts';
import { processTree } from './harness/proc-stat.ts';

const SCRIPT = fileURLToPath(new URL('./minimal-proxy.ts', import.meta.url));

test('request headers: hop-by-hop and host dropped, others kept in order with their case', () => {
  const { headers, hasBody } = forwardRequestHeaders([
    'Host', 'client.example', 'Connection', 'keep-alive', 'X-Trace', 'a', 'Keep-Alive', 'timeout=5', 'x-trace', 'b', 'TE', 'trailers', 'Upgrade', 'h2c',
  ]);
  assert.deepEqual(headers, ['X-Trace', 'a', 'x-trace', 'b']);
  assert.equal(hasBody, false);
});

test('request headers: a body is announced by a non-zero content-length or transfer-encoding', () => {
  assert.equal(forwardRequestHeaders(['Content-Length', '12']).hasBody, true);
  assert.deepEqual(forwardRequestHeaders(['Content-Length', '12']).headers, ['Content-Length', '12']);
  assert.equal(forwardRequestHeaders(['Content-Length', '0']).hasBody, false);
  const chunked = forwardRequestHeaders(['Transfer-Encoding', 'chunked']);
  assert.equal(chunked.hasBody, true);
  assert.deepEqual(chunked.headers, []);
});

test('response headers: connection-level ones dropped, repeated ones kept', () => {
  assert.deepEqual(
    forwardResponseHeaders({ connection: 'keep-alive', 'keep-alive': 'timeout=5', 'transfer-encoding': 'chunked', 'set-cookie': ['a=1', 'b=2'], 'content-type': 'text/plain' }),
    { 'set-cookie': ['a=1', 'b=2'], 'content-type': 'text/plain' },
  );
});

test('argument parsing and its messages', () => {
  assert.deepEqual(parseMinimalProxyArgs(['--listen', '127.0.0.1:9000', '--upstream', 'http://127.0.0.1:9001', '--workers', '2']), {
    host: '127.0.0.1', port: 9000, upstream: 'http://127.0.0.1:9001/', workers: 2, upstreamConnections: 256,
  });
  assert.throws(() => parseMinimalProxyArgs(['--listen', '9000', '--upstream', 'http://x']), /--listen must be host:port/);
  assert.throws(() => parseMinimalProxyArgs(['--listen', '127.0.0.1:9000']), /--upstream is required/);
  assert.throws(() => parseMinimalProxyArgs(['--upstream', 'http://x', '--workers', '0']), /--workers must be a whole number >= 1/);
});

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  bodyHash: string;
  bodyLength: number;
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

function send(port: number, options: { method?: string; path?: string; headers?: Record<string, string>; body?: Buffer }): Promise<{ status: number; headers: IncomingMessage['headers']; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: options.method ?? 'GET', path: options.path ?? '/', headers: options.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

test('proxies method, path, headers and bodies both ways', async (t) => {
  let seen: Seen | undefined;
  const upstream = createServer((req, res) => {
    const hash = createHash('sha256');
    let length = 0;
    req.on('data', (chunk: Buffer) => { hash.update(chunk); length += chunk.length; });
    req.on('end', () => {
      seen = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, bodyHash: hash.digest('hex'), bodyLength: length };
      res.writeHead(201, { 'set-cookie': ['a=1', 'b=2'], 'x-upstream': 'yes' });
      res.end(randomBytes(200_000)); // larger than one socket write: exercises streaming
    });
  });
  const upstreamPort = await listen(upstream);
  const port = await freePort();
  const proxy = await startProxyServer({ host: '127.0.0.1', port, upstream: `http://127.0.0.1:${upstreamPort}`, workers: 1, upstreamConnections: 4 });
  t.after(async () => { await proxy.close(); upstream.close(); });

  const body = randomBytes(1_000_000);
  const answer = await send(port, { method: 'POST', path: '/a/b?x=1&y=2', headers: { 'x-client': 'c', connection: 'keep-alive', 'content-type': 'application/octet-stream' }, body });
  assert.equal(answer.status, 201);
  assert.deepEqual(answer.headers['set-cookie'], ['a=1', 'b=2']);
  assert.equal(answer.headers['x-upstream'], 'yes');
  assert.equal(answer.body.length, 200_000);
  assert.equal(seen?.method, 'POST');
  assert.equal(seen?.url, '/a/b?x=1&y=2');
  assert.equal(seen?.headers['x-client'], 'c');
  assert.equal(seen?.headers.host, `127.0.0.1:${upstreamPort}`);
  assert.equal(seen?.bodyLength, body.length);
  assert.equal(seen?.bodyHash, createHash('sha256').update(body).digest('hex'));
});

test('an unreachable upstream gives 502', async (t) => {
  const port = await freePort();
  const deadPort = await freePort();
  const proxy = await startProxyServer({ host: '127.0.0.1', port, upstream: `http://127.0.0.1:${deadPort}`, workers: 1, upstreamConnections: 4 });
  t.after(() => proxy.close());
  const answer = await send(port, {});
  assert.equal(answer.status, 502);
});

test('a client that goes away aborts the upstream request', async (t) => {
  let upstreamSawClose!: () => void;
  const closed = new Promise<void>((resolve) => { upstreamSawClose = resolve; });
  const upstream = createServer((_req, res) => {
    res.writeHead(200);
    res.write('partial');
    res.on('close', () => upstreamSawClose()); // never ends on its own
  });
  const upstreamPort = await listen(upstream);
  const port = await freePort();
  const proxy = await startProxyServer({ host: '127.0.0.1', port, upstream: `http://127.0.0.1:${upstreamPort}`, workers: 1, upstreamConnections: 4 });
  t.after(async () => { await proxy.close(); upstream.closeAllConnections(); upstream.close(); });
  await new Promise<void>((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
      res.once('data', () => { req.destroy(); resolve(); });
    });
    req.end();
  });
  const timeout = new Promise<string>((resolve) => setTimeout(() => resolve('timeout'), 3000).unref());
  assert.notEqual(await Promise.race([closed.then(() => 'closed'), timeout]), 'timeout');
});

test('as a process: two cluster workers, clean exit on SIGTERM with --cpu-prof profiles written', async (t) => {
  const upstream = createServer((_req, res) => res.end('ok'));
  const upstreamPort = await listen(upstream);
  const port = await freePort();
  const profileDir = mkdtempSync(join(tmpdir(), 'bench-minimal-prof-'));
  t.after(() => { upstream.close(); rmSync(profileDir, { recursive: true, force: true }); });
  const child = spawn(process.execPath, [`--cpu-prof`, `--cpu-prof-dir=${profileDir}`, SCRIPT, '--listen', `127.0.0.1:${port}`, '--upstream', `http://127.0.0.1:${upstreamPort}`, '--workers', '2'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let stdout = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  try {
    assert.deepEqual(await waitForHttp(`http://127.0.0.1:${port}/`, { timeoutMs: 10_000 }), { ready: true });
    // Both workers must be up (with their SIGTERM handlers) before the stop, or one dies without a profile.
    const deadline = Date.now() + 10_000;
    while (!stdout.includes('2 workers listening') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.match(stdout, /2 workers listening/);
    assert.equal((await send(port, {})).body.toString(), 'ok');
    assert.equal(processTree(child.pid as number).length, 3);
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
    const profiles = readdirSync(profileDir).filter((name) => name.endsWith('.cpuprofile'));
    assert.equal(profiles.length, 3, `primary + 2 workers, got ${profiles.join(', ')}`);
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
});

test('MINIMAL_PROXY_KONG_HEADERS=1 adds the headers a Kong-compatible gateway adds, both ways', async (t) => {
  let seen: IncomingMessage['headers'] = {};
  const upstream = createServer((req, res) => {
    seen = req.headers;
    res.end('ok');
  });
  const upstreamPort = await listen(upstream);
  const port = await freePort();
  const child = spawn(process.execPath, [SCRIPT, '--listen', `127.0.0.1:${port}`, '--upstream', `http://127.0.0.1:${upstreamPort}`], {
    stdio: 'ignore',
    env: { ...process.env, MINIMAL_PROXY_KONG_HEADERS: '1' },
  });
  t.after(() => {
    child.kill('SIGKILL');
    upstream.close();
  });
  assert.deepEqual(await waitForHttp(`http://127.0.0.1:${port}/`, { timeoutMs: 10_000 }), { ready: true });
  const res = await send(port, { path: '/some/path' });
  assert.equal(res.body.toString(), 'ok');
  assert.equal(seen['x-forwarded-for'], '127.0.0.1');
  assert.equal(seen['x-forwarded-path'], '/some/path');
  assert.equal(seen.via, '1.1 minimal-proxy');
  assert.equal(res.headers.via, '1.1 minimal-proxy');
  assert.equal(res.headers['x-tollgate-request-id'], '0123456789abcdef0123456789abcdef');
});
