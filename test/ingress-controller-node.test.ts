/**
 * `ingress_controller = on`: the controller inside a traditional node with a database. No real Kubernetes API
 * server can run here, so the node talks to a local stand-in (test/helpers/kube-api.ts) in the API server's
 * wire format. The node's own store receives the translation: unchanged entities are not rewritten.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTollgate, startTollgate, waitUntil, type TollgateNode } from './helpers/tollgate.ts';
import { startUpstream, type TestUpstream } from './helpers/upstream.ts';
import { KubeApiStandIn, addEchoBackend, echoIngress, writeKubeconfig } from './helpers/kube-api.ts';
import { certsFor, makeHybridCerts, startControlPlane, startDataPlane } from './helpers/hybrid.ts';

const WAIT = 60_000;
const NS = 'apps';

let kube: KubeApiStandIn;
let upstream: TestUpstream;
let node: TollgateNode;
let dir: string;

async function statusOf(url: string): Promise<number> {
  try {
    const res = await fetch(url);
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tollgate-kic-node-'));
  kube = new KubeApiStandIn();
  await kube.start();
  writeKubeconfig(join(dir, 'kubeconfig'), kube.url);
  upstream = await startUpstream('echo');
  addEchoBackend(kube, NS, upstream.port);
  node = await startTollgate({
    waitFor: 'listening',
    env: { TOLLGATE_DATABASE: 'sqlite', TOLLGATE_INGRESS_CONTROLLER: 'on', KUBECONFIG: join(dir, 'kubeconfig'), POD_NAMESPACE: 'tollgate' },
  });
});

after(async () => {
  await node?.stop();
  await upstream?.close();
  await kube?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('a node with ingress_controller = on writes the translation into its database', async () => {
  kube.apply(echoIngress(NS, 'one', '/one'));
  kube.apply(echoIngress(NS, 'two', '/two'));
  await waitUntil(async () => (await statusOf(`${node.proxy}/one`)) === 200 && (await statusOf(`${node.proxy}/two`)) === 200, WAIT, '/one and /two');
  // It took the Lease in POD_NAMESPACE.
  assert.ok(kube.leases.has('tollgate/tollgate-ingress-controller-leader'));
  const routes = async () => ((await (await fetch(`${node.admin}/routes`)).json()) as { data: Record<string, unknown>[] }).data;
  const oneBefore = (await routes()).find((r) => String(r.name).includes('.one.'));
  assert.ok(oneBefore);

  // Changing another Ingress leaves route one's row untouched (timestamps included): it was not rewritten.
  kube.apply(echoIngress(NS, 'two', '/two-b'));
  await waitUntil(async () => (await statusOf(`${node.proxy}/two-b`)) === 200, WAIT, '/two-b');
  assert.deepEqual((await routes()).find((r) => r.id === oneBefore.id), oneBefore);

  // Deleted from the cluster, deleted from the database.
  kube.remove('Ingress', NS, 'two');
  await waitUntil(async () => (await statusOf(`${node.proxy}/two-b`)) === 404, WAIT, '/two-b gone');
  assert.equal((await routes()).length, 1);
  assert.match(await (await fetch(`${node.status}/metrics`)).text(), /ingress_controller_configuration_push_count\{success="true"\} [1-9]/);
});

test('ingress_controller = on is refused on a data plane', async () => {
  const r = await runTollgate(['start'], { TOLLGATE_ROLE: 'data_plane', TOLLGATE_DATABASE: 'off', TOLLGATE_INGRESS_CONTROLLER: 'on', TOLLGATE_PREFIX: join(dir, 'dp') });
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /ingress_controller/);
});

test('a control plane with ingress_controller = on: its data planes serve the cluster\'s Ingresses', async () => {
  const certs = makeHybridCerts();
  // Its own Lease namespace: the traditional node above holds the one in 'tollgate'.
  const cp = await startControlPlane(certsFor('shared', certs, 'cp'), {
    env: { TOLLGATE_INGRESS_CONTROLLER: 'on', KUBECONFIG: join(dir, 'kubeconfig'), POD_NAMESPACE: 'hybrid' },
  });
  const dp = await startDataPlane(certsFor('shared', certs, 'dp1'), [cp]);
  try {
    kube.apply(echoIngress(NS, 'hybrid', '/hybrid'));
    await waitUntil(async () => (await statusOf(`${dp.proxy}/hybrid`)) === 200, WAIT, '/hybrid on the data plane');
    kube.apply(echoIngress(NS, 'hybrid', '/hybrid-b'));
    await waitUntil(async () => (await statusOf(`${dp.proxy}/hybrid-b`)) === 200, WAIT, '/hybrid-b on the data plane');
    assert.equal(await statusOf(`${dp.proxy}/hybrid`), 404);
    assert.ok(kube.leases.has('hybrid/tollgate-ingress-controller-leader'));
  } finally {
    await dp.stop();
    await cp.stop();
    rmSync(certs.pki.dir, { recursive: true, force: true });
  }
});

test('a DB-less node with ingress_controller = on loads the translation itself', async () => {
  const dbless = await startTollgate({
    waitFor: 'listening',
    env: { TOLLGATE_DATABASE: 'off', TOLLGATE_INGRESS_CONTROLLER: 'on', KUBECONFIG: join(dir, 'kubeconfig'), POD_NAMESPACE: 'dbless' },
  });
  try {
    kube.apply(echoIngress(NS, 'local', '/local'));
    await waitUntil(async () => (await statusOf(`${dbless.proxy}/local`)) === 200, WAIT, '/local on the DB-less node');
    // Ready once it has the configuration, like any DB-less node loaded through POST /config.
    assert.equal(await statusOf(`${dbless.status}/status/ready`), 200);
  } finally {
    await dbless.stop();
  }
});
