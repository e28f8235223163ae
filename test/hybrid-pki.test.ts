/**
 * PKI mode beyond Kong's open-source edition, end to end: the control plane checks data plane names
 * (cluster_allowed_common_names) and revocation with a real `openssl ocsp` responder (cluster_ocsp = on);
 * the data plane's cache is encrypted at rest (cluster_cache_key).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from './helpers/ports.ts';
import { makeClusterPki, makeSharedPair, startOcspResponder, type OcspResponder } from './helpers/cluster-pki.ts';
import { waitUntil, type TollgateNode } from './helpers/tollgate.ts';
import { startUpstream, type TestUpstream } from './helpers/upstream.ts';
import {
  admin,
  certsFor,
  clusteringStatus,
  dataPlanes,
  startControlPlane,
  startDataPlane,
  statusOf,
  type ControlPlaneNode,
  type HybridCerts,
} from './helpers/hybrid.ts';

describe('PKI mode: names, revocation, encrypted cache', { timeout: 120_000 }, () => {
  let certs: HybridCerts;
  let ocsp: OcspResponder;
  let upstream: TestUpstream;
  let cp: ControlPlaneNode;
  const nodes: TollgateNode[] = [];
  const CACHE_KEY = 'correct horse battery staple';

  before(async () => {
    const ocspPort = await freePort();
    // Data plane certificates under an intermediate CA: the chain is checked and the issuer asked about revocation.
    const pki = makeClusterPki({ ocspUrl: `http://127.0.0.1:${ocspPort}`, intermediates: 1 });
    certs = { pki, foreignShared: makeSharedPair(pki.dir, 'foreign-shared') };
    ocsp = await startOcspResponder(pki, ocspPort);
    upstream = await startUpstream('pki-upstream');
    cp = await startControlPlane(certsFor('pki', certs, 'cp'), {
      env: { TOLLGATE_CLUSTER_ALLOWED_COMMON_NAMES: 'dp1.tollgate.test', TOLLGATE_CLUSTER_OCSP: 'on' },
    });
    await admin(cp, 'POST', '/services', { name: 'echo', url: `http://127.0.0.1:${upstream.port}` });
    await admin(cp, 'POST', '/services/echo/routes', { name: 'confidential-route-name', paths: ['/secret-path'] });
  });

  after(async () => {
    for (const node of [...nodes, cp]) await node?.stop('SIGKILL').catch(() => {});
    await ocsp?.stop();
    await upstream?.close();
    if (certs !== undefined) rmSync(certs.pki.dir, { recursive: true, force: true });
  });

  it('a data plane whose name is allowed and whose certificate is good connects; its cache is encrypted', async () => {
    const dp = await startDataPlane(certsFor('pki', certs, 'dp1'), [cp], { env: { TOLLGATE_CLUSTER_CACHE_KEY: CACHE_KEY }, keepPrefix: true });
    nodes.push(dp);
    await waitUntil(async () => (await statusOf(`${dp.proxy}/secret-path`)) === 200, 10_000, 'the route on dp1');
    // The data plane writes its cache beside applying the configuration: wait for the file, not only the route.
    await waitUntil(() => existsSync(join(dp.prefix, 'config.cache')), 10_000, 'the configuration cache');
    const cache = readFileSync(join(dp.prefix, 'config.cache'));
    assert.ok(!cache.includes('confidential-route-name') && !cache.includes('secret-path'), 'nothing readable in the cache');
    assert.equal(((await clusteringStatus(dp)) as unknown as { cache: { encrypted: boolean } }).cache.encrypted, true);
  });

  it('a data plane certificate with a name not in cluster_allowed_common_names is refused', async () => {
    const dp2 = await startDataPlane(certsFor('pki', certs, 'dp2'), [cp]);
    nodes.push(dp2);
    await waitUntil(async () => /cluster_allowed_common_names/.test((await clusteringStatus(dp2)).control_plane?.last_error ?? ''), 10_000, 'the refusal');
    assert.match(cp.output(), /refused data plane .*dp2\.tollgate\.test.*cluster_allowed_common_names/);
    assert.equal(await statusOf(`${dp2.proxy}/secret-path`), 404);
    await dp2.stop();
  });

  it('a revoked data plane certificate is refused (OCSP)', async () => {
    await ocsp.revoke('dp1');
    const dp = nodes[0];
    const id = (await clusteringStatus(dp)).node_id;
    await dp.stop();
    const again = await startDataPlane(certsFor('pki', certs, 'dp1'), [cp], { prefix: dp.prefix, keepPrefix: true, env: { TOLLGATE_CLUSTER_CACHE_KEY: CACHE_KEY } });
    nodes[0] = again;
    await waitUntil(async () => /revoked/.test((await clusteringStatus(again)).control_plane?.last_error ?? ''), 10_000, 'the revocation');
    assert.ok(!(await dataPlanes(cp)).some((r) => r.id === id && r.connected));
    // Refused by the control plane, it still serves what its (encrypted) cache holds.
    assert.equal(await statusOf(`${again.proxy}/secret-path`), 200);
  });

  it('the cache does not open with a wrong key: the data plane says so and serves nothing', async () => {
    const dp = nodes[0];
    await dp.stop();
    const wrong = await startDataPlane(certsFor('pki', certs, 'dp1'), [cp], { prefix: dp.prefix, keepPrefix: true, env: { TOLLGATE_CLUSTER_CACHE_KEY: 'wrong key' } });
    nodes[0] = wrong;
    assert.match(wrong.output(), /cannot use the configuration cache/);
    assert.equal(await statusOf(`${wrong.status}/status/ready`), 503);
    assert.equal(await statusOf(`${wrong.proxy}/secret-path`), 404);
    await wrong.stop();
    rmSync(wrong.prefix, { recursive: true, force: true });
  });
});
