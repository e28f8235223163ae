import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FieldDef } from '../schema/index.ts';
import { VaultResolver } from './resolver.ts';
import { resolveConfigReferences } from './resolve-config.ts';

const redisConfig: FieldDef = {
  type: 'record',
  fields: {
    hour: { type: 'integer' },
    note: { type: 'string' },
    headers: { type: 'array', elements: { type: 'string', referenceable: true } },
    redis: { type: 'record', fields: { password: { type: 'string', referenceable: true }, host: { type: 'string' } } },
  },
};
const CONFIGS = new Map([['limiter', redisConfig]]);

test('referenceable fields get their values; everything else, and entities without references, stay as they are', () => {
  const route = { id: 'r1', paths: ['/x'] };
  const plain = { id: 'p0', name: 'limiter', config: { hour: 1, note: '{vault://env/secret}', headers: [], redis: { password: null, host: 'h' } } };
  const plugin = { id: 'p1', name: 'limiter', config: { hour: 1, note: 'n', headers: ['a', '{vault://env/header}'], redis: { password: '{vault://env/secret}', host: 'h' } } };
  const certificate = { id: 'c1', cert: 'CERT', key: '{vault://env/tls-key}', cert_alt: null, key_alt: null };
  const input = { routes: [route], plugins: [plain, plugin], certificates: [certificate], services: [] };
  const resolver = new VaultResolver({ SECRET: 's3cret', HEADER: 'h-value', TLS_KEY: 'KEY' });
  const { input: out, errors } = resolveConfigReferences(input, resolver, CONFIGS);
  assert.deepEqual(errors, []);
  assert.equal(out.routes, input.routes, 'collections without referenceable fields are shared');
  assert.equal(out.plugins[0], plain, 'a non-referenceable field keeps its reference-looking text');
  const resolved = out.plugins[1] as typeof plugin;
  assert.equal(resolved.config.redis.password, 's3cret');
  assert.deepEqual(resolved.config.headers, ['a', 'h-value']);
  assert.equal(resolved.config.note, 'n');
  assert.equal((out.certificates[0] as typeof certificate).key, 'KEY');
  assert.equal(plugin.config.redis.password, '{vault://env/secret}', 'the input is not changed');
});

test('an unresolvable reference becomes null and is reported by where it is used and the reference', () => {
  const plugin = { id: 'p1', name: 'limiter', config: { hour: 1, headers: [], redis: { password: '{vault://env/absent}', host: 'h' } } };
  const { input: out, errors } = resolveConfigReferences({ plugins: [plugin] }, new VaultResolver({}), CONFIGS);
  assert.equal((out.plugins[0] as typeof plugin).config.redis.password, null);
  assert.deepEqual(errors, [
    "plugin 'limiter' (p1) field 'config.redis.password': could not resolve reference: could not get value from external vault (no value found) [{vault://env/absent}]",
  ]);
});
