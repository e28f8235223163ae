/**
 * rate-limiting's local policy on a node with one worker, where the worker holds the node's counters itself
 * (src/shared-state/sole-counters.ts): exact under concurrent requests, each request's own count in Kong's
 * headers, the exact response bytes of the plain response path that header edits made in access now take
 * (src/proxy/forward.ts), and the counts carried over to the replacement of a crashed worker. With two workers
 * neither holds the counters: each continues the other's count (test/rate-limiting.test.ts bursts at two).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { request } from 'undici';
import { startTollgate, waitUntil, type TollgateNode } from './helpers/tollgate.ts';
import { startUpstream, type TestUpstream } from './helpers/upstream.ts';

const RUN = randomUUID().slice(0, 8);

async function call(url: string, headers: Record<string, string> = {}) {
  const res = await request(url, { headers });
  await res.body.text();
  return { status: res.statusCode, headers: res.headers };
}

async function burst(url: string, n: number, headers: Record<string, string>): Promise<Map<number, number>> {
  const results = await Promise.all(Array.from({ length: n }, () => call(url, headers)));
  const counts = new Map<number, number>();
  for (const r of results) counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
  return counts;
}

/** The response as sent: its head's lines (the clock, latencies, request id and reset masked) and its body. */
function rawResponse(port: number, path: string, headers: Record<string, string>): Promise<{ head: string[]; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
    socket.write(`GET ${path} HTTP/1.1\r\nHost: sole.test\r\n${lines}Connection: close\r\n\r\n`);
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => (text += d));
    socket.on('error', reject);
    socket.on('close', () => {
      const end = text.indexOf('\r\n\r\n');
      const head = text.slice(0, end).split('\r\n');
      resolve({
        head: head.map((line) => line.replace(/^(Date|X-Tollgate-Upstream-Latency|X-Tollgate-Proxy-Latency|X-Tollgate-Request-Id|RateLimit-Reset): .*$/i, '$1: *')),
        body: text.slice(end + 4),
      });
    });
  });
}

async function workerPids(node: TollgateNode): Promise<number[]> {
  const info = (await (await fetch(`${node.admin}/`)).json()) as { pids: { workers: number[] } };
  return info.pids.workers;
}

describe('rate-limiting, policy local, one worker', () => {
  let up: TestUpstream;
  let node: TollgateNode;
  before(async () => {
    up = await startUpstream('rl-sole-up');
    node = await startTollgate({
      workers: 1,
      config: `_format_version: "3.0"
services:
  - name: svc
    url: http://127.0.0.1:${up.port}
    routes:
      - name: exact
        paths: [/exact]
        plugins:
          - name: rate-limiting
            config: { day: 25, limit_by: header, header_name: x-client }
      - name: headers
        paths: [/headers]
        plugins:
          - name: rate-limiting
            config: { hour: 3, day: 10, limit_by: header, header_name: x-client }
`,
    });
  });
  after(async () => {
    await node?.stop();
    await up?.close();
  });

  test('exact under concurrent requests', async () => {
    const counts = await burst(`${node.proxy}/exact`, 70, { 'x-client': `burst-${RUN}` });
    assert.equal(counts.get(200), 25, JSON.stringify([...counts]));
    assert.equal(counts.get(429), 45, JSON.stringify([...counts]));
  });

  test("each request sees its own count in Kong's headers", async () => {
    const client = { 'x-client': `headers-${RUN}` };
    const seen: string[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await call(`${node.proxy}/headers`, client);
      seen.push(`${r.status} ${r.headers['x-ratelimit-remaining-hour']} ${r.headers['x-ratelimit-remaining-day']} ${r.headers['ratelimit-remaining']}`);
    }
    // The refused request is not counted: the day still has 7 left after it.
    assert.deepEqual(seen, ['200 2 9 2', '200 1 8 1', '200 0 7 0', '429 0 7 0']);
  });

  // Header edits made in access are applied to the upstream's head on the plain response path (no plugin
  // response writer): the same bytes, in the same order, as the writer sends.
  test("the headers follow the upstream's and the gateway's, in Kong's order, with the body whole", async () => {
    const { head, body } = await rawResponse(node.proxyPort, '/headers', { 'x-client': `raw-${RUN}` });
    const length = head.find((line) => /^content-length:/i.test(line));
    assert.deepEqual(head, [
      'HTTP/1.1 200 OK',
      'content-type: application/json',
      length,
      'Date: *',
      'Via: 1.1 tollgate/0.1.0',
      'Server: tollgate/0.1.0',
      'X-Tollgate-Upstream-Latency: *',
      'X-Tollgate-Proxy-Latency: *',
      'X-Tollgate-Request-Id: *',
      'X-RateLimit-Limit-Hour: 3',
      'X-RateLimit-Remaining-Hour: 2',
      'X-RateLimit-Limit-Day: 10',
      'X-RateLimit-Remaining-Day: 9',
      'RateLimit-Limit: 3',
      'RateLimit-Remaining: 2',
      'RateLimit-Reset: *',
      'Connection: close',
    ]);
    assert.equal(Buffer.byteLength(body, 'latin1'), Number(length!.split(': ')[1]));
    assert.match(body, /"server":"rl-sole-up"/);
  });

  test("the counts survive the worker's crash: its replacement starts from the node's copy", async () => {
    const client = { 'x-client': `crash-${RUN}` };
    const first = await burst(`${node.proxy}/exact`, 10, client);
    assert.equal(first.get(200), 10);
    // The worker mirrors its counters to the supervisor every second; give it three times that.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const [victim] = await workerPids(node);
    process.kill(victim, 'SIGKILL');
    await waitUntil(async () => {
      try {
        const pids = await workerPids(node);
        return pids.length === 1 && pids[0] !== victim && (await call(`${node.proxy}/headers`, { 'x-client': `probe-${RUN}` })).status === 200;
      } catch {
        return false;
      }
    }, 30_000, 'a replacement worker serving');
    const second = await burst(`${node.proxy}/exact`, 30, client);
    assert.equal(second.get(200), 15, JSON.stringify([...second]));
    assert.equal(second.get(429), 15, JSON.stringify([...second]));
  });
});

describe('rate-limiting, policy local, two workers', () => {
  let up: TestUpstream;
  let node: TollgateNode;
  before(async () => {
    up = await startUpstream('rl-pair-up');
    node = await startTollgate({
      workers: 2,
      config: `_format_version: "3.0"
services:
  - name: svc
    url: http://127.0.0.1:${up.port}
    routes:
      - name: pair
        paths: [/pair]
        plugins:
          - name: rate-limiting
            config: { day: 8, limit_by: header, header_name: x-client }
`,
    });
  });
  after(async () => {
    for (const pid of (await workerPids(node).catch(() => [] as number[]))) {
      try {
        process.kill(pid, 'SIGCONT');
      } catch {
        // already gone
      }
    }
    await node?.stop();
    await up?.close();
  });

  // Neither worker holds the counters here: with one of them stopped the other serves every new connection, so
  // each worker's count is seen deterministically to continue the other's.
  test('each worker continues the count of the other', async () => {
    const [first, second] = await workerPids(node);
    assert.ok(first !== undefined && second !== undefined, 'two workers');
    const client = { 'x-client': `pair-${RUN}`, connection: 'close' };
    const seen: string[] = [];
    /** `n` requests on new connections while worker `stopped` cannot accept any. */
    const without = async (stopped: number, n: number) => {
      process.kill(stopped, 'SIGSTOP');
      try {
        for (let i = 0; i < n; i++) {
          const r = await call(`${node.proxy}/pair`, client);
          seen.push(`${r.status} ${r.headers['x-ratelimit-remaining-day']}`);
        }
      } finally {
        process.kill(stopped, 'SIGCONT');
      }
    };
    await without(second, 4);
    await without(first, 5);
    assert.deepEqual(seen, ['200 7', '200 6', '200 5', '200 4', '200 3', '200 2', '200 1', '200 0', '429 0']);
  });
});
