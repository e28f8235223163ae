import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { StreamRouter, streamPriority, type StreamConnection, type StreamRouteFields } from './router.ts';

let t = 0;
function route(id: string, fields: Partial<StreamRouteFields>): { route: StreamRouteFields; payload: string } {
  return { route: { id, created_at: ++t, protocols: ['tcp', 'tls'], snis: null, sources: null, destinations: null, ...fields }, payload: id };
}

function conn(fields: Partial<StreamConnection>): StreamConnection {
  return { protocol: 'tcp', sni: null, sourceIp: '127.0.0.1', sourcePort: 40000, destinationIp: '127.0.0.1', destinationPort: 9000, ...fields };
}

describe('stream router', () => {
  test('sources and destinations match by CIDR and port', () => {
    const router = new StreamRouter([
      route('src', { sources: [{ ip: '10.0.0.0/8' }] }),
      route('dst', { destinations: [{ ip: '192.168.1.1', port: 9001 }] }),
    ]);
    assert.equal(router.match(conn({ sourceIp: '10.2.3.4' })), 'src');
    assert.equal(router.match(conn({ destinationIp: '192.168.1.1', destinationPort: 9001 })), 'dst');
    assert.equal(router.match(conn({ destinationIp: '192.168.1.1', destinationPort: 9002 })), null);
  });

  test('a snis route beats a sources-only or destinations-only route', () => {
    const router = new StreamRouter([
      route('src', { sources: [{ ip: '127.0.0.1' }] }),
      route('dst', { destinations: [{ port: 9000 }] }),
      route('sni', { protocols: ['tls'], snis: ['a.test'] }),
    ]);
    assert.equal(router.match(conn({ protocol: 'tls', sni: 'a.test' })), 'sni');
  });

  test('a sources + destinations route beats a snis-only route', () => {
    const router = new StreamRouter([
      route('sni', { protocols: ['tls'], snis: ['a.test'] }),
      route('both', { sources: [{ ip: '127.0.0.1' }], destinations: [{ port: 9000 }] }),
    ]);
    assert.equal(router.match(conn({ protocol: 'tls', sni: 'a.test' })), 'both');
  });

  test('wildcard SNIs, leading and trailing; equal ranks go to the older route', () => {
    const router = new StreamRouter([
      route('exact', { protocols: ['tls'], snis: ['a.example.com'] }),
      route('lead', { protocols: ['tls'], snis: ['*.example.com'] }),
      route('trail', { protocols: ['tls'], snis: ['shop.*'] }),
    ]);
    assert.equal(router.match(conn({ protocol: 'tls', sni: 'a.example.com' })), 'exact');
    assert.equal(router.match(conn({ protocol: 'tls', sni: 'b.example.com' })), 'lead');
    assert.equal(router.match(conn({ protocol: 'tls', sni: 'shop.test' })), 'trail');
    assert.equal(router.match(conn({ protocol: 'tls', sni: 'example.com' })), null);
    assert.equal(router.match(conn({ protocol: 'tls', sni: null })), null);
  });

  test("Kong's endpoint weights: source ip > source port > source CIDR > destination ip > destination port > destination CIDR", () => {
    const c = conn({ sourceIp: '10.0.0.1', sourcePort: 5000, destinationIp: '192.168.0.1', destinationPort: 9000 });
    const order = [
      route('dst-cidr', { destinations: [{ ip: '192.168.0.0/24' }] }),
      route('dst-port', { destinations: [{ port: 9000 }] }),
      route('dst-ip', { destinations: [{ ip: '192.168.0.1' }] }),
      route('src-cidr', { sources: [{ ip: '10.0.0.0/8' }] }),
      route('src-port', { sources: [{ port: 5000 }] }),
      route('src-ip', { sources: [{ ip: '10.0.0.1' }] }),
    ];
    for (let i = 0; i < order.length; i++) {
      assert.equal(new StreamRouter(order.slice(0, i + 1)).match(c), order[i].payload);
    }
    assert.equal(streamPriority(order[5].route) > streamPriority(route('x', { destinations: [{ ip: '192.168.0.1', port: 9000 }] }).route), true);
  });

  test('protocols: udp and tls_passthrough only match their own connections; a passthrough connection falls back to tcp routes without snis', () => {
    const router = new StreamRouter([
      route('udp', { protocols: ['udp'], destinations: [{ port: 53 }] }),
      route('pass', { protocols: ['tls_passthrough'], snis: ['p.test'] }),
      route('tcp', { protocols: ['tcp'], destinations: [{ port: 9000 }] }),
    ]);
    assert.equal(router.hasPassthrough, true);
    assert.equal(router.match(conn({ destinationPort: 53 })), null);
    assert.equal(router.match(conn({ protocol: 'udp', destinationPort: 53 })), 'udp');
    assert.equal(router.match(conn({ protocol: 'tls_passthrough', sni: 'p.test' })), 'pass');
    assert.equal(router.match(conn({ protocol: 'tls_passthrough', sni: 'other.test' })), 'tcp');
    assert.equal(router.match(conn({ protocol: 'tls', sni: 'p.test' })), null);
  });

  test('routes of equal rank: the older one wins; HTTP routes are ignored', () => {
    const router = new StreamRouter([
      route('first', { destinations: [{ port: 9000 }] }),
      route('second', { destinations: [{ port: 9000 }] }),
      { route: { id: 'http', created_at: 0, protocols: ['http'], snis: null }, payload: 'http' },
    ]);
    assert.equal(router.size, 2);
    assert.equal(router.match(conn({})), 'first');
  });

  test('expression routes (router_flavor = expressions): stream fields, their priority, refused expressions reported', () => {
    const refused: string[] = [];
    const router = new StreamRouter([
      route('low', { expression: 'net.dst.port == 9000', priority: 1 }),
      route('high', { expression: 'net.dst.port == 9000 && net.src.ip in 10.0.0.0/8', priority: 5 }),
      route('sni', { protocols: ['tls'], expression: 'tls.sni =^ ".example.com" && net.protocol == "tls"', priority: 9 }),
      route('bad', { expression: 'http.path == "/"', priority: 100 }),
    ], (id, reason) => refused.push(`${id}: ${reason}`));
    assert.equal(router.match(conn({ sourceIp: '10.1.1.1' })), 'high');
    assert.equal(router.match(conn({ sourceIp: '192.0.2.1' })), 'low');
    assert.equal(router.match(conn({ destinationPort: 9001 })), null);
    assert.equal(router.match(conn({ protocol: 'tls', sni: 'a.example.com', destinationPort: 1 })), 'sni');
    assert.equal(refused.length, 1);
    assert.match(refused[0], /^bad: /);
  });
});
