/**
 * Gateway API status written by `tollgate ingress-controller`: GatewayClass, Gateway and HTTPRoute/GRPCRoute
 * status for the objects of our controller only, against the Kubernetes API stand-in (test/helpers/kube-api.ts:
 * lists, watches and the status subresource as JSON merge patch), a real DB-less gateway and a real upstream.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, startTollgate, waitUntil, type TollgateNode } from './helpers/tollgate.ts';
import { startUpstream, type TestUpstream } from './helpers/upstream.ts';
import { freePort } from './helpers/ports.ts';
import { KubeApiStandIn, addEchoBackend, writeKubeconfig } from './helpers/kube-api.ts';

const WAIT = 60_000;
const GW = 'gateway.networking.k8s.io/v1';
const OURS = 'konghq.com/kic-gateway-controller';
type Obj = Record<string, unknown>;
type Condition = { type: string; status: string; reason: string; message: string; observedGeneration: number; lastTransitionTime: string };
type Parent = { parentRef: Obj; controllerName: string; conditions: Condition[] };

let kube: KubeApiStandIn;
let upstream: TestUpstream;
let gateway: TollgateNode;
let dir: string;
let controller: ChildProcess;
let output = '';

function route(kind: 'HTTPRoute' | 'GRPCRoute', namespace: string, name: string, parentRefs: Obj[], rule: Obj, extra: Obj = {}) {
  return { apiVersion: GW, kind, metadata: { name, namespace }, spec: { parentRefs, rules: [rule] }, ...extra };
}

function statusOf(kind: string, ns: string | undefined, name: string): Obj {
  return (kube.get(kind, ns, name)?.status as Obj | undefined) ?? {};
}

function ourParents(ns: string, name: string, kind = 'HTTPRoute'): Parent[] {
  return ((statusOf(kind, ns, name).parents as Parent[] | undefined) ?? []).filter((p) => p.controllerName === OURS);
}

function cond(conditions: Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

async function proxied(path: string): Promise<number> {
  try {
    const res = await fetch(`${gateway.proxy}${path}`);
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tollgate-gwapi-'));
  kube = new KubeApiStandIn();
  await kube.start();
  const kubeconfig = join(dir, 'kubeconfig');
  writeKubeconfig(kubeconfig, kube.url);
  upstream = await startUpstream('echo');
  gateway = await startTollgate({ waitFor: 'listening' });
  addEchoBackend(kube, 'default', upstream.port);
  kube.apply({
    apiVersion: 'v1', kind: 'Service', metadata: { name: 'proxy', namespace: 'kong' },
    spec: { type: 'LoadBalancer', ports: [{ name: 'http', port: 80 }] },
    status: { loadBalancer: { ingress: [{ ip: '203.0.113.7' }, { hostname: 'lb.example' }] } },
  });
  kube.apply({ apiVersion: GW, kind: 'GatewayClass', metadata: { name: 'kong' }, spec: { controllerName: OURS } });
  kube.apply({ apiVersion: GW, kind: 'GatewayClass', metadata: { name: 'other' }, spec: { controllerName: 'example.com/other' } });
  kube.apply({
    apiVersion: GW, kind: 'Gateway', metadata: { name: 'kong', namespace: 'default' },
    spec: {
      gatewayClassName: 'kong',
      listeners: [
        { name: 'http', protocol: 'HTTP', port: 80 },
        { name: 'tcp', protocol: 'TCP', port: 9000 },
        { name: 'admin', protocol: 'HTTP', port: 8080, hostname: 'admin.example', allowedRoutes: { namespaces: { from: 'All' } } },
        { name: 'teams', protocol: 'HTTP', port: 8081, allowedRoutes: { namespaces: { from: 'Selector', selector: { matchLabels: { gateway: 'shared' } } } } },
      ],
    },
  });
  kube.apply({ apiVersion: GW, kind: 'Gateway', metadata: { name: 'foreign', namespace: 'default' }, spec: { gatewayClassName: 'other', listeners: [{ name: 'http', protocol: 'HTTP', port: 80 }] } });
  const toEcho = (path: string, backend = 'echo', namespace?: string): Obj => ({
    matches: [{ path: { type: 'PathPrefix', value: path } }],
    backendRefs: [{ name: backend, port: 80, ...(namespace === undefined ? {} : { namespace }) }],
  });
  // Another controller's entry must survive ours.
  kube.apply(route('HTTPRoute', 'default', 'good', [{ name: 'kong' }], toEcho('/gw'), {
    status: { parents: [{ parentRef: { name: 'elsewhere' }, controllerName: 'example.com/other', conditions: [] }] },
  }));
  kube.apply(route('HTTPRoute', 'default', 'missing-backend', [{ name: 'kong', sectionName: 'http' }], toEcho('/nb', 'nope')));
  kube.apply(route('HTTPRoute', 'apps', 'other-ns', [{ name: 'kong', namespace: 'default', sectionName: 'http' }], toEcho('/ns', 'echo', 'default')));
  kube.apply(route('HTTPRoute', 'default', 'bad-section', [{ name: 'kong', sectionName: 'nope' }], toEcho('/bs')));
  kube.apply(route('HTTPRoute', 'default', 'foreign-route', [{ name: 'foreign' }], toEcho('/fr')));
  // Admitted by the `teams` listener through its Namespace's label, refused once the label goes.
  kube.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a', labels: { gateway: 'shared' } } });
  kube.apply(route('HTTPRoute', 'team-a', 'team-route', [{ name: 'kong', namespace: 'default', sectionName: 'teams' }], toEcho('/team', 'echo', 'default')));
  kube.apply({ apiVersion: 'gateway.networking.k8s.io/v1beta1', kind: 'ReferenceGrant', metadata: { name: 'team-a-to-echo', namespace: 'default' }, spec: { from: [{ group: GW.split('/')[0], kind: 'HTTPRoute', namespace: 'team-a' }], to: [{ group: '', kind: 'Service' }] } });
  kube.apply(route('GRPCRoute', 'default', 'grpc', [{ name: 'kong' }], { matches: [{ method: { service: 'echo.Echo' } }], backendRefs: [{ name: 'echo', port: 80 }] }));

  const statusPort = await freePort();
  const env = { ...process.env } as Record<string, string>;
  delete env.KUBECONFIG;
  controller = spawn(BIN, ['ingress-controller', '--kubeconfig', kubeconfig, '--admin-url', gateway.admin,
    '--status-listen', `127.0.0.1:${statusPort}`, '--sync-debounce-ms', '100', '--resync-ms', '1000',
    '--leader-elect', 'false', '--publish-service', 'kong/proxy'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  controller.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  controller.stderr!.on('data', (c: Buffer) => (output += c.toString()));
});

after(async () => {
  if (controller !== undefined && controller.exitCode === null) {
    const exited = new Promise((resolve) => controller.once('exit', resolve));
    controller.kill('SIGTERM');
    await exited;
  }
  await gateway?.stop();
  await upstream?.close();
  await kube?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('GatewayClass, Gateway and route status for our controller', async () => {
  try {
    await statusScenario();
  } catch (err) {
    process.stderr.write(`controller output:\n${output}\n`);
    throw err;
  }
});

async function statusScenario(): Promise<void> {
  await waitUntil(async () => (await proxied('/gw')) === 200, WAIT, '/gw through the gateway');
  await waitUntil(() => ourParents('default', 'bad-section').length === 1 && cond(((statusOf('Gateway', 'default', 'kong').conditions) as Condition[] | undefined), 'Programmed')?.status === 'True', WAIT, 'route and Gateway status');

  // GatewayClass: ours accepted, the other left alone.
  const gcConditions = statusOf('GatewayClass', undefined, 'kong').conditions as Condition[];
  assert.equal(cond(gcConditions, 'Accepted')?.status, 'True');
  assert.equal(cond(gcConditions, 'Accepted')?.reason, 'Accepted');
  assert.equal(cond(gcConditions, 'Accepted')?.observedGeneration, kube.get('GatewayClass', undefined, 'kong')!.metadata.generation);
  assert.match(cond(gcConditions, 'Accepted')!.lastTransitionTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.deepEqual(statusOf('GatewayClass', undefined, 'other'), {});

  // The accepted route: both its parents' entries, ours with the parentRef echoed.
  const good = statusOf('HTTPRoute', 'default', 'good').parents as Parent[];
  assert.equal(good.length, 2);
  assert.equal(good[0].controllerName, 'example.com/other');
  const ours = good[1];
  assert.deepEqual(ours.parentRef, { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'kong' });
  assert.equal(ours.controllerName, OURS);
  assert.deepEqual(ours.conditions.map((c) => [c.type, c.status, c.reason]), [['Accepted', 'True', 'Accepted'], ['ResolvedRefs', 'True', 'ResolvedRefs']]);
  assert.equal(ours.conditions[0].observedGeneration, kube.get('HTTPRoute', 'default', 'good')!.metadata.generation);

  const reasons = (ns: string, name: string, kind = 'HTTPRoute') => ourParents(ns, name, kind)[0]?.conditions.map((c) => `${c.type}=${c.status}/${c.reason}`);
  assert.deepEqual(reasons('default', 'missing-backend'), ['Accepted=True/Accepted', 'ResolvedRefs=False/BackendNotFound']);
  assert.deepEqual(reasons('apps', 'other-ns'), ['Accepted=False/NotAllowedByListeners', 'ResolvedRefs=False/RefNotPermitted']);
  assert.deepEqual(ourParents('apps', 'other-ns')[0].parentRef, { group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace: 'default', name: 'kong', sectionName: 'http' });
  assert.deepEqual(reasons('default', 'bad-section'), ['Accepted=False/NoMatchingParent', 'ResolvedRefs=True/ResolvedRefs']);
  assert.deepEqual(reasons('default', 'grpc', 'GRPCRoute'), ['Accepted=True/Accepted', 'ResolvedRefs=True/ResolvedRefs']);
  assert.deepEqual(reasons('team-a', 'team-route'), ['Accepted=True/Accepted', 'ResolvedRefs=True/ResolvedRefs']);
  assert.equal(await proxied('/team'), 200);
  // A route of another controller's Gateway gets nothing from us.
  assert.deepEqual(statusOf('HTTPRoute', 'default', 'foreign-route'), {});
  assert.ok(!kube.statusWrites.some((w) => w.name === 'foreign-route' || w.name === 'foreign' || w.name === 'other'));

  // The Gateway: accepted, programmed, the publish Service's addresses, listeners with their attached routes.
  const gw = statusOf('Gateway', 'default', 'kong');
  assert.deepEqual((gw.conditions as Condition[]).map((c) => `${c.type}=${c.status}/${c.reason}`), ['Accepted=True/Accepted', 'Programmed=True/Programmed']);
  assert.deepEqual(gw.addresses, [{ type: 'IPAddress', value: '203.0.113.7' }, { type: 'Hostname', value: 'lb.example' }]);
  const listeners = gw.listeners as { name: string; attachedRoutes: number; supportedKinds: Obj[]; conditions: Condition[] }[];
  assert.deepEqual(listeners.map((l) => [l.name, l.attachedRoutes]), [['http', 3], ['tcp', 0], ['admin', 2], ['teams', 1]]);
  assert.deepEqual(listeners[0].supportedKinds, [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute' }, { group: 'gateway.networking.k8s.io', kind: 'GRPCRoute' }]);
  assert.equal(cond(listeners[0].conditions, 'Programmed')?.status, 'True');
  // TCP listeners take TCPRoutes, for the stream proxy.
  assert.deepEqual([cond(listeners[1].conditions, 'Accepted')?.status, cond(listeners[1].conditions, 'Accepted')?.reason], ['True', 'Accepted']);
  assert.deepEqual(listeners[1].supportedKinds, [{ group: 'gateway.networking.k8s.io', kind: 'TCPRoute' }]);
  assert.equal(statusOf('Gateway', 'default', 'foreign').conditions, undefined);

  // Settled: resyncs (every second) find nothing to write.
  const writes = kube.statusWrites.length;
  await new Promise((r) => setTimeout(r, 3000));
  assert.equal(kube.statusWrites.length, writes, `status rewritten without a change: ${JSON.stringify(kube.statusWrites.slice(writes))}`);

  // A route its Gateway refuses is not translated: nothing serves it until the section is fixed.
  assert.equal(await proxied('/bs'), 404);
  assert.match(output, /HTTPRoute default\/bad-section: not accepted by Gateway default\/kong \(NoMatchingParent\)/);

  // Changes: the missing Service appears, the bad section is fixed; transition times move only where status did.
  const acceptedSince = ourParents('default', 'missing-backend')[0].conditions[0].lastTransitionTime;
  await new Promise((r) => setTimeout(r, 1100));
  kube.apply({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'nope', namespace: 'default' }, spec: { ports: [{ name: 'http', port: 80 }] } });
  kube.apply(route('HTTPRoute', 'default', 'bad-section', [{ name: 'kong', sectionName: 'http' }], { matches: [{ path: { type: 'PathPrefix', value: '/bs' } }], backendRefs: [{ name: 'echo', port: 80 }] }));
  await waitUntil(() => reasons('default', 'missing-backend')?.[1] === 'ResolvedRefs=True/ResolvedRefs', WAIT, 'BackendNotFound cleared');
  await waitUntil(() => reasons('default', 'bad-section')?.[0] === 'Accepted=True/Accepted', WAIT, 'the fixed section accepted');
  const mb = ourParents('default', 'missing-backend')[0].conditions;
  assert.equal(mb[0].lastTransitionTime, acceptedSince);
  assert.notEqual(mb[1].lastTransitionTime, acceptedSince);
  assert.equal(ourParents('default', 'bad-section')[0].conditions[0].observedGeneration, 2);
  await waitUntil(() => ((statusOf('Gateway', 'default', 'kong').listeners as { attachedRoutes: number }[])[0].attachedRoutes === 4), WAIT, 'http listener counts 4 routes');
  await waitUntil(async () => (await proxied('/bs')) === 200, WAIT, 'the accepted route translated');

  // The Namespace loses the label the listener selects: its route is refused and no longer served.
  kube.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a', labels: { gateway: 'private' } } });
  await waitUntil(() => reasons('team-a', 'team-route')?.[0] === 'Accepted=False/NotAllowedByListeners', WAIT, 'the route refused by the selector');
  await waitUntil(async () => (await proxied('/team')) === 404, WAIT, 'the refused route no longer served');
  assert.doesNotMatch(output, /could not update the status/);
}
