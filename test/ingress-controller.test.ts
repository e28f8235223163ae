/**
 * `tollgate ingress-controller` end to end: a real controller process and real DB-less gateways on loopback,
 * real upstreams. No real Kubernetes API server can run here, so the controller talks to a local stand-in
 * (test/helpers/kube-api.ts) that speaks the API server's wire format for lists, watches, Events, status and
 * Leases.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, runTollgate, startTollgate, waitUntil, type TollgateNode } from './helpers/tollgate.ts';
import { startUpstream, type TestUpstream } from './helpers/upstream.ts';
import { freePort } from './helpers/ports.ts';
import { KubeApiStandIn, addEchoBackend, echoIngress, writeKubeconfig } from './helpers/kube-api.ts';

const WAIT = 60_000;
const NS = 'default';

interface ControllerProc {
  proc: ChildProcess;
  status: string;
  output(): string;
  stop(): Promise<void>;
}

let kube: KubeApiStandIn;
let upstream: TestUpstream;
let gateway: TollgateNode;
let dir: string;
let kubeconfig: string;

async function startController(extra: string[] = [], gateways = ['--admin-url', gateway.admin]): Promise<ControllerProc> {
  const statusPort = await freePort();
  const env = { ...process.env } as Record<string, string>;
  delete env.KUBECONFIG;
  const proc = spawn(BIN, ['ingress-controller', '--kubeconfig', kubeconfig, ...gateways,
    '--status-listen', `127.0.0.1:${statusPort}`, '--sync-debounce-ms', '100', '--resync-ms', '1000',
    '--election-namespace', 'kube-system', '--lease-duration', '3', ...extra], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  proc.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  return {
    proc,
    status: `http://127.0.0.1:${statusPort}`,
    output: () => out,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      await exited;
    },
  };
}

async function metric(c: ControllerProc, name: string): Promise<number> {
  try {
    const text = await (await fetch(`${c.status}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`) && l.includes('success="true"'));
    return line === undefined ? -1 : Number(line.split(' ').pop());
  } catch {
    return -1;
  }
}

async function statusOf(url: string): Promise<number> {
  try {
    const res = await fetch(url);
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}

function ingress(name: string, path: string, annotations: Record<string, string> = {}) {
  return echoIngress(NS, name, path, annotations);
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tollgate-kic-'));
  kube = new KubeApiStandIn();
  await kube.start();
  kubeconfig = join(dir, 'kubeconfig');
  writeKubeconfig(kubeconfig, kube.url);
  upstream = await startUpstream('echo');
  gateway = await startTollgate({ waitFor: 'listening' });
  addEchoBackend(kube, NS, upstream.port);
  kube.apply({
    apiVersion: 'v1', kind: 'Service', metadata: { name: 'proxy', namespace: 'kong' },
    spec: { type: 'LoadBalancer', ports: [{ name: 'http', port: 80 }] },
    status: { loadBalancer: { ingress: [{ ip: '203.0.113.7' }] } },
  });
});

after(async () => {
  await gateway?.stop();
  await upstream?.close();
  await kube?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('Ingress added, changed and deleted reaches the gateway; plugins, Events, status, 410 re-list', async () => {
  const controller = await startController(['--publish-service', 'kong/proxy']);
  try {
    kube.apply(ingress('alpha', '/alpha'));
    await waitUntil(async () => (await statusOf(`${gateway.proxy}/alpha`)) === 200, WAIT, '/alpha through the gateway');
    const echoed = (await (await fetch(`${gateway.proxy}/alpha/x`)).json()) as { server?: string; url?: string };
    assert.equal(echoed.server, 'echo');
    assert.equal(echoed.url, '/alpha/x');
    await waitUntil(async () => (await statusOf(`${controller.status}/status/ready`)) === 200, WAIT, 'controller ready');

    // Changed: the new path serves, the old one stops.
    kube.apply(ingress('alpha', '/alpha2'));
    await waitUntil(async () => (await statusOf(`${gateway.proxy}/alpha2`)) === 200, WAIT, '/alpha2');
    assert.equal(await statusOf(`${gateway.proxy}/alpha`), 404);

    // Ingress status from the publish Service, through the status subresource.
    await waitUntil(() => JSON.stringify((kube.get('Ingress', NS, 'alpha')?.status as Record<string, unknown> | undefined) ?? {}).includes('203.0.113.7'), WAIT, 'Ingress status');
    assert.ok(kube.requests.some((r) => r.method === 'PATCH' && r.path === `/apis/networking.k8s.io/v1/namespaces/${NS}/ingresses/alpha/status`));

    // A KongPlugin on another Ingress: changing it leaves alpha's route entity as it was.
    kube.apply({ apiVersion: 'configuration.konghq.com/v1', kind: 'KongPlugin', metadata: { name: 'tag', namespace: NS }, plugin: 'response-transformer', config: { add: { headers: ['x-tag:one'] } } });
    kube.apply(ingress('beta', '/beta', { 'konghq.com/plugins': 'tag' }));
    await waitUntil(async () => (await fetch(`${gateway.proxy}/beta`)).headers.get('x-tag') === 'one', WAIT, 'x-tag: one on /beta');
    const routes = (await (await fetch(`${gateway.admin}/routes`)).json()) as { data: { id: string; name: string }[] };
    const alphaRoute = routes.data.find((r) => r.name.includes('alpha'));
    assert.ok(alphaRoute, `the alpha route exists among ${routes.data.map((r) => r.name).join(', ')}`);
    // DB-less loads stamp every entity's created_at/updated_at; the rest (the id included) must not move.
    const routeEntity = async (): Promise<Record<string, unknown>> => {
      const { created_at: _c, updated_at: _u, ...rest } = (await (await fetch(`${gateway.admin}/routes/${alphaRoute.id}`)).json()) as Record<string, unknown>;
      return rest;
    };
    const before = await routeEntity();
    kube.apply({ apiVersion: 'configuration.konghq.com/v1', kind: 'KongPlugin', metadata: { name: 'tag', namespace: NS }, plugin: 'response-transformer', config: { add: { headers: ['x-tag:two'] } } });
    await waitUntil(async () => (await fetch(`${gateway.proxy}/beta`)).headers.get('x-tag') === 'two', WAIT, 'x-tag: two on /beta');
    assert.deepEqual(await routeEntity(), before);
    assert.equal(await statusOf(`${gateway.proxy}/alpha2`), 200);

    // A bad object: an Event names it; the others still apply.
    kube.apply({ apiVersion: 'configuration.konghq.com/v1', kind: 'KongPlugin', metadata: { name: 'nope', namespace: NS }, plugin: 'no-such-plugin', config: {} });
    kube.apply(ingress('gamma', '/gamma', { 'konghq.com/plugins': 'nope' }));
    await waitUntil(() => kube.events.some((e) => e.reason === 'TranslationFailed' && (e.involvedObject as { name?: string }).name === 'nope'), WAIT, 'a TranslationFailed Event');
    const event = kube.events.find((e) => (e.involvedObject as { name?: string }).name === 'nope')!;
    assert.equal((event.involvedObject as { kind?: string }).kind, 'KongPlugin');
    assert.equal(event.type, 'Warning');
    assert.match(String(event.message), /no-such-plugin/);
    await waitUntil(async () => (await statusOf(`${gateway.proxy}/gamma`)) === 200, WAIT, '/gamma despite the bad plugin');
    assert.equal(await statusOf(`${gateway.proxy}/alpha2`), 200);

    // The watch history is compacted and watches dropped: the controller gets 410 Gone, lists again, and
    // still sees what changes next.
    const lists = await metric(controller, 'ingress_controller_watch_lists_total');
    kube.compactAndDropWatches();
    kube.apply(ingress('delta', '/delta'));
    await waitUntil(async () => (await statusOf(`${gateway.proxy}/delta`)) === 200, WAIT, '/delta after the re-list');
    await waitUntil(async () => (await metric(controller, 'ingress_controller_watch_lists_total')) > lists, WAIT, 're-lists counted');
    // The same, announced as an ERROR event with a 410 Status inside the watch stream.
    const listsAfter = await metric(controller, 'ingress_controller_watch_lists_total');
    kube.compactAndDropWatches('error-event');
    kube.apply(ingress('delta', '/delta-b'));
    await waitUntil(async () => (await statusOf(`${gateway.proxy}/delta-b`)) === 200, WAIT, '/delta-b after the ERROR event');
    assert.ok((await metric(controller, 'ingress_controller_watch_lists_total')) > listsAfter);
    assert.ok(kube.requests.some((r) => r.path.includes('watch=1') && r.path.includes('resourceVersion=')));

    // Deleted: its path stops serving.
    kube.remove('Ingress', NS, 'alpha');
    await waitUntil(async () => (await statusOf(`${gateway.proxy}/alpha2`)) === 404, WAIT, '/alpha2 gone');
    assert.equal(await statusOf(`${gateway.proxy}/beta`), 200);

    await waitUntil(async () => (await metric(controller, 'ingress_controller_configuration_push_count')) > 0, WAIT, 'pushes counted');
    assert.ok((await metric(controller, 'ingress_controller_translation_count')) >= 0);
    assert.ok((await metric(controller, 'ingress_controller_configuration_push_last_successful')) > 0);
    assert.doesNotMatch(controller.output(), /test-token/);
  } finally {
    await controller.stop();
  }
});

test('two controller instances: only the Lease holder applies; the other takes over when it stops', async () => {
  const args = ['--election-id', 'two-instances'];
  const first = await startController(args);
  await waitUntil(async () => (await metric(first, 'ingress_controller_leader')) === 1, WAIT, 'first instance leads');
  const second = await startController(args);
  try {
    // The follower has translated (ready) but applies nothing while the first holds the lease.
    await waitUntil(async () => (await statusOf(`${second.status}/status/ready`)) === 200, WAIT, 'second instance synced');
    kube.apply(ingress('epsilon', '/epsilon'));
    await waitUntil(async () => (await statusOf(`${gateway.proxy}/epsilon`)) === 200, WAIT, '/epsilon');
    assert.equal(await metric(second, 'ingress_controller_leader'), 0);
    assert.equal(await metric(second, 'ingress_controller_configuration_push_count'), 0);
    await waitUntil(async () => (await metric(first, 'ingress_controller_configuration_push_count')) > 0, WAIT, 'the leader counts its pushes');
    const lease = kube.leases.get('kube-system/two-instances');
    assert.ok(lease, 'the Lease exists');

    await first.stop();
    await waitUntil(async () => (await metric(second, 'ingress_controller_leader')) === 1, WAIT, 'second instance takes the lease');
    kube.apply(ingress('zeta', '/zeta'));
    await waitUntil(async () => (await statusOf(`${gateway.proxy}/zeta`)) === 200, WAIT, '/zeta applied by the new leader');
    await waitUntil(async () => (await metric(second, 'ingress_controller_configuration_push_count')) > 0, WAIT, 'the new leader counts its push');
  } finally {
    await first.stop();
    await second.stop();
  }
});

test('gateways found by label selector get the configuration; a restarted one gets it again', async () => {
  kube.pods.push(
    { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'gw-1', namespace: 'kong', labels: { app: 'tollgate' } }, status: { phase: 'Running', podIP: '127.0.0.1', conditions: [{ type: 'Ready', status: 'True' }] } },
    { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'other', namespace: 'kong', labels: { app: 'other' } }, status: { phase: 'Running', podIP: '127.0.0.2', conditions: [{ type: 'Ready', status: 'True' }] } },
  );
  const controller = await startController(['--leader-elect', 'false'], ['--gateway-selector', 'app=tollgate', '--gateway-namespace', 'kong', '--gateway-admin-port', String(gateway.adminPort)]);
  try {
    kube.apply(ingress('eta', '/eta'));
    await waitUntil(async () => (await statusOf(`${gateway.proxy}/eta`)) === 200, WAIT, '/eta through the discovered gateway');
    assert.ok(kube.requests.some((r) => r.path === '/api/v1/namespaces/kong/pods?labelSelector=app%3Dtollgate'));
    // The gateway loses its configuration (as a restarted pod would): the next resync sends it again.
    const empty = await fetch(`${gateway.admin}/config`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ _format_version: '3.0' }) });
    assert.equal(empty.status, 201);
    assert.equal(await statusOf(`${gateway.proxy}/eta`), 404);
    await waitUntil(async () => (await statusOf(`${gateway.proxy}/eta`)) === 200, WAIT, '/eta back after the resync');
  } finally {
    await controller.stop();
  }
});

test('the command explains itself and refuses to start without gateways or a cluster', async () => {
  const help = await runTollgate(['ingress-controller', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--publish-service NS\/NAME/);
  const noGateways = await runTollgate(['ingress-controller', '--kubeconfig', kubeconfig]);
  assert.equal(noGateways.code, 1);
  assert.match(noGateways.stderr, /no gateways: give --admin-url URL or --gateway-selector LABELS/);
  const noCluster = await runTollgate(['ingress-controller', '--admin-url', gateway.admin], { KUBECONFIG: '', KUBERNETES_SERVICE_HOST: '' });
  assert.equal(noCluster.code, 1);
  assert.match(noCluster.stderr, /not in a cluster/);
  const bad = await runTollgate(['ingress-controller', '--lease-duration', 'soon']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /--lease-duration must be a positive integer, not 'soon'/);
});
