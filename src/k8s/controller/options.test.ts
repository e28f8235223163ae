import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseControllerArgs } from './options.ts';
import { parseProblem } from './events.ts';
import { publishedAddresses } from './ingress-status.ts';
import { toK8sObject, type K8sObject } from '../objects.ts';

test('defaults, and POD_NAMESPACE for the Lease and gateway pods', () => {
  const args = parseControllerArgs(['--admin-url', 'http://a:8001'], 'kong', { POD_NAMESPACE: 'edge' });
  assert.ok(typeof args !== 'string');
  assert.equal(args.ingressClass, 'kong');
  assert.equal(args.electionNamespace, 'edge');
  assert.equal(args.gatewayNamespace, 'edge');
  assert.equal(args.leaderElect, true);
  assert.equal(args.debounceMs, 250);
  assert.deepEqual(args.statusListen, { host: '0.0.0.0', port: 10254 });
  assert.deepEqual(args.adminUrls, ['http://a:8001']);
});

test('every option, in both spellings', () => {
  const args = parseControllerArgs(['--ingress-class=internal', '--admin-url', 'http://a', '--admin-url=http://b', '--gateway-selector', 'app=tollgate',
    '--publish-service', 'kong/proxy', '--leader-elect', 'false', '--lease-duration', '30', '--status-listen', 'off', '--sync-debounce-ms', '50'], 'kong', {});
  assert.ok(typeof args !== 'string');
  assert.equal(args.ingressClass, 'internal');
  assert.deepEqual(args.adminUrls, ['http://a', 'http://b']);
  assert.equal(args.gatewaySelector, 'app=tollgate');
  assert.deepEqual(args.publishService, { namespace: 'kong', name: 'proxy' });
  assert.equal(args.leaderElect, false);
  assert.equal(args.leaseDurationSeconds, 30);
  assert.equal(args.statusListen, null);
  assert.equal(args.debounceMs, 50);
  assert.equal(args.electionNamespace, 'default');
});

test('bad values name the option', () => {
  assert.match(String(parseControllerArgs(['--publish-service', 'proxy'], 'kong', {})), /--publish-service must be NAMESPACE\/NAME/);
  assert.match(String(parseControllerArgs(['--lease-duration', '0'], 'kong', {})), /--lease-duration must be a positive integer/);
  assert.match(String(parseControllerArgs(['--leader-elect', 'yes'], 'kong', {})), /--leader-elect must be true or false/);
  assert.match(String(parseControllerArgs(['--status-listen', 'nope'], 'kong', {})), /--status-listen must be HOST:PORT or off/);
  assert.match(String(parseControllerArgs(['--bogus', 'x'], 'kong', {})), /unknown argument '--bogus'/);
  assert.match(String(parseControllerArgs(['--admin-url'], 'kong', {})), /--admin-url needs a value/);
});

test("translation problems name their object (for its Event); others are not Events", () => {
  assert.deepEqual(parseProblem("KongPlugin default/nope: plugin 'x' is not available in Tollgate; skipped"),
    { kind: 'KongPlugin', namespace: 'default', name: 'nope', message: "plugin 'x' is not available in Tollgate; skipped" });
  assert.equal(parseProblem('the translated configuration does not load: boom'), null);
});

test('publish Service addresses become Ingress status entries', () => {
  const svc = toK8sObject({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'p', namespace: 'k' },
    status: { loadBalancer: { ingress: [{ ip: '203.0.113.1', ipMode: 'VIP' }, { hostname: 'lb.example.com' }, {}] } } }) as K8sObject;
  assert.deepEqual(publishedAddresses(svc), [{ ip: '203.0.113.1' }, { hostname: 'lb.example.com' }]);
  assert.deepEqual(publishedAddresses(undefined), []);
});
