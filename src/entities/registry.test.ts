/**
 * The entity registry with a plugin defined here (not bundled): its entity joins core's in dependency
 * order, and gets storage (from its own migration), Admin API CRUD at its admin_api_name, declarative
 * nesting under consumers and export, like any entity. Registration is idempotent and refuses conflicts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestAdmin, type TestAdmin } from '../admin/test-support.ts';
import { exportDeclarative, loadDeclarative } from '../declarative/index.ts';
import { defineEntity, typedefs } from '../schema/index.ts';
import { entityTableDdl, script } from '../store/sql/ddl.ts';
import { layoutOf } from '../store/sql/layout.ts';
import { ENTITIES, ENTITY_ORDER, findEntity, registerPlugins, registeredPlugins, registryRevision, validateEntity } from './index.ts';

const gadgetTokens = defineEntity({
  name: 'gadget_tokens',
  primary_key: ['id'],
  endpoint_key: 'token',
  cache_key: ['token'],
  admin_api_name: 'gadget-tokens',
  admin_api_nested_name: 'gadget-token',
  fields: {
    id: typedefs.uuid,
    created_at: typedefs.auto_timestamp_s,
    consumer: { type: 'foreign', reference: 'consumers', required: true, on_delete: 'cascade' },
    token: { type: 'string', required: true, unique: true },
    tags: typedefs.tags,
  },
});

/** Given before its parent on purpose: the registry orders by references, not by listing. */
const gadgetScopes = defineEntity({
  name: 'gadget_scopes',
  primary_key: ['id'],
  fields: {
    id: typedefs.uuid,
    token: { type: 'foreign', reference: 'gadget_tokens', required: true, on_delete: 'cascade' },
    scope: { type: 'string', required: true },
  },
});

const up = { sqlite: '', postgres: '' };
const gadgetAuth = {
  schema: { name: 'gadget-auth' },
  daos: [gadgetScopes, gadgetTokens],
  migrations: [{ name: '000_base_gadget_auth', up, tables: ['gadget_tokens', 'gadget_tokens_tags', 'gadget_scopes'] }],
};

const coreCount = ENTITY_ORDER.length;
registerPlugins([gadgetAuth]);
// The plugin's SQL, as a plugin author would write it: what the store derives from the daos.
for (const kind of ['sqlite', 'postgres'] as const) {
  up[kind] = script([...entityTableDdl(kind, layoutOf('gadget_tokens')), ...entityTableDdl(kind, layoutOf('gadget_scopes'))]);
}

describe('registering plugins', () => {
  test('plugin entities come after core, in dependency order, with their owner', () => {
    assert.deepEqual(ENTITY_ORDER.slice(coreCount), ['gadget_tokens', 'gadget_scopes']);
    assert.equal(ENTITIES.gadget_tokens.plugin, 'gadget-auth');
    assert.equal(ENTITIES.consumers.plugin, null);
    assert.equal(findEntity('gadget-tokens')?.name, 'gadget_tokens');
    assert.equal(registeredPlugins().at(-1), gadgetAuth);
    assert.deepEqual(validateEntity('gadget_tokens', { token: 't' }), { ok: false, errors: { consumer: 'required field missing' } });
  });

  test('registering the same plugin again changes nothing', () => {
    const revision = registryRevision();
    const order = [...ENTITY_ORDER];
    registerPlugins([gadgetAuth]);
    registerPlugins([{ ...gadgetAuth }]);
    assert.equal(registryRevision(), revision);
    assert.deepEqual(ENTITY_ORDER, order);
  });

  test('conflicts and unknown references are refused, naming the plugin, and change nothing', () => {
    const order = [...ENTITY_ORDER];
    const plugin = (name: string, daos: ReturnType<typeof defineEntity>[]) => ({ schema: { name }, daos });
    assert.throws(() => registerPlugins([plugin('copycat', [{ ...gadgetTokens, admin_api_name: 'other' }])]), /^Error: plugin 'copycat': entity 'gadget_tokens' is already defined by plugin 'gadget-auth'$/);
    assert.throws(() => registerPlugins([plugin('core-clash', [{ ...gadgetTokens, name: 'routes' }])]), /plugin 'core-clash': entity 'routes' is already defined by core/);
    assert.throws(
      () => registerPlugins([plugin('twins-a', [{ ...gadgetScopes, name: 'twins' }]), plugin('twins-b', [{ ...gadgetScopes, name: 'twins' }])]),
      /plugin 'twins-b': entity 'twins' is already defined by plugin 'twins-a'/,
    );
    assert.throws(
      () => registerPlugins([plugin('dangling', [{ ...gadgetScopes, name: 'dangling_things', fields: { ...gadgetScopes.fields, token: { type: 'foreign', reference: 'nowhere' } } }])]),
      /plugin 'dangling': entity 'dangling_things' field 'token' references unknown entity 'nowhere'/,
    );
    assert.throws(() => registerPlugins([plugin('same-url', [{ ...gadgetScopes, name: 'same_url', admin_api_name: 'gadget-tokens' }])]), /plugin 'same-url'.*Admin API name 'gadget-tokens' is already used by plugin 'gadget-auth'/);
    assert.throws(() => registerPlugins([{ ...gadgetAuth, daos: [gadgetTokens] }]), /plugin 'gadget-auth': registered twice with different entities/);
    assert.deepEqual(ENTITY_ORDER, order);
  });
});

describe('a plugin entity through the Admin API, declarative files and export', () => {
  let admin: TestAdmin;
  before(async () => {
    admin = await startTestAdmin();
  });
  after(() => admin.close());

  test('CRUD at its admin_api_name, nested under its consumer, and its schema', async () => {
    assert.equal((await admin.call('POST', '/consumers', { json: { username: 'ann' } })).status, 201);
    const created = await admin.call('POST', '/consumers/ann/gadget-token', { form: 'token=tok-1' });
    assert.equal(created.status, 201, created.text);
    assert.equal((await admin.call('GET', '/gadget-tokens/tok-1')).body.id, created.body.id);
    assert.equal((await admin.call('GET', '/gadget-tokens/tok-1/consumer')).body.username, 'ann');
    assert.equal((await admin.call('GET', `/consumers/ann/gadget-token/${created.body.id}`)).body.token, 'tok-1');
    const scope = await admin.call('POST', '/gadget-tokens/tok-1/gadget_scopes', { json: { scope: 'read' } });
    assert.equal(scope.status, 201, scope.text);
    assert.equal((await admin.call('PATCH', '/gadget-tokens/tok-1', { json: { tags: ['t'] } })).body.tags[0], 't');
    assert.equal((await admin.call('GET', '/gadget-tokens')).body.data.length, 1);
    assert.equal((await admin.call('GET', '/schemas/gadget_tokens')).status, 200);
    const exported = await admin.store!.exportAll();
    assert.deepEqual(exported.gadget_tokens.map((t) => t.token), ['tok-1']);
    assert.deepEqual(exported.gadget_scopes.map((s) => s.scope), ['read']);
    assert.equal((await admin.call('DELETE', '/consumers/ann')).status, 204);
    assert.equal((await admin.call('GET', '/gadget-tokens/tok-1')).status, 404, 'the consumer cascade holds');
    assert.deepEqual((await admin.store!.exportAll()).gadget_scopes, []);
  });

  test('declarative: nested under consumers or flattened at the top level, and exported again', () => {
    const nested = loadDeclarative({
      _format_version: '3.0',
      consumers: [{ username: 'bob', gadget_tokens: [{ token: 'tok-2', gadget_scopes: [{ scope: 'write' }] }] }],
      gadget_tokens: [{ consumer: 'bob', token: 'tok-3' }],
    });
    assert.ok(nested.ok, nested.ok ? '' : nested.error.message);
    const config = nested.config;
    assert.deepEqual(config.gadget_tokens.map((t) => [t.token, t.consumer]).sort(), [
      ['tok-2', { id: config.consumers[0].id }],
      ['tok-3', { id: config.consumers[0].id }],
    ]);
    assert.equal(config.gadget_scopes.length, 1);
    const text = exportDeclarative(config);
    assert.match(text, /^gadget_tokens:$/m);
    const again = loadDeclarative(text);
    assert.ok(again.ok, again.ok ? '' : again.error.message);
    assert.deepEqual(again.config.gadget_tokens, config.gadget_tokens);
  });
});
