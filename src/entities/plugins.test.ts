import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateEntity, type PluginDefinitionForSchema, type PluginSchemaRegistry } from './index.ts';

const SERVICE = { id: '0855b320-0dd2-547d-891d-601e9b38647f' };

/** A tiny plugin proving that configuration is validated by the plugin's own schema. */
const greeter: PluginDefinitionForSchema = {
  name: 'greeter',
  config: {
    type: 'record',
    fields: {
      greeting: { type: 'string', default: 'hello' },
      times: { type: 'integer', required: true, default: 1, between: [1, 10] },
      header: { type: 'record', fields: { name: { type: 'string', default: 'x-greeting' } } },
    },
  },
  protocols: ['http', 'https'],
  noConsumer: true,
};

const registry: PluginSchemaRegistry = new Map([['greeter', greeter]]);

test('without a registry every plugin is "not enabled"', () => {
  assert.deepEqual(validateEntity('plugins', { name: 'cors' }), {
    ok: false,
    errors: { name: "plugin 'cors' not enabled; add it to the 'plugins' configuration property" },
  });
  assert.deepEqual(validateEntity('plugins', {}), { ok: false, errors: { name: 'required field missing' } });
});

test('plugin config gets the plugin defaults', () => {
  const result = validateEntity('plugins', { name: 'greeter', service: SERVICE }, { plugins: registry });
  assert.ok(result.ok);
  const p = result.value;
  assert.deepEqual(p.config, { greeting: 'hello', times: 1, header: { name: 'x-greeting' } });
  assert.deepEqual(p.protocols, ['http', 'https']);
  assert.equal(p.enabled, true);
  assert.deepEqual(p.service, SERVICE);
  assert.equal(p.route, null);
  assert.equal(p.consumer, null);
  assert.equal(p.consumer_group, null);
  assert.equal(p.instance_name, null);
});

test('plugin config errors nest under config; scope and protocol limits apply', () => {
  const result = validateEntity(
    'plugins',
    {
      name: 'greeter',
      config: { times: 11, other: 1 },
      consumer: { id: SERVICE.id },
      protocols: ['grpc'],
    },
    { plugins: registry },
  );
  assert.deepEqual(result, {
    ok: false,
    errors: {
      consumer: 'value must be null',
      config: { times: 'value should be between 1 and 10', other: 'unknown field' },
      protocols: ['expected one of: http, https'],
    },
  });
  // A plugin that cannot be scoped to a consumer cannot be scoped to a consumer group either.
  assert.deepEqual(validateEntity('plugins', { name: 'greeter', consumer_group: { id: SERVICE.id } }, { plugins: registry }), {
    ok: false,
    errors: { consumer_group: 'value must be null' },
  });
  const open: PluginSchemaRegistry = new Map([['open', { name: 'open', config: { type: 'record', fields: {} } }]]);
  const grouped = validateEntity('plugins', { name: 'open', consumer_group: { id: SERVICE.id } }, { plugins: open });
  assert.ok(grouped.ok);
  assert.deepEqual(grouped.value.consumer_group, { id: SERVICE.id });
  assert.deepEqual(validateEntity('plugins', { name: 'greeter', config: null }, { plugins: registry }), {
    ok: false,
    errors: { config: 'required field missing' },
  });
});

test('plugins without a protocol limit default to the HTTP-family protocols', () => {
  const open: PluginSchemaRegistry = new Map([['open', { name: 'open', config: { type: 'record', fields: {} } }]]);
  const result = validateEntity('plugins', { name: 'open' }, { plugins: open });
  assert.ok(result.ok);
  assert.deepEqual(result.value.protocols, ['grpc', 'grpcs', 'http', 'https']);
  assert.deepEqual(result.value.config, {});
});
