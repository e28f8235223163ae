import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toK8sObject, type K8sObject } from '../objects.ts';
import { gatewayApiStatus, statusPatches } from './gateway-status.ts';

const GW = 'gateway.networking.k8s.io/v1';

function objects(status: Map<string, unknown> = new Map()): K8sObject[] {
  const raw = [
    { apiVersion: GW, kind: 'GatewayClass', metadata: { name: 'kong', generation: 1 }, spec: { controllerName: 'konghq.com/kic-gateway-controller' } },
    { apiVersion: GW, kind: 'Gateway', metadata: { name: 'kong', namespace: 'default', generation: 3 }, spec: { gatewayClassName: 'kong', listeners: [{ name: 'http', protocol: 'HTTP', port: 80, hostname: '*.example.com' }] } },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'echo', namespace: 'default' }, spec: {} },
    { apiVersion: GW, kind: 'HTTPRoute', metadata: { name: 'a', namespace: 'default', generation: 2 }, spec: { parentRefs: [{ name: 'kong' }], hostnames: ['a.example.com'], rules: [{ backendRefs: [{ name: 'echo', port: 80 }] }] } },
    { apiVersion: GW, kind: 'HTTPRoute', metadata: { name: 'b', namespace: 'default', generation: 1 }, spec: { parentRefs: [{ name: 'kong' }], hostnames: ['b.other.org'], rules: [{ backendRefs: [{ name: 'echo', kind: 'Pod', port: 80 }] }] } },
  ];
  return raw.map((r) => {
    const s = status.get(`${r.kind}/${r.metadata.name}`);
    return toK8sObject(s === undefined ? r : { ...r, status: s }) as K8sObject;
  });
}

/** The same JSON with every object's keys in reverse order, as another serializer might write them. */
function reordered(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reordered);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).reverse().map(([k, v]) => [k, reordered(v)]));
  return value;
}

test('route hostnames against listener hostnames, backend kinds, generations', () => {
  const updates = gatewayApiStatus({ objects: objects(), addresses: [], programmed: false, now: '2026-01-01T00:00:00Z' });
  const route = (name: string) => (updates.find((u) => u.kind === 'HTTPRoute' && u.name === name)!.status.parents as { conditions: { type: string; status: string; reason: string; observedGeneration: number }[] }[])[0];
  assert.deepEqual(route('a').conditions.map((c) => [c.type, c.status, c.reason, c.observedGeneration]), [['Accepted', 'True', 'Accepted', 2], ['ResolvedRefs', 'True', 'ResolvedRefs', 2]]);
  assert.deepEqual(route('b').conditions.map((c) => [c.type, c.status, c.reason]), [['Accepted', 'False', 'NoMatchingListenerHostname'], ['ResolvedRefs', 'False', 'InvalidKind']]);
  const gateway = updates.find((u) => u.kind === 'Gateway')!.status as { conditions: { type: string; status: string; reason: string }[]; addresses?: unknown; listeners: { attachedRoutes: number }[] };
  assert.deepEqual(gateway.conditions.map((c) => [c.type, c.status, c.reason]), [['Accepted', 'True', 'Accepted'], ['Programmed', 'False', 'Pending']]);
  assert.equal(gateway.addresses, undefined);
  assert.equal(gateway.listeners[0].attachedRoutes, 1);
});

test('a status read back in another key order is not written again; a change keeps unchanged transition times', () => {
  const first = gatewayApiStatus({ objects: objects(), addresses: [{ ip: '192.0.2.1' }], programmed: true, now: '2026-01-01T00:00:00Z' });
  assert.equal(statusPatches(objects(), first).length, first.length);
  const stored = new Map(first.map((u) => [`${u.kind}/${u.name}`, reordered(u.status)]));
  const again = gatewayApiStatus({ objects: objects(stored), addresses: [{ ip: '192.0.2.1' }], programmed: true, now: '2026-02-02T00:00:00Z' });
  assert.deepEqual(statusPatches(objects(stored), again), []);
  // Not programmed any more: only that condition moves, and the dropped addresses are removed with null.
  const later = gatewayApiStatus({ objects: objects(stored), addresses: [], programmed: false, now: '2026-03-03T00:00:00Z' });
  const patches = statusPatches(objects(stored), later);
  assert.deepEqual(patches.map((p) => p.kind), ['Gateway']);
  const patch = patches[0].patch.status as { addresses: unknown; conditions: { type: string; lastTransitionTime: string }[] };
  assert.equal(patch.addresses, null);
  assert.deepEqual(patch.conditions.map((c) => [c.type, c.lastTransitionTime]), [['Accepted', '2026-01-01T00:00:00Z'], ['Programmed', '2026-03-03T00:00:00Z']]);
});

test('stream listeners take their own route kinds: TCPRoute on TCP, UDPRoute on UDP, TLSRoute on TLS', () => {
  const raw = [
    { apiVersion: GW, kind: 'GatewayClass', metadata: { name: 'kong', generation: 1 }, spec: { controllerName: 'konghq.com/kic-gateway-controller' } },
    {
      apiVersion: GW, kind: 'Gateway', metadata: { name: 'kong', namespace: 'default', generation: 1 },
      spec: { gatewayClassName: 'kong', listeners: [
        { name: 'tcp', protocol: 'TCP', port: 9000 }, { name: 'udp', protocol: 'UDP', port: 9053 },
        { name: 'tls', protocol: 'TLS', port: 9443, tls: { mode: 'Passthrough' } }, { name: 'sctp', protocol: 'SCTP', port: 9999 },
      ] },
    },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'echo', namespace: 'default' }, spec: {} },
    { apiVersion: 'gateway.networking.k8s.io/v1alpha2', kind: 'TCPRoute', metadata: { name: 't', namespace: 'default', generation: 1 }, spec: { parentRefs: [{ name: 'kong', sectionName: 'tcp' }], rules: [{ backendRefs: [{ name: 'echo', port: 1 }] }] } },
    { apiVersion: 'gateway.networking.k8s.io/v1alpha2', kind: 'UDPRoute', metadata: { name: 'u', namespace: 'default', generation: 1 }, spec: { parentRefs: [{ name: 'kong', sectionName: 'tcp' }], rules: [{ backendRefs: [{ name: 'echo', port: 1 }] }] } },
    { apiVersion: 'gateway.networking.k8s.io/v1alpha2', kind: 'TLSRoute', metadata: { name: 's', namespace: 'default', generation: 1 }, spec: { parentRefs: [{ name: 'kong' }], hostnames: ['a.example'], rules: [{ backendRefs: [{ name: 'echo', port: 1 }] }] } },
  ].map((r) => toK8sObject(r) as K8sObject);
  const updates = gatewayApiStatus({ objects: raw, addresses: [], programmed: true, now: '2026-01-01T00:00:00Z' });
  const accepted = (kind: string) => ((updates.find((u) => u.kind === kind)!.status.parents as { conditions: { type: string; status: string; reason: string }[] }[])[0].conditions[0]);
  assert.deepEqual([accepted('TCPRoute').status, accepted('TLSRoute').status], ['True', 'True']);
  // A UDPRoute pointed at a TCP listener is not taken.
  assert.deepEqual([accepted('UDPRoute').status, accepted('UDPRoute').reason], ['False', 'NotAllowedByListeners']);
  const listeners = (updates.find((u) => u.kind === 'Gateway')!.status as { listeners: { name: string; attachedRoutes: number; supportedKinds: { kind: string }[]; conditions: { type: string; status: string; reason: string }[] }[] }).listeners;
  assert.deepEqual(listeners.map((l) => [l.name, l.supportedKinds.map((k) => k.kind).join(','), l.attachedRoutes]), [['tcp', 'TCPRoute', 1], ['udp', 'UDPRoute', 0], ['tls', 'TLSRoute', 1], ['sctp', '', 0]]);
  assert.deepEqual(listeners[3].conditions.find((c) => c.type === 'Accepted'), { ...listeners[3].conditions.find((c) => c.type === 'Accepted'), status: 'False', reason: 'UnsupportedProtocol' });
});
