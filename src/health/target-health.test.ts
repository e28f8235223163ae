import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TargetHealth, type HealthThresholds } from './target-health.ts';
import { readHealthSettings, statusOutcome } from './settings.ts';

const limits: HealthThresholds = { successes: 2, tcp_failures: 3, timeouts: 2, http_failures: 1 };

test('a failure count reaching its threshold makes the target unhealthy; successes in a row bring it back', () => {
  const h = new TargetHealth();
  assert.equal(h.record('timeout', limits), false);
  assert.equal(h.record('timeout', limits), true);
  assert.equal(h.healthy, false);
  assert.equal(h.record('success', limits), false);
  assert.equal(h.record('success', limits), true);
  assert.equal(h.healthy, true);
});

test('only unbroken runs count: a success clears the failures, a failure clears the successes', () => {
  const h = new TargetHealth();
  h.record('tcp_failure', limits);
  h.record('tcp_failure', limits);
  h.record('success', limits);
  h.record('tcp_failure', limits);
  h.record('tcp_failure', limits);
  assert.equal(h.healthy, true, 'two, a success, then two: never three in a row');
  h.set(false);
  h.record('success', limits);
  h.record('http_failure', limits);
  h.record('success', limits);
  assert.equal(h.healthy, false);
});

test('a threshold of zero never changes the state', () => {
  const h = new TargetHealth();
  const off: HealthThresholds = { successes: 0, tcp_failures: 0, timeouts: 0, http_failures: 0 };
  for (let k = 0; k < 300; k++) h.record('http_failure', off);
  assert.equal(h.healthy, true);
  h.set(false);
  for (let k = 0; k < 300; k++) h.record('success', off);
  assert.equal(h.healthy, false, 'only active checks with successes, or an operator, bring it back');
});

test('health settings: off by default; on when an interval or a failure threshold is set', () => {
  assert.deepEqual(readHealthSettings(undefined), { active: null, passive: null });
  const s = readHealthSettings({ passive: { type: 'tcp', unhealthy: { timeouts: 3 } }, active: { healthy: { interval: 5 } } });
  assert.equal(s.passive?.type, 'tcp');
  assert.equal(s.passive?.thresholds.timeouts, 3);
  assert.equal(s.active?.healthyInterval, 5);
  assert.equal(s.active?.httpPath, '/');
  assert.equal(statusOutcome(500, s.passive!.healthyStatuses, s.passive!.unhealthyStatuses), 'http_failure');
  assert.equal(statusOutcome(204, s.passive!.healthyStatuses, s.passive!.unhealthyStatuses), 'success');
  assert.equal(statusOutcome(404, s.passive!.healthyStatuses, s.passive!.unhealthyStatuses), null);
});
