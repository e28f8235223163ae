/**
 * Kong's `cluster_use_proxy` with `proxy_server`: a data plane reaches its control plane (configuration and
 * telemetry channels) through an HTTP forward proxy's CONNECT tunnels, and gets its configuration through them.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { rmSync } from 'node:fs';
import { adminCall } from './helpers/admin-call.ts';
import { waitUntil, type TollgateNode } from './helpers/tollgate.ts';
import { startUpstream, type TestUpstream } from './helpers/upstream.ts';
import { certsFor, dataPlanes, makeHybridCerts, startControlPlane, startDataPlane, statusOf, type ControlPlaneNode, type HybridCerts } from './helpers/hybrid.ts';

/** A forward proxy that only tunnels (CONNECT), recording each target and the Proxy-Authorization it got. */
async function startConnectProxy(): Promise<{ server: Server; port: number; tunnels: string[]; auth: string[] }> {
  const tunnels: string[] = [];
  const auth: string[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((_req, res) => res.writeHead(405).end());
  server.on('connect', (req, client: Socket, head: Buffer) => {
    tunnels.push(req.url ?? '');
    auth.push(req.headers['proxy-authorization'] ?? '');
    const [host, port] = [(req.url ?? '').slice(0, (req.url ?? '').lastIndexOf(':')), Number((req.url ?? '').split(':').pop())];
    const upstream = connect(port, host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => s.destroy());
    }
  });
  server.on('close', () => sockets.forEach((s) => s.destroy()));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, tunnels, auth };
}

describe('cluster_use_proxy', { timeout: 90_000 }, () => {
  let certs: HybridCerts;
  let cp: ControlPlaneNode;
  let dp: TollgateNode;
  let upstream: TestUpstream;
  let proxy: Awaited<ReturnType<typeof startConnectProxy>>;
  before(async () => {
    certs = makeHybridCerts();
    upstream = await startUpstream('through-proxy');
    proxy = await startConnectProxy();
    cp = await startControlPlane(certsFor('shared', certs, 'cp'));
    dp = await startDataPlane(certsFor('shared', certs, 'dp1'), [cp], {
      env: { TOLLGATE_CLUSTER_USE_PROXY: 'on', TOLLGATE_PROXY_SERVER: `http://gateway:s3cret@127.0.0.1:${proxy.port}` },
    });
  });
  after(async () => {
    await dp?.stop();
    await cp?.stop();
    await upstream?.close();
    proxy?.server.close();
    if (certs !== undefined) rmSync(certs.pki.dir, { recursive: true, force: true });
  });

  it('connects through CONNECT tunnels and serves the configuration pushed through them', async () => {
    await waitUntil(async () => (await dataPlanes(cp)).some((row) => row.connected), 20_000, 'the data plane to connect');
    assert.ok(proxy.tunnels.includes(`127.0.0.1:${cp.clusterPort}`), `tunnels: ${proxy.tunnels.join(', ')}`);
    assert.equal(proxy.auth[0], `Basic ${Buffer.from('gateway:s3cret').toString('base64')}`);
    const service = await adminCall(cp.admin, 'POST', '/services', { name: 's', url: `http://127.0.0.1:${upstream.port}` });
    assert.equal(service.status, 201);
    assert.equal((await adminCall(cp.admin, 'POST', '/services/s/routes', { paths: ['/via-proxy'] })).status, 201);
    await waitUntil(async () => (await statusOf(`${dp.proxy}/via-proxy`)) === 200, 20_000, 'the data plane to serve the route');
    await waitUntil(() => proxy.tunnels.includes(`127.0.0.1:${cp.telemetryPort}`), 20_000, 'the telemetry channel through the proxy');
  });
});
