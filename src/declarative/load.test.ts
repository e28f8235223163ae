import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RSA_CRT, RSA_KEY } from '../entities/test-pem-fixtures.ts';
import { loadDeclarative, type FlatConfig, type LoadOptions } from './index.ts';
import type { PluginDefinitionForSchema, PluginSchemaRegistry } from '../entities/index.ts';
import { registerPlugins } from '../entities/index.ts';
import { BUNDLED_PLUGINS } from '../plugins/index.ts';

// Plugins' entities (key-auth's credentials) exercise the generic behaviour, as on a node that enables them.
registerPlugins(BUNDLED_PLUGINS);

const NOW = 1_700_000_000_500;

function load(input: string | Record<string, unknown>, options: LoadOptions = {}): FlatConfig {
  const result = loadDeclarative(input, { now: NOW, ...options });
  if (!result.ok) assert.fail(`unexpected error: ${result.error.message}`);
  return result.config;
}

function fields(input: string | Record<string, unknown>, options: LoadOptions = {}): unknown {
  const result = loadDeclarative(input, { now: NOW, ...options });
  assert.equal(result.ok, false, 'expected the load to fail');
  return result.ok ? undefined : result.error.fields;
}

const registry: PluginSchemaRegistry = new Map<string, PluginDefinitionForSchema>([
  ['cors', { name: 'cors', config: { type: 'record', fields: { origins: { type: 'array', elements: { type: 'string' } } } } }],
  [
    'key-auth',
    {
      name: 'key-auth',
      noConsumer: true,
      config: { type: 'record', fields: { key_names: { type: 'array', elements: { type: 'string' }, default: ['apikey'] } } },
    },
  ],
]);

test('YAML and JSON, chosen by file name or tried in order', () => {
  const yaml = '_format_version: "3.0"\nservices:\n- name: s\n  host: example.com\n';
  const json = '{"_format_version":"3.0","services":[{"name":"s","host":"example.com"}]}';
  assert.equal(load(yaml, { filename: 'kong.yml' }).services[0].host, 'example.com');
  assert.equal(load(yaml).services[0].host, 'example.com');
  assert.equal(load(json, { filename: 'kong.json' }).services[0].host, 'example.com');
  assert.equal(load(json).services[0].host, 'example.com');
  assert.equal(load(json, { filename: 'kong.yaml' }).services[0].name, 's');
  assert.deepEqual(load({ _format_version: '3.0' }).services, []);
});

test('parse failures', () => {
  const notJson = loadDeclarative('{"_format_version":', { filename: 'x.json' });
  assert.ok(!notJson.ok);
  assert.match(String((notJson.error.fields as Record<string, unknown>).error), /^failed parsing declarative configuration: /);
  const scalar = loadDeclarative('just a string');
  assert.deepEqual(scalar, {
    ok: false,
    error: {
      code: 14,
      name: 'invalid declarative configuration',
      message:
        'declarative config is invalid: {error="failed parsing declarative configuration: expected an object"}',
      fields: { error: 'failed parsing declarative configuration: expected an object' },
    },
  });
  const badYaml = loadDeclarative('a: [1, 2', { filename: 'x.yml' });
  assert.ok(!badYaml.ok);
  assert.match(badYaml.error.message, /failed parsing declarative configuration: /);
});

test('_format_version: required, a string, a known version', () => {
  assert.deepEqual(fields({}), { _format_version: 'required field missing' });
  assert.deepEqual(fields('_format_version: 3.0\n'), { _format_version: 'expected a string' });
  assert.deepEqual(fields({ _format_version: '4.0' }), { _format_version: 'expected one of: 1.1, 2.1, 3.0' });
});

test('meta keys and unknown keys', () => {
  load({ _format_version: '3.0', _transform: true, _comment: 'c', _ignore: [1, { a: 2 }] });
  assert.deepEqual(fields({ _format_version: '3.0', _comment: 1, _ignore: 'x', _transform: 'yes', foo: [] }), {
    _comment: 'expected a string',
    _ignore: 'expected an array',
    _transform: 'expected a boolean',
    foo: 'unknown field',
  });
  const config = load({
    _format_version: '3.0',
    services: [{ name: 's', host: 'h', _comment: 'x', _ignore: [] }],
  });
  assert.equal('_comment' in config.services[0], false);
  assert.deepEqual(fields({ _format_version: '3.0', services: [{ host: 'h', _comment: 5 }] }), {
    services: [{ _comment: 'expected a string' }],
  });
  assert.deepEqual(fields({ _format_version: '3.0', services: [{ host: 'h', nope: 1 }] }), {
    services: [{ nope: 'unknown field' }],
  });
});

test('empty and null collections are fine; others must be lists of records', () => {
  load('_format_version: "3.0"\nservices:\nconsumers: []\n');
  assert.deepEqual(fields({ _format_version: '3.0', services: 'x' }), { services: 'expected an array' });
  assert.deepEqual(fields({ _format_version: '3.0', services: [{ host: 'h' }, 'x'] }), {
    services: [null, 'expected a record'],
  });
});

test('ids derived as Kong derives them', () => {
  const config = load(
    {
      _format_version: '3.0',
      services: [{ name: 'my-service', host: 'h', routes: [{ name: 'my-route', paths: ['/'] }] }],
      consumers: [{ username: 'my-user' }],
      plugins: [{ name: 'cors' }],
    },
    { plugins: registry },
  );
  assert.equal(config.services[0].id, '0855b320-0dd2-547d-891d-601e9b38647f');
  assert.equal(config.routes[0].id, '481a9539-f49c-51b6-b2e2-fe99ee68866c');
  assert.equal(config.consumers[0].id, '4b1b701d-de2b-5588-9aa2-3b97061d9f52');
  assert.equal(config.plugins[0].id, '48ee727e-8b90-5faa-bda1-a3c6bc3c9daa');
  assert.deepEqual(config.routes[0].service, { id: '0855b320-0dd2-547d-891d-601e9b38647f' });
});

test('explicit ids are kept; entities without a key get a new random id on every load', () => {
  const id = '9f7e2b2e-6a57-4b32-9f3a-1f6c7e9b1a11';
  const doc = { _format_version: '3.0', services: [{ id, host: 'h', routes: [{ paths: ['/'] }] }] };
  const first = load(doc);
  const second = load(doc);
  assert.equal(first.services[0].id, id);
  assert.notEqual(first.routes[0].id, second.routes[0].id);
  assert.deepEqual(first.routes[0].service, { id });
});

test('nested plugins derive their id from the parent, and two loads agree', () => {
  const doc = {
    _format_version: '3.0',
    services: [{ name: 's', host: 'h', plugins: [{ name: 'cors' }], routes: [{ name: 'r', paths: ['/'], plugins: [{ name: 'cors' }] }] }],
  };
  const a = load(doc, { plugins: registry });
  const b = load(doc, { plugins: registry });
  assert.equal(a.plugins.length, 2);
  assert.deepEqual(
    a.plugins.map((p) => p.id),
    b.plugins.map((p) => p.id),
  );
  const servicePlugin = a.plugins.find((p) => p.service !== null);
  const routePlugin = a.plugins.find((p) => p.route !== null);
  assert.deepEqual(servicePlugin?.service, { id: a.services[0].id });
  assert.equal(servicePlugin?.route, null);
  assert.deepEqual(routePlugin?.route, { id: a.routes[0].id });
  assert.equal(routePlugin?.service, null);
});

test('every nesting relationship', () => {
  const config = load(
    {
      _format_version: '3.0',
      certificates: [
        {
          id: '3c2d2a86-0b5f-4a5b-9a6e-2d9c6f1d8e01',
          cert: RSA_CRT,
          key: RSA_KEY,
          snis: [{ name: 'a.example.com' }],
          services: [{ name: 'tls-service', url: 'https://backend' }],
          upstreams: [{ name: 'tls-upstream' }],
        },
      ],
      upstreams: [{ name: 'up', targets: [{ target: '10.0.0.1:80' }, { target: 'b.internal' }] }],
      consumers: [
        {
          username: 'alice',
          plugins: [{ name: 'cors' }],
          keyauth_credentials: [{ key: 'k1' }],
        },
      ],
    },
    { plugins: registry },
  );
  const consumer = { id: config.consumers[0].id };
  assert.equal(config.snis[0].name, 'a.example.com');
  assert.deepEqual(config.snis[0].certificate, { id: '3c2d2a86-0b5f-4a5b-9a6e-2d9c6f1d8e01' });
  assert.deepEqual(config.services[0].client_certificate, { id: '3c2d2a86-0b5f-4a5b-9a6e-2d9c6f1d8e01' });
  assert.deepEqual(config.upstreams.find((u) => u.name === 'tls-upstream')?.client_certificate, {
    id: '3c2d2a86-0b5f-4a5b-9a6e-2d9c6f1d8e01',
  });
  assert.deepEqual(
    config.targets.map((t) => t.target),
    ['10.0.0.1:80', 'b.internal:8000'],
  );
  for (const collection of ['keyauth_credentials'] as const) {
    assert.equal(config[collection].length, 1, collection);
    assert.deepEqual(config[collection][0].consumer, consumer, collection);
  }
  assert.deepEqual(config.plugins[0].consumer, consumer);
});

test('a nested entity may not set references of its own', () => {
  assert.deepEqual(
    fields(
      {
        _format_version: '3.0',
        consumers: [{ username: 'c' }],
        services: [{ name: 'foo', url: 'https://example.com', plugins: [{ name: 'cors', consumer: 'c' }] }],
      },
      { plugins: registry },
    ),
    { services: [{ plugins: [{ consumer: 'value must be null' }] }] },
  );
  assert.deepEqual(
    fields({
      _format_version: '3.0',
      services: [{ name: 'a', host: 'h' }],
      consumers: [{ username: 'c', keyauth_credentials: [{ key: 'k', consumer: 'other' }] }],
    }),
    { consumers: [{ keyauth_credentials: [{ consumer: 'value must be null' }] }] },
  );
  // Naming the parent itself is harmless.
  const config = load({
    _format_version: '3.0',
    consumers: [{ username: 'c', keyauth_credentials: [{ key: 'k', consumer: 'c' }] }],
  });
  assert.deepEqual(config.keyauth_credentials[0].consumer, { id: config.consumers[0].id });
});

test('plugin scope rules apply to nesting', () => {
  assert.deepEqual(fields({ _format_version: '3.0', consumers: [{ username: 'c', plugins: [{ name: 'key-auth' }] }] }, { plugins: registry }), {
    consumers: [{ plugins: [{ consumer: 'value must be null' }] }],
  });
});

test('top-level references by endpoint key, by id and as {id}', () => {
  const config = load(
    {
      _format_version: '3.0',
      services: [{ name: 'svc', host: 'h' }],
      routes: [
        { name: 'by-name', service: 'svc', paths: ['/a'] },
        { name: 'by-id', service: 'b9f04b04-ab65-5e2a-b4c4-f82b7d5b781c', paths: ['/b'] },
        { name: 'by-object', service: { id: 'b9f04b04-ab65-5e2a-b4c4-f82b7d5b781c' }, paths: ['/c'] },
        { name: 'none', service: null, paths: ['/d'] },
      ],
      consumers: [{ username: 'alice' }],
      plugins: [{ name: 'cors', route: 'by-name', consumer: 'alice' }],
    },
    { plugins: registry },
  );
  const serviceId = config.services[0].id;
  assert.equal(serviceId, 'b9f04b04-ab65-5e2a-b4c4-f82b7d5b781c');
  assert.deepEqual(config.routes[0].service, { id: serviceId });
  assert.equal(config.routes[3].service, null);
  assert.deepEqual(config.plugins[0].route, { id: config.routes[0].id });
  assert.deepEqual(config.plugins[0].consumer, { id: config.consumers[0].id });
});

test('defaults filled; every entity of a load shares its timestamps', () => {
  const config = load({
    _format_version: '3.0',
    services: [{ name: 's', host: 'h', routes: [{ paths: ['/'] }] }],
    upstreams: [{ name: 'u', targets: [{ target: 't' }] }],
  });
  assert.equal(config.services[0].created_at, 1_700_000_000);
  assert.equal(config.services[0].updated_at, 1_700_000_000);
  assert.equal(config.routes[0].created_at, 1_700_000_000);
  assert.equal(config.upstreams[0].created_at, 1_700_000_000);
  assert.equal(config.targets[0].created_at, 1_700_000_000.5);
  assert.equal(config.services[0].retries, 5);
  assert.deepEqual(config.routes[0].protocols, ['http', 'https']);
  assert.equal(config.targets[0].weight, 100);
});

test('the input document is not modified', () => {
  const doc = {
    _format_version: '1.1',
    services: [{ name: 's', host: 'h', routes: [{ name: 'r', paths: ['/a/../b', '/x.+'] }] }],
  };
  const copy = structuredClone(doc);
  load(doc);
  assert.deepEqual(doc, copy);
});

test("consumer groups: decK's membership shorthands from both sides, nested group plugins, references by name or id", () => {
  const groupId = '0b9c1d7e-3f2a-4c55-8a1e-7d6f5e4c3b2a';
  const doc = {
    _format_version: '3.0',
    consumer_groups: [
      { name: 'gold', consumers: [{ username: 'bob' }, { id: 'c0ffee00-0000-4000-8000-000000000001' }], plugins: [{ name: 'cors' }] },
      { id: groupId, name: 'silver' },
    ],
    consumers: [
      { username: 'ann', groups: [{ name: 'gold' }, { id: groupId }] },
      { username: 'bob' },
      { id: 'c0ffee00-0000-4000-8000-000000000001', custom_id: 'by-id' },
      { custom_id: 'no-username', groups: ['silver'] },
    ],
  };
  const before = structuredClone(doc);
  const config = load(doc, { plugins: registry });
  assert.deepEqual(doc, before, 'the input document is not modified');
  const groups = new Map(config.consumer_groups.map((g) => [g.id, g.name]));
  const consumers = new Map(config.consumers.map((c) => [c.id, (c.username as string | null) ?? (c.custom_id as string)]));
  const members = config.consumer_group_consumers.map((m) => {
    const ref = (v: unknown) => (v as { id: string }).id;
    return `${consumers.get(ref(m.consumer))} in ${groups.get(ref(m.consumer_group))}`;
  });
  assert.deepEqual(members.sort(), ['ann in gold', 'ann in silver', 'bob in gold', 'by-id in gold', 'no-username in silver']);
  assert.equal(config.plugins.length, 1);
  assert.deepEqual(config.plugins[0].consumer_group, { id: config.consumer_groups.find((g) => g.name === 'gold')!.id });
  // Derived ids are stable across loads; a plugin without a group keeps the id Kong OSS derives.
  const stableIds = (c: FlatConfig) => {
    const random = c.consumers.find((x) => x.custom_id === 'no-username')!.id;
    return c.consumer_group_consumers.filter((m) => (m.consumer as { id: string }).id !== random).map((m) => m.id);
  };
  assert.deepEqual(stableIds(load(doc, { plugins: registry })), stableIds(config), 'memberships of consumers with a username or id keep their ids');
  assert.equal(load({ _format_version: '3.0', plugins: [{ name: 'cors' }] }, { plugins: registry }).plugins[0].id, '48ee727e-8b90-5faa-bda1-a3c6bc3c9daa');
  assert.notEqual(config.plugins[0].id, '48ee727e-8b90-5faa-bda1-a3c6bc3c9daa');
});

test('consumer groups: an unknown group or consumer is a reference error; a plugin may not name a consumer and a group', () => {
  const unknownGroup = loadDeclarative({ _format_version: '3.0', consumers: [{ username: 'ann', groups: [{ name: 'nope' }] }] }, { now: NOW });
  assert.equal(unknownGroup.ok, false);
  assert.match(unknownGroup.ok ? '' : unknownGroup.error.message, /invalid reference 'consumer_group: nope' \(no such entry in 'consumer_groups'\)/);
  const unknownConsumer = loadDeclarative({ _format_version: '3.0', consumer_groups: [{ name: 'g', consumers: [{ username: 'ghost' }] }] }, { now: NOW });
  assert.match(unknownConsumer.ok ? '' : unknownConsumer.error.message, /invalid reference 'consumer: ghost' \(no such entry in 'consumers'\)/);
  assert.deepEqual(
    fields(
      { _format_version: '3.0', consumers: [{ username: 'ann' }], consumer_groups: [{ name: 'g' }], plugins: [{ name: 'cors', consumer: 'ann', consumer_group: 'g' }] },
      { plugins: registry },
    ),
    { plugins: [{ '@entity': ["only one or none of these fields must be set: 'consumer', 'consumer_group'"] }] },
  );
  const twice = loadDeclarative({ _format_version: '3.0', consumers: [{ username: 'ann', groups: ['g', 'g'] }], consumer_groups: [{ name: 'g' }] }, { now: NOW });
  assert.equal(twice.ok, false, 'a membership listed twice');
});
