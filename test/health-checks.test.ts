/**
 * Health checks through bin/tollgate with two workers, against real upstream servers: passive checks take a
 * failing target out of the rotation for every worker, active checks take it out and bring it back, and a
 * new configuration keeps what the checks found.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { startTollgate, waitUntil, type TollgateNode } from './helpers/tollgate.ts';
import { echoHandler, startUpstream, type TestUpstream } from './helpers/upstream.ts';

async function get(url: string): Promise<{ status: number; body: string }> {
  const res = await request(url);
  return { status: res.statusCode, body: await res.body.text() };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * After a failure, time for the worker's report to reach the supervisor and its verdict to reach both
 * workers, so that the next request meets the new state even on a loaded machine.
 */
const settle = (status: number) => sleep(status >= 500 ? 300 : 10);

describe('health checks', () => {
  let broken: TestUpstream;
  let good: TestUpstream;
  /** An upstream whose /health and proxied answers follow `probeStatus`. */
  let flaky: TestUpstream;
  let steady: TestUpstream;
  let probeStatus = 200;
  let node: TollgateNode;
  let config: string;

  before(async () => {
    broken = await startUpstream('broken', (_req, res) => {
      res.writeHead(500);
      res.end('down');
    });
    good = await startUpstream('good');
    flaky = await startUpstream('flaky', (req, res) => {
      if (probeStatus !== 200) {
        res.writeHead(probeStatus);
        res.end();
        return;
      }
      echoHandler('flaky', req, res);
    });
    steady = await startUpstream('steady');
    config = `_format_version: "3.0"
upstreams:
  - name: passive
    healthchecks:
      passive:
        unhealthy: { http_failures: 2 }
    targets:
      - target: 127.0.0.1:${broken.port}
      - target: 127.0.0.1:${good.port}
  - name: active
    healthchecks:
      active:
        http_path: /health
        timeout: 1
        healthy: { interval: 0.2, successes: 2 }
        unhealthy: { interval: 0.2, http_failures: 2 }
    targets:
      - target: 127.0.0.1:${flaky.port}
      - target: 127.0.0.1:${steady.port}
  - name: plain
    targets:
      - target: 127.0.0.1:${good.port}
  - name: thresholded
    healthchecks:
      threshold: 60
      passive:
        unhealthy: { http_failures: 1 }
    targets:
      - target: 127.0.0.1:${broken.port}
      - target: 127.0.0.1:${steady.port}
services:
  - name: thresholded
    host: thresholded
    retries: 0
    routes: [{ name: thresholded, paths: [/thresholded] }]
  - name: passive
    host: passive
    retries: 0
    routes: [{ name: passive, paths: [/passive] }]
  - name: active
    host: active
    retries: 0
    routes: [{ name: active, paths: [/active] }]
`;
    node = await startTollgate({ workers: 2, config });
  });

  after(async () => {
    await node?.stop();
    for (const u of [broken, good, flaky, steady]) await u?.close();
  });

  it('passive: a target that fails twice gets no more traffic, on any worker', async () => {
    const statuses: number[] = [];
    for (let k = 0; k < 12; k++) {
      const status = (await get(`${node.proxy}/passive`)).status;
      statuses.push(status);
      await settle(status);
    }
    assert.equal(broken.count, 2, `the failing target was sent ${broken.count} requests`);
    assert.deepEqual(statuses.filter((s) => s === 500).length, 2);
    await waitUntil(async () => /upstream passive: target 127\.0\.0\.1:\d+ is unhealthy \(passive check: http failure\)/.test(node.output()), 2000, 'the change in the log');
  });

  it('a new configuration keeps what the checks found', async () => {
    const res = await request(`${node.admin}/config`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ config: `${config}  - name: extra\n    url: http://127.0.0.1:${good.port}\n    routes: [{ name: extra, paths: [/extra] }]\n` }),
    });
    assert.equal(res.statusCode, 201, await res.body.text());
    const before = broken.count;
    for (let k = 0; k < 6; k++) assert.equal((await get(`${node.proxy}/passive`)).status, 200);
    assert.equal(broken.count, before);
  });

  it('the Admin API shows target health and sets it by hand, for every worker', async () => {
    const health = async (upstream: string) => {
      const res = await request(`${node.admin}/upstreams/${upstream}/health`);
      assert.equal(res.statusCode, 200);
      const body = (await res.body.json()) as { data: { target: string; health: string; data: { addresses: { health: string }[] } }[]; total: number };
      return new Map(body.data.map((t) => [t.target, t.health]));
    };
    const passive = await health('passive');
    assert.equal(passive.get(`127.0.0.1:${broken.port}`), 'UNHEALTHY');
    assert.equal(passive.get(`127.0.0.1:${good.port}`), 'HEALTHY');
    assert.equal((await health('plain')).get(`127.0.0.1:${good.port}`), 'HEALTHCHECKS_OFF');
    assert.equal((await request(`${node.admin}/upstreams/nope/health`)).statusCode, 404);

    // Put the broken target back by hand: it gets traffic again until passive checks take it out again.
    const put = await request(`${node.admin}/upstreams/passive/targets/127.0.0.1:${broken.port}/healthy`, { method: 'PUT' });
    assert.equal(put.statusCode, 204);
    assert.equal((await health('passive')).get(`127.0.0.1:${broken.port}`), 'HEALTHY');
    const before = broken.count;
    for (let k = 0; k < 8; k++) await settle((await get(`${node.proxy}/passive`)).status);
    assert.equal(broken.count - before, 2, 'two more failures, then out again');

    // Take the good one out by hand (Kong 2's POST form): nothing is left.
    const post = await request(`${node.admin}/upstreams/passive/targets/127.0.0.1:${good.port}/unhealthy`, { method: 'POST' });
    assert.equal(post.statusCode, 204);
    await waitUntil(async () => (await get(`${node.proxy}/passive`)).status === 503, 3000, 'no target left');
    assert.equal((await request(`${node.admin}/upstreams/passive/targets/127.0.0.1:${good.port}/healthy`, { method: 'PUT' })).statusCode, 204);
    await waitUntil(async () => (await get(`${node.proxy}/passive`)).status === 200, 3000, 'the target back');
    assert.equal((await request(`${node.admin}/upstreams/passive/targets/10.9.9.9:1/healthy`, { method: 'PUT' })).statusCode, 404);
    // Kong's per-address form: the target's own address is its only one.
    const target = `127.0.0.1:${good.port}`;
    assert.equal((await request(`${node.admin}/upstreams/passive/targets/${target}/${target}/unhealthy`, { method: 'PUT' })).statusCode, 204);
    assert.equal((await health('passive')).get(target), 'UNHEALTHY');
    assert.equal((await request(`${node.admin}/upstreams/passive/targets/${target}/${target}/healthy`, { method: 'PUT' })).statusCode, 204);
    assert.equal((await health('passive')).get(target), 'HEALTHY');
    assert.equal((await request(`${node.admin}/upstreams/passive/targets/${target}/10.1.1.1:80/healthy`, { method: 'PUT' })).statusCode, 404);
  });

  it('threshold: an upstream whose healthy weight falls below it takes no requests', async () => {
    for (let k = 0; k < 6; k++) await settle((await get(`${node.proxy}/thresholded`)).status);
    // One failure takes the broken target out: 50% of the weight is left, under the 60% threshold.
    const last = await get(`${node.proxy}/thresholded`);
    assert.equal(last.status, 503);
    assert.match(last.body, /failure to get a peer from the ring-balancer/);
    const res = await request(`${node.admin}/upstreams/thresholded/health?balancer_health=1`);
    const body = (await res.body.json()) as { data: { health: string; details: { weight: { total: number; available: number; unavailable: number } } } };
    assert.equal(body.data.health, 'UNHEALTHY');
    assert.deepEqual(body.data.details.weight, { total: 200, available: 100, unavailable: 100 });
    const passive = (await (await request(`${node.admin}/upstreams/passive/health?balancer_health=1`)).body.json()) as { data: { health: string }; node_id: string };
    assert.equal(passive.data.health, 'HEALTHY', 'no threshold: healthy while any weight is left');
    assert.match(passive.node_id, /^[0-9a-f-]{36}$/);
  });

  it('active: probes take a failing target out and bring it back when it answers again', async () => {
    const flakyShare = async () => {
      const start = flaky.count;
      for (let k = 0; k < 10; k++) assert.equal((await get(`${node.proxy}/active`)).status, 200);
      return flaky.count - start;
    };
    assert.ok((await flakyShare()) >= 3, 'both targets serve while healthy');
    probeStatus = 503;
    await waitUntil(async () => /upstream active: target 127\.0\.0\.1:\d+ is unhealthy \(active check: http failure\)/.test(node.output()), 5000, 'the probes to find it');
    await sleep(300);
    // The flaky target would answer 503 now: every request must have gone to the other one.
    for (let k = 0; k < 10; k++) assert.equal((await get(`${node.proxy}/active`)).status, 200);
    probeStatus = 200;
    // Back to 200 for the proxied requests too, but the target waits for two good probes.
    await waitUntil(async () => /upstream active: target 127\.0\.0\.1:\d+ is healthy \(active check: success\)/.test(node.output()), 5000, 'the probes to bring it back');
    await sleep(300);
    assert.ok((await flakyShare()) >= 3, 'it serves again');
  });

  it('every target unhealthy: 503 in Kong words', async () => {
    probeStatus = 503;
    const steadyDown = startUpstreamFailing(steady);
    // Until both are out, the upstreams' own 500 and 503 answers come through.
    await waitUntil(async () => /failure to get a peer from the ring-balancer/.test((await get(`${node.proxy}/active`)).body), 5000, 'both targets out');
    const r = await get(`${node.proxy}/active`);
    assert.equal(r.status, 503);
    assert.match(r.body, /failure to get a peer from the ring-balancer/);
    steadyDown.restore();
    probeStatus = 200;
  });
});

/** Makes an echo upstream answer 500 to everything until restored. */
function startUpstreamFailing(u: TestUpstream): { restore(): void } {
  const listeners = u.server.listeners('request');
  u.server.removeAllListeners('request');
  u.server.on('request', (_req, res) => {
    res.writeHead(500);
    res.end();
  });
  return {
    restore() {
      u.server.removeAllListeners('request');
      for (const l of listeners) u.server.on('request', l as (...args: unknown[]) => void);
    },
  };
}
