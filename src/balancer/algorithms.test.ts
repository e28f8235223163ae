import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConsistentHashingBalancer, LatencyBalancer, LeastConnectionsBalancer, RoundRobinBalancer } from './algorithms.ts';
import { compileHashInput } from './hash-input.ts';
import type { BalancerRequest, BalancerTarget, TargetBalancer } from './types.ts';

/** A request whose hash inputs are given directly. */
function request(fields: Partial<{ ip: string; headers: Record<string, string>; cookies: Record<string, string>; path: string; query: Record<string, string>; captures: Record<string, string>; consumer: string }> = {}): BalancerRequest {
  return {
    clientIp: fields.ip ?? '127.0.0.1',
    path: fields.path ?? '/',
    consumerKey: fields.consumer,
    header: (name) => fields.headers?.[name],
    cookie: (name) => fields.cookies?.[name],
    queryArg: (name) => fields.query?.[name],
    uriCapture: (name) => fields.captures?.[name],
    hashValue: null,
    hashCookie: null,
  };
}

const targets = (...weights: number[]): BalancerTarget[] => weights.map((weight, i) => ({ host: `10.0.0.${i + 1}`, port: 8080, weight }));
const byIp = compileHashInput({ id: 'u', name: 'u', host_header: null, hash_on: 'ip' });

/** Every algorithm, built over the same targets; a pick is given a fresh request with a varying client address. */
const ALGORITHMS: Record<string, (t: BalancerTarget[]) => TargetBalancer> = {
  'round-robin': (t) => new RoundRobinBalancer(t),
  'consistent-hashing': (t) => new ConsistentHashingBalancer(t, 10_000, byIp),
  'least-connections': (t) => new LeastConnectionsBalancer(t),
  latency: (t) => new LatencyBalancer(t),
};

/** Picks `n` times, releasing each try at once (as a finished request would). */
function picks(b: TargetBalancer, n: number): number[] {
  const out: number[] = [];
  for (let k = 0; k < n; k++) {
    const i = b.pick(b.hashes ? request({ ip: `192.0.2.${k % 250}`, headers: {}, path: `/${k}` }) : null, null);
    out.push(i);
    if (i !== -1) b.release?.(i, 1);
  }
  return out;
}

for (const [name, make] of Object.entries(ALGORITHMS)) {
  describe(`balancer contract: ${name}`, () => {
    test('no target with a weight above zero: no pick', () => {
      assert.deepEqual(picks(make(targets(0, 0)), 3), [-1, -1, -1]);
      assert.deepEqual(picks(make([]), 2), [-1, -1]);
    });

    test('a target of weight zero is never picked; the others all are', () => {
      const seen = new Set(picks(make(targets(1, 0, 1)), 300));
      assert.deepEqual([...seen].sort(), [0, 2]);
    });

    test('a single target takes everything', () => {
      assert.deepEqual(new Set(picks(make(targets(5)), 20)), new Set([0]));
    });

    test('an unhealthy target is skipped; with every target unhealthy, no pick', () => {
      const b = make(targets(1, 1, 1));
      b.down[1] = 1;
      assert.deepEqual([...new Set(picks(b, 300))].sort(), [0, 2]);
      b.down[0] = b.down[2] = 1;
      assert.deepEqual(picks(b, 3), [-1, -1, -1]);
      b.down.fill(0);
      assert.deepEqual([...new Set(picks(b, 300))].sort(), [0, 1, 2]);
    });
  });
}

describe('round-robin', () => {
  test('cycles through equal targets and follows the weights', () => {
    const b = new RoundRobinBalancer(targets(1, 1, 1));
    assert.deepEqual(new Set(picks(b, 3)), new Set([0, 1, 2]));
    const counts = [0, 0];
    for (const i of picks(new RoundRobinBalancer(targets(3, 1)), 400)) counts[i]++;
    assert.deepEqual(counts, [300, 100]);
  });
});

describe('consistent-hashing', () => {
  test('the same value always reaches the same target, and retries keep it', () => {
    const b = new ConsistentHashingBalancer(targets(1, 1, 1), 10_000, byIp);
    const first = b.pick(request({ ip: '198.51.100.7' }), null);
    for (let k = 0; k < 20; k++) assert.equal(b.pick(request({ ip: '198.51.100.7' }), null), first);
    const r = request({ ip: '198.51.100.7' });
    assert.equal(b.pick(r, null), first);
    assert.equal(b.pick(r, [first]), first, 'Kong retries a hashed request on the same target');
  });

  test('values spread over the targets in proportion to their weights', () => {
    const b = new ConsistentHashingBalancer(targets(1, 1, 2), 10_000, byIp);
    const counts = [0, 0, 0];
    for (let k = 0; k < 4000; k++) counts[b.pick(request({ ip: `10.${k >> 8}.${k & 255}.1` }), null)]++;
    for (const [i, expected] of [[0, 1000], [1, 1000], [2, 2000]]) {
      assert.ok(Math.abs(counts[i] - expected) < expected * 0.3, `target ${i}: ${counts[i]} of 4000 (expected about ${expected})`);
    }
  });

  test('removing a target moves only the values it held', () => {
    const all = new ConsistentHashingBalancer(targets(1, 1, 1), 10_000, byIp);
    const two = new ConsistentHashingBalancer(targets(1, 1, 1).slice(0, 2), 10_000, byIp);
    let moved = 0;
    for (let k = 0; k < 2000; k++) {
      const ip = `172.16.${k >> 8}.${k & 255}`;
      const before = all.pick(request({ ip }), null);
      const after = two.pick(request({ ip }), null);
      if (before !== 2) assert.equal(after, before, `${ip} stayed on its target`);
      else moved++;
    }
    assert.ok(moved > 400, `the removed target held ${moved} of 2000 values`);
  });

  test('the value is computed once per request', () => {
    let reads = 0;
    const b = new ConsistentHashingBalancer(targets(1, 1), 10_000, () => `v${reads++}`);
    const r = request();
    b.pick(r, null);
    b.pick(r, [0]);
    assert.equal(reads, 1);
    assert.equal(r.hashValue, 'v0');
  });
});

describe('hash inputs', () => {
  const input = (fields: Record<string, string>) => compileHashInput({ id: 'u', name: 'u', host_header: null, ...fields });

  test('hash_on, then hash_fallback, then the empty string', () => {
    const h = input({ hash_on: 'header', hash_on_header: 'X-Tenant', hash_fallback: 'query_arg', hash_fallback_query_arg: 'user' });
    assert.equal(h(request({ headers: { 'x-tenant': 'acme' }, query: { user: 'bob' } })), 'acme');
    assert.equal(h(request({ query: { user: 'bob' } })), 'bob');
    assert.equal(h(request()), '');
  });

  test('consumer, ip, path and uri_capture', () => {
    assert.equal(input({ hash_on: 'consumer' })(request({ consumer: 'c-1' })), 'c-1');
    assert.equal(input({ hash_on: 'ip' })(request({ ip: '203.0.113.9' })), '203.0.113.9');
    assert.equal(input({ hash_on: 'path' })(request({ path: '/a/b' })), '/a/b');
    assert.equal(input({ hash_on: 'uri_capture', hash_on_uri_capture: 'id' })(request({ captures: { id: '42' } })), '42');
    assert.equal(input({ hash_on: 'none' })(request({ ip: '203.0.113.9' })), '');
  });

  test('cookie: the client’s value, or a new one the response sets', () => {
    const h = input({ hash_on: 'cookie', hash_on_cookie: 'sticky', hash_on_cookie_path: '/app' });
    const known = request({ cookies: { sticky: 'abc' } });
    assert.equal(h(known), 'abc');
    assert.equal(known.hashCookie, null);
    const fresh = request();
    const value = h(fresh);
    assert.match(value, /^[0-9a-f-]{36}$/);
    assert.deepEqual(fresh.hashCookie, { name: 'sticky', value, path: '/app' });
  });
});

describe('least-connections', () => {
  test('picks the target with the fewest requests in flight per weight, and counts releases', () => {
    const b = new LeastConnectionsBalancer(targets(1, 1, 2));
    const held = [b.pick(null, null), b.pick(null, null), b.pick(null, null), b.pick(null, null)];
    assert.deepEqual(b.active, [1, 1, 2], 'the double-weight target carries twice as many');
    b.release(held[0], 5);
    const freed = held[0];
    assert.equal(b.pick(null, null), freed, 'the target just released is now the least loaded');
  });

  test('a retry avoids the targets the request failed on, until it has failed on all', () => {
    const b = new LeastConnectionsBalancer(targets(1, 1));
    assert.equal(b.pick(null, [0]), 1);
    b.release(1, -1);
    assert.notEqual(b.pick(null, [0, 1]), -1, 'all failed: any target again');
  });
});

describe('latency', () => {
  test('unmeasured targets first, then the fastest; a slow target is tried again once its samples fade', () => {
    let now = 100;
    const b = new LatencyBalancer(targets(1, 1), () => now);
    const a = b.pick(null, null);
    const other = b.pick(null, null);
    assert.notEqual(a, other, 'both unmeasured targets are tried');
    b.release(a, 200);
    b.release(other, 5);
    for (let k = 0; k < 10; k++) {
      assert.equal(b.pick(null, null), other);
      b.release(other, 5);
    }
    assert.equal(b.pick(null, [other]), a, 'a retry avoids the failed target');
    now += 60; // six decay times: both scores fade towards zero, the slow one from higher up
    const [sa, so] = [b.scores()[a], b.scores()[other]];
    assert.ok(sa < 1 && so < 0.02, `faded scores ${sa}, ${so}`);
  });

  test('the pick is always the target with the lowest faded score (random samples at random times)', () => {
    let now = 0;
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const b = new LatencyBalancer(targets(1, 2, 3, 1, 5), () => now);
    for (let round = 0; round < 500; round++) {
      now += random() * 8;
      b.release(Math.floor(random() * 5), random() * 300);
      now += random() * 8;
      const scores = b.scores();
      const picked = b.pick(null, null);
      assert.equal(scores[picked], Math.min(...scores), `round ${round}: picked ${picked} with ${scores[picked]}, lowest ${Math.min(...scores)}`);
    }
  });

  test('scores are divided by weight', () => {
    const b = new LatencyBalancer(targets(1, 4), () => 0);
    b.release(0, 10);
    b.release(1, 20);
    assert.equal(b.pick(null, null), 1, '20 ms / 4 beats 10 ms / 1');
  });
});
