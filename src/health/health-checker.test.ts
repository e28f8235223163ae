import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HealthChecker } from './health-checker.ts';

const passive = { passive: { unhealthy: { http_failures: 1 } } };

function checker() {
  const announced: string[][] = [];
  const logged: string[] = [];
  const c = new HealthChecker((unhealthy) => announced.push(unhealthy), { notice: (m) => logged.push(m) });
  return { c, announced, logged };
}

const config = (healthchecks: unknown, targets: string[]) => ({
  upstreams: [{ id: 'u1', name: 'orders', host_header: null, healthchecks }],
  targets: targets.map((target) => ({ target, upstream: { id: 'u1' } })),
});

test('passive reports flip a target and announce the full unhealthy list; upstreams without checks ignore them', () => {
  const { c, announced, logged } = checker();
  c.update(config(passive, ['10.0.0.1:80', '10.0.0.2:80']));
  c.report('u1', '10.0.0.1:80', 'http_failure');
  assert.deepEqual(announced, [['u1 10.0.0.1:80']]);
  assert.match(logged[0], /upstream orders: target 10\.0\.0\.1:80 is unhealthy \(passive check: http failure\)/);

  const off = checker();
  off.c.update(config(undefined, ['10.0.0.1:80']));
  off.c.report('u1', '10.0.0.1:80', 'http_failure');
  assert.deepEqual(off.announced, []);
  assert.deepEqual(off.c.targetsOf('u1'), [{ key: '10.0.0.1:80', healthy: null }], 'HEALTHCHECKS_OFF');
});

test('a new configuration keeps the state of targets that stay and drops the ones removed', () => {
  const { c, announced } = checker();
  c.update(config(passive, ['10.0.0.1:80', '10.0.0.2:80']));
  c.report('u1', '10.0.0.1:80', 'http_failure');
  c.update(config({ ...passive, threshold: 10 }, ['10.0.0.1:80', '10.0.0.3:80']));
  assert.deepEqual(c.unhealthy(), ['u1 10.0.0.1:80'], 'kept across a change of settings');
  c.update(config(passive, ['10.0.0.3:80']));
  assert.deepEqual(c.unhealthy(), []);
  assert.deepEqual(announced.at(-1), [], 'the removal is announced');
  c.update({ upstreams: [], targets: [] });
  assert.deepEqual(c.targetsOf('u1'), []);
});

test('an operator sets a known target; an unknown one is refused', () => {
  const { c, announced } = checker();
  c.update(config(undefined, ['10.0.0.1:80', 'api.internal']));
  assert.equal(c.set('u1', '10.0.0.1:80', false), true);
  assert.deepEqual(c.targetsOf('u1').find((t) => t.key === '10.0.0.1:80'), { key: '10.0.0.1:80', healthy: false });
  assert.equal(c.set('u1', 'api.internal:8000', false), true, 'a target without port has Kong\'s 8000');
  assert.equal(c.set('u1', '10.9.9.9:80', true), false);
  assert.equal(c.set('nope', '10.0.0.1:80', true), false);
  assert.equal(announced.length, 2);
  c.stop();
});
