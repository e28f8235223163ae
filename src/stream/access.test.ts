import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StreamAccessRules } from './access.ts';
import type { PluginFields } from '../snapshot/types.ts';

function plugin(id: string, scope: { route?: string; service?: string }, config: Record<string, unknown>, enabled = true): PluginFields {
  return {
    id, name: 'ip-restriction', enabled, config, protocols: ['tcp', 'tls'], consumer: null,
    route: scope.route === undefined ? null : { id: scope.route },
    service: scope.service === undefined ? null : { id: scope.service },
  };
}

test('the most specific ip-restriction instance applies: route+service, route, service, global', () => {
  const rules = new StreamAccessRules([
    plugin('global', {}, { deny: ['10.0.0.0/8'] }),
    plugin('service', { service: 's' }, { allow: ['192.0.2.0/24'] }),
    plugin('route', { route: 'r' }, { deny: ['192.0.2.1'] }),
    plugin('both', { route: 'r', service: 't' }, { allow: ['198.51.100.7'] }),
    plugin('off', { route: 'x' }, { deny: ['0.0.0.0/0'] }, false),
  ]);
  assert.equal(rules.for('r', 't')?.allows('198.51.100.7'), true);
  assert.equal(rules.for('r', 't')?.allows('192.0.2.2'), false);
  assert.equal(rules.for('r', 's')?.allows('192.0.2.1'), false);
  assert.equal(rules.for('r', 's')?.allows('192.0.2.2'), true);
  assert.equal(rules.for('other', 's')?.allows('203.0.113.1'), false);
  assert.equal(rules.for('other', 's')?.allows('192.0.2.9'), true);
  assert.equal(rules.for('x', null)?.allows('10.1.1.1'), false);
  assert.equal(rules.for('x', null)?.allows('127.0.0.1'), true);
  assert.equal(new StreamAccessRules([]).for('r', 's'), null);
  assert.deepEqual([...(rules.for('r', 's')?.protocols ?? [])], ['tcp', 'tls']);
});

test('deny is checked before allow', () => {
  const rules = new StreamAccessRules([plugin('p', {}, { allow: ['10.0.0.0/8'], deny: ['10.1.0.0/16'] })]);
  assert.equal(rules.for('r', null)?.allows('10.1.2.3'), false);
  assert.equal(rules.for('r', null)?.allows('10.2.2.3'), true);
});
