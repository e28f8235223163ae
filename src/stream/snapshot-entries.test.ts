/** Stream entries as the snapshot compiles them: service, TLS upstream, timeouts, refusals, ip-restriction, balancers. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConnectionPools } from '../balancer/connection-pools.ts';
import { compileSnapshot } from '../snapshot/compile.ts';
import type { SnapshotInput } from '../snapshot/types.ts';

const service = (id: string, protocol: string, host: string, port = 9000) => ({
  id, name: id, protocol, host, port, path: null, retries: 5, connect_timeout: 1000, write_timeout: 2000, read_timeout: 3000, enabled: true, tls_verify: null,
});
const route = (id: string, serviceId: string, fields: Record<string, unknown>) => ({
  id, name: id, created_at: 1, service: { id: serviceId }, protocols: ['tcp'], methods: null, hosts: null, paths: null, headers: null, snis: null,
  regex_priority: 0, strip_path: true, preserve_host: false, path_handling: 'v0', https_redirect_status_code: 426, ...fields,
});

test('stream routes compile into the snapshot stream router, HTTP routes do not', () => {
  const input = {
    services: [service('plain', 'tcp', '127.0.0.1'), service('secure', 'tls', 'backend.example'), service('pooled', 'tcp', 'pool'), service('web', 'http', '127.0.0.1')],
    routes: [
      route('r-plain', 'plain', { destinations: [{ port: 1 }] }),
      route('r-secure', 'secure', { destinations: [{ port: 2 }] }),
      route('r-pooled', 'pooled', { destinations: [{ port: 3 }] }),
      route('r-refused', 'plain', { destinations: [{ port: 4 }] }),
      route('r-web', 'web', { protocols: ['http'], paths: ['/'] }),
    ],
    upstreams: [{ id: 'u', name: 'pool', host_header: null, algorithm: 'round-robin' }],
    targets: [{ id: 't1', target: '10.0.0.1:1', weight: 100, upstream: { id: 'u' } }, { id: 't2', target: '10.0.0.2:1', weight: 100, upstream: { id: 'u' } }],
    plugins: [{ id: 'p', name: 'ip-restriction', route: { id: 'r-plain' }, service: null, consumer: null, config: { deny: ['10.0.0.0/8'] }, protocols: ['tcp'], enabled: true }],
    consumers: [],
  } as unknown as SnapshotInput;
  const pools = new ConnectionPools({ poolSize: 1, keepAliveTimeout: 1000, maxRequestsPerConnection: 1 });
  const snapshot = compileSnapshot(input, { flavor: 'traditional_compatible', pools, hash: '1'.repeat(32), refusals: { 'r-refused': 'plugin x is missing' } });
  assert.equal(snapshot.stream.size, 4);
  const at = (port: number) => snapshot.stream.match({ protocol: 'tcp', sni: null, sourceIp: '127.0.0.1', sourcePort: 1, destinationIp: '127.0.0.1', destinationPort: port });
  const plain = at(1)!;
  assert.deepEqual([plain.upstreamTls, plain.origin?.connectTimeout, plain.readTimeout, plain.writeTimeout, plain.refusal], [false, 1000, 3000, 2000, null]);
  assert.equal(plain.access?.allows('10.1.1.1'), false);
  assert.equal(plain.access?.allows('127.0.0.1'), true);
  assert.equal(at(2)!.upstreamTls, true);
  assert.equal(at(4)!.refusal, 'plugin x is missing');
  const pooled = at(3)!;
  const picked = new Set([pooled.peers!.pick(null, null)!.address, pooled.peers!.pick(null, null)!.address]);
  assert.deepEqual([...picked].sort(), ['10.0.0.1:1', '10.0.0.2:1']);
  // The upstream's balancer is the snapshot's: health announcements reach stream traffic too.
  assert.ok(snapshot.balancers.has('u'));
});
