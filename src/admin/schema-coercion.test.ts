import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ENTITIES, EMPTY_PLUGIN_REGISTRY } from '../entities/index.ts';
import { decodeFormArguments } from './form-decoder.ts';
import { coerceEntityInput, coerceValue, luaToNumber } from './schema-coercion.ts';
import { TEST_PLUGINS } from './test-support.ts';
import { registerPlugins } from '../entities/index.ts';
import { BUNDLED_PLUGINS } from '../plugins/index.ts';

// Plugins' entities (key-auth's credentials) exercise the generic behaviour, as on a node that enables them.
registerPlugins(BUNDLED_PLUGINS);

const form = (query: string) => decodeFormArguments(new URLSearchParams(query));

test('numbers, booleans and arrays of a service and a route', () => {
  const service = coerceEntityInput(ENTITIES.services, form('name=s&port=8080&retries=3&enabled=false&tags=a'), EMPTY_PLUGIN_REGISTRY);
  assert.deepEqual(service, { name: 's', port: 8080, retries: 3, enabled: false, tags: ['a'] });
  const route = coerceEntityInput(ENTITIES.routes, form('paths[]=/a&strip_path=true&regex_priority=9007199254740992&methods=GET'), EMPTY_PLUGIN_REGISTRY);
  assert.deepEqual(route, { paths: ['/a'], strip_path: true, regex_priority: 9007199254740992, methods: ['GET'] });
});

test('an empty string becomes null (form clients clear fields this way), also inside arrays', () => {
  assert.deepEqual(coerceEntityInput(ENTITIES.services, form('path=&tags='), EMPTY_PLUGIN_REGISTRY), { path: null, tags: null });
  assert.deepEqual(coerceEntityInput(ENTITIES.routes, form('hosts[]='), EMPTY_PLUGIN_REGISTRY), { hosts: [null] });
});

test('values that do not parse are left for validation to reject', () => {
  assert.deepEqual(coerceEntityInput(ENTITIES.services, form('port=eighty&enabled=yes'), EMPTY_PLUGIN_REGISTRY), { port: 'eighty', enabled: 'yes' });
});

test('foreign keys are coerced by the referenced schema; unknown fields are left alone', () => {
  assert.deepEqual(coerceEntityInput(ENTITIES.routes, form('service.name=svc&bogus=1'), EMPTY_PLUGIN_REGISTRY), { service: { name: 'svc' }, bogus: '1' });
});

test('the services url shorthand and records of upstream health checks are coerced', () => {
  const upstream = coerceEntityInput(
    ENTITIES.upstreams,
    form('name=u&slots=100&healthchecks.active.healthy.interval=5&healthchecks.active.healthy.http_statuses=200&healthchecks.active.healthy.http_statuses=302'),
    EMPTY_PLUGIN_REGISTRY,
  );
  assert.deepEqual(upstream, {
    name: 'u',
    slots: 100,
    healthchecks: { active: { healthy: { interval: 5, http_statuses: [200, 302] } } },
  });
  assert.deepEqual(coerceEntityInput(ENTITIES.services, form('url=http://x.test'), EMPTY_PLUGIN_REGISTRY), { url: 'http://x.test' });
});

test('maps are coerced by their value type (route headers are lists of strings)', () => {
  assert.deepEqual(coerceEntityInput(ENTITIES.routes, form('headers.x-version=1'), EMPTY_PLUGIN_REGISTRY), { headers: { 'x-version': ['1'] } });
});

test('a plugin config is coerced by the schema of the plugin the body names', () => {
  const plugin = coerceEntityInput(
    ENTITIES.plugins,
    form('name=rate-limiting&config.minute=5&config.fault_tolerant=false&config.redis.port=6380&enabled=true'),
    TEST_PLUGINS,
  );
  assert.deepEqual(plugin, { name: 'rate-limiting', config: { minute: 5, fault_tolerant: false, redis: { port: 6380 } }, enabled: true });
  // Unknown plugin: the config stays as sent (validation reports the plugin).
  assert.deepEqual(coerceEntityInput(ENTITIES.plugins, form('name=nope&config.minute=5'), TEST_PLUGINS), { name: 'nope', config: { minute: '5' } });
});

test('ttl of entities that accept one becomes a number', () => {
  assert.deepEqual(coerceEntityInput(ENTITIES.keyauth_credentials, form('key=k&ttl=10'), EMPTY_PLUGIN_REGISTRY), { key: 'k', ttl: 10 });
});

test('Lua-style number parsing', () => {
  assert.equal(luaToNumber(' 42 '), 42);
  assert.equal(luaToNumber('1e3'), 1000);
  assert.equal(luaToNumber('0x10'), 16);
  assert.equal(luaToNumber('-2.5'), -2.5);
  assert.equal(luaToNumber(''), null);
  assert.equal(luaToNumber('12abc'), null);
  assert.equal(coerceValue('true', { type: 'boolean' }), true);
  assert.equal(coerceValue('TRUE', { type: 'boolean' }), 'TRUE');
});
