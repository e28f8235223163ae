/**
 * A data plane facing a control plane that sends something wrong: a configuration that does not validate
 * on the data plane (as after a version skew), a delta for a base it does not have, a delta whose result
 * does not match the announced hash. The data plane is the real process; the control plane here is a
 * scripted peer speaking the protocol over real mutual TLS, because a real control plane never sends these.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:https';
import { rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { loadDeclarative } from '../src/declarative/index.ts';
import { pluginRegistry } from '../src/plugins/index.ts';
import { controlPlaneServerOptions } from '../src/cluster/tls.ts';
import { indexConfig, type WireConfig } from '../src/cluster/config-version.ts';
import { encodeConfigMessage } from '../src/cluster/payload.ts';
import { SYNC_PATH, SYNC_SUBPROTOCOL } from '../src/cluster/protocol.ts';
import { VERSION } from '../src/core/version.ts';
import { waitUntil, type TollgateNode } from './helpers/tollgate.ts';
import { startUpstream, type TestUpstream } from './helpers/upstream.ts';
import { certsFor, clusteringStatus, makeHybridCerts, startDataPlane, statusOf, type HybridCerts } from './helpers/hybrid.ts';

interface ScriptedControlPlane {
  port: number;
  received: Record<string, unknown>[];
  socket(): WebSocket;
  close(): Promise<void>;
}

async function scriptedControlPlane(certs: HybridCerts): Promise<ScriptedControlPlane> {
  const c = certsFor('shared', certs, 'cp');
  const server: Server = createServer(controlPlaneServerOptions({
    mode: 'shared', cert: c.cert.cert, key: c.cert.key, caCert: null, serverName: null, allowedCommonNames: [], ocsp: 'off',
  }));
  const wss = new WebSocketServer({ noServer: true, handleProtocols: () => SYNC_SUBPROTOCOL });
  const received: Record<string, unknown>[] = [];
  let current: WebSocket | null = null;
  server.on('upgrade', (req, socket, head) => {
    if (req.url !== SYNC_PATH) return socket.destroy();
    wss.handleUpgrade(req, socket, head, (ws) => {
      current = ws;
      ws.on('message', (data) => {
        const m = JSON.parse(data.toString()) as Record<string, unknown>;
        received.push(m);
        if (m.type === 'hello') ws.send(JSON.stringify({ type: 'welcome', control_plane_id: 'scripted', version: VERSION, sync_status: 'normal', missing_plugins: [] }));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    received,
    socket: () => {
      if (current === null) throw new Error('no data plane connected');
      return current;
    },
    async close() {
      for (const ws of wss.clients) ws.terminate();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function wireConfig(upstreamPort: number, paths: string[]): WireConfig {
  const loaded = loadDeclarative({
    _format_version: '3.0',
    services: [{ name: 'echo', url: `http://127.0.0.1:${upstreamPort}`, routes: paths.map((p, i) => ({ name: `r${i}`, paths: [p] })) }],
  }, { plugins: pluginRegistry(['bundled']), now: 1_700_000_000_000 });
  if (!loaded.ok) throw new Error(loaded.error.message);
  return JSON.parse(JSON.stringify(loaded.config)) as WireConfig;
}

describe('a data plane keeps serving when its control plane sends something wrong', { timeout: 60_000 }, () => {
  let certs: HybridCerts;
  let upstream: TestUpstream;
  let cp: ScriptedControlPlane;
  let dp: TollgateNode;
  let good: WireConfig;
  let goodHash = '';

  const acks = () => cp.received.filter((m) => m.type === 'applied');

  before(async () => {
    certs = makeHybridCerts();
    upstream = await startUpstream('bad-push');
    cp = await scriptedControlPlane(certs);
    dp = await startDataPlane(certsFor('shared', certs, 'dp1'), [{ clusterPort: cp.port, telemetryPort: cp.port }]);
    await waitUntil(() => cp.received.some((m) => m.type === 'hello'), 10_000, 'the hello');
    good = wireConfig(upstream.port, ['/ok', '/also']);
    goodHash = indexConfig(good).hash;
    cp.socket().send(encodeConfigMessage({ type: 'full', hash: goodHash, sequence: 1, created_at: Date.now(), config: good }));
    await waitUntil(async () => (await statusOf(`${dp.proxy}/ok`)) === 200, 10_000, 'the first configuration');
  });

  after(async () => {
    await dp?.stop('SIGKILL');
    await cp?.close();
    await upstream?.close();
    if (certs !== undefined) rmSync(certs.pki.dir, { recursive: true, force: true });
  });

  it('a configuration that does not validate is refused, reported, and the old one keeps serving', async () => {
    const bad = { ...good, routes: good.routes.map((r) => ({ ...r, protocols: ['carrier-pigeon'] })) } as WireConfig;
    const badHash = indexConfig(bad).hash;
    cp.socket().send(encodeConfigMessage({ type: 'full', hash: badHash, sequence: 2, created_at: Date.now(), config: bad }));
    await waitUntil(() => acks().some((a) => a.target_hash === badHash), 10_000, 'the acknowledgement');
    const ack = acks().find((a) => a.target_hash === badHash)!;
    assert.equal(ack.ok, false);
    assert.equal(ack.config_hash, goodHash, 'it still serves the previous configuration');
    assert.match(String(ack.error), /does not validate here.*protocols/s);
    assert.equal(await statusOf(`${dp.proxy}/ok`), 200);
    assert.equal((await clusteringStatus(dp)).config_hash, goodHash);
  });

  it('an invalid change sent as a delta is refused the same way', async () => {
    const route = good.routes[0];
    const targetConfig = { ...good, routes: [{ ...route, paths: 'not-a-list' }, ...good.routes.slice(1)] } as unknown as WireConfig;
    const target = indexConfig(targetConfig).hash;
    cp.socket().send(encodeConfigMessage({
      type: 'delta', base: goodHash, hash: target, sequence: 3, created_at: Date.now(),
      upserts: { routes: [{ ...route, paths: 'not-a-list' }] }, deletes: {},
    }));
    await waitUntil(() => acks().some((a) => a.target_hash === target), 10_000, 'the acknowledgement');
    const ack = acks().find((a) => a.target_hash === target)!;
    assert.equal(ack.ok, false);
    assert.match(String(ack.error), /paths/);
    assert.equal(await statusOf(`${dp.proxy}/ok`), 200);
  });

  it('a delta for another base, or one that does not produce its hash, makes the data plane ask for everything', async () => {
    cp.socket().send(encodeConfigMessage({
      type: 'delta', base: 'a'.repeat(32), hash: 'b'.repeat(32), sequence: 4, created_at: Date.now(), upserts: {}, deletes: { routes: [good.routes[1].id] },
    }));
    await waitUntil(() => cp.received.some((m) => m.type === 'resync'), 10_000, 'a resync request');
    const before = cp.received.filter((m) => m.type === 'resync').length;
    cp.socket().send(encodeConfigMessage({
      type: 'delta', base: goodHash, hash: 'c'.repeat(32), sequence: 5, created_at: Date.now(), upserts: {}, deletes: { routes: [good.routes[1].id] },
    }));
    await waitUntil(() => cp.received.filter((m) => m.type === 'resync').length > before, 10_000, 'a second resync request');
    assert.equal(await statusOf(`${dp.proxy}/also`), 200, 'the unverified delta was not applied');
  });

  it('a valid delta applies', async () => {
    const next = wireConfig(upstream.port, ['/ok', '/also', '/new']);
    const nextHash = indexConfig(next).hash;
    const added = next.routes.find((r) => !good.routes.some((g) => g.id === r.id))!;
    cp.socket().send(encodeConfigMessage({
      type: 'delta', base: goodHash, hash: nextHash, sequence: 6, created_at: Date.now(), upserts: { routes: [added] }, deletes: {},
    }));
    await waitUntil(async () => (await statusOf(`${dp.proxy}/new`)) === 200, 10_000, 'the new route');
    // The workers can serve the route a moment before the acknowledgement reaches the control plane.
    await waitUntil(() => acks().some((a) => a.target_hash === nextHash), 10_000, 'the acknowledgement');
    assert.equal(acks().find((a) => a.target_hash === nextHash)?.ok, true);
  });
});
