import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseBenchOptions } from './options.ts';

test('defaults: 10 s, 3 rounds, 64 connections, 3000 req/s, all contestants, 1 and 2 workers', () => {
  const options = parseBenchOptions([]);
  assert.equal(options.durationSeconds, 10);
  assert.equal(options.rounds, 3);
  assert.equal(options.connections, 64);
  assert.equal(options.rate, 3000);
  assert.deepEqual(options.contestants, ['upstream', 'nginx', 'minimal-node', 'tollgate', 'tollgate-noop', 'tollgate-async', 'tollgate-key-auth', 'tollgate-basic-auth', 'tollgate-jwt-hs256', 'tollgate-jwt-rs256', 'tollgate-prometheus', 'tollgate-proxy-cache-hit', 'tollgate-http-log-dead', 'tollgate-key-auth-rl-local', 'tollgate-key-auth-rl-redis', 'tollgate-otel']);
  const withBaseline = parseBenchOptions(['--baseline', '/tmp/old-tollgate']);
  assert.equal(withBaseline.contestants.at(-1), 'tollgate-baseline');
  assert.equal(withBaseline.baselineRoot, '/tmp/old-tollgate');
  assert.deepEqual(options.workers, [1, 2]);
  assert.equal(options.pin, 'auto');
  assert.equal(options.profile, false);
  assert.equal(options.tollgateReadySeconds, 20);
});

test('--only accepts aliases, keeps report order and drops duplicates', () => {
  assert.deepEqual(parseBenchOptions(['--only', 'tollgate,node,nginx,nginx']).contestants, ['nginx', 'minimal-node', 'tollgate']);
});

test('--only rejects unknown names with the list of valid ones', () => {
  assert.throws(() => parseBenchOptions(['--only', 'envoy']), /unknown contestant "envoy".*upstream, nginx, minimal-node, tollgate/);
});

test('--workers parses a list', () => {
  assert.deepEqual(parseBenchOptions(['--workers', '2']).workers, [2]);
  assert.deepEqual(parseBenchOptions(['--workers', '1, 2']).workers, [1, 2]);
  assert.throws(() => parseBenchOptions(['--workers', '0']), /--workers must be a whole number >= 1/);
});

test('numbers are validated', () => {
  assert.throws(() => parseBenchOptions(['--duration', 'abc']), /--duration must be a number >= 1/);
  assert.throws(() => parseBenchOptions(['--rounds', '1.5']), /--rounds must be a whole number/);
  assert.equal(parseBenchOptions(['--duration', '2', '--rounds', '1']).durationSeconds, 2);
});

test('--pin and --profile and --tollgate-env', () => {
  assert.equal(parseBenchOptions(['--pin', 'off']).pin, 'off');
  assert.throws(() => parseBenchOptions(['--pin', 'yes']), /--pin must be auto or off/);
  assert.equal(parseBenchOptions(['--profile']).profile, true);
  assert.deepEqual(parseBenchOptions(['--tollgate-env', 'A=1', '--tollgate-env', 'B=x=y']).tollgateEnv, { A: '1', B: 'x=y' });
  assert.throws(() => parseBenchOptions(['--tollgate-env', 'novalue']), /KEY=VALUE/);
});

test('unknown flags are refused', () => {
  assert.throws(() => parseBenchOptions(['--frobnicate']));
});
