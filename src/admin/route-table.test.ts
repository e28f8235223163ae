import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RouteTable, compareEndpointPaths } from './route-table.ts';
import { buildRouteTable } from './server.ts';
import type { Handler } from './endpoint-types.ts';
import { registerPlugins } from '../entities/index.ts';
import { BUNDLED_PLUGINS } from '../plugins/index.ts';

// Plugins' entities (key-auth's credentials) exercise the generic behaviour, as on a node that enables them.
registerPlugins(BUNDLED_PLUGINS);

const noop: Handler = async () => ({ status: 200 });

test('literal segments win over parameters; params are decoded, raw kept', () => {
  const table = new RouteTable();
  table.set('/plugins/{plugins}', 'GET', noop);
  table.set('/plugins/enabled', 'GET', noop);
  assert.equal(table.match('/plugins/enabled')?.endpoint.path, '/plugins/enabled');
  const match = table.match('/plugins/%E5%86%86');
  assert.equal(match?.endpoint.path, '/plugins/{plugins}');
  assert.equal(match?.params.plugins, '円');
  assert.equal(match?.rawParams.plugins, '%E5%86%86');
  assert.equal(table.match('/plugins/a/b'), null);
  // A trailing slash is the same path.
  assert.equal(table.match('/plugins/')?.endpoint.path, undefined);
  table.set('/plugins', 'GET', noop);
  assert.equal(table.match('/plugins/')?.endpoint.path, '/plugins');
});

test('Allow lists the methods with a handler plus HEAD and OPTIONS, sorted', () => {
  const table = new RouteTable();
  table.set('/x', 'GET', noop);
  table.set('/x', 'POST', noop);
  table.set('/x/{x}', 'DELETE', noop);
  assert.equal(table.match('/x')?.allow, 'GET, HEAD, OPTIONS, POST');
  assert.equal(table.match('/x/1')?.allow, 'DELETE, OPTIONS');
});

test('wrap calls the parent; remove disables a path', async () => {
  const table = new RouteTable();
  const seen: string[] = [];
  table.set('/a', 'GET', async () => {
    seen.push('parent');
    return { status: 200 };
  });
  table.wrap('/a', 'GET', (parent) => async (ctx) => {
    seen.push('wrapper');
    return parent(ctx);
  });
  await table.get('/a', 'GET')?.({} as never);
  assert.deepEqual(seen, ['wrapper', 'parent']);
  table.remove('/a');
  assert.equal(table.match('/a'), null);
});

test('endpoints sort segment-wise, as Kong lists them', () => {
  assert.deepEqual(['/ab', '/a/z', '/a'].sort(compareEndpointPaths), ['/a', '/a/z', '/ab']);
});

test('the Admin API table has Kong’s generated and custom paths, not the disabled ones', () => {
  const paths = buildRouteTable().paths();
  for (const expected of [
    '/',
    '/services/{services}/routes/{routes}',
    '/routes/{routes}/service',
    '/consumers/{consumers}/key-auth/{keyauth_credentials}',
    '/key-auths/{keyauth_credentials}/consumer',
    '/upstreams/{upstreams}/targets/all',
    '/certificates/{certificates}/snis',
    '/schemas/{db_entity_name}/validate',
    '/tags/{tags}',
  ]) {
    assert.ok(paths.includes(expected), expected);
  }
  for (const disabled of ['/targets', '/targets/{targets}', '/targets/{targets}/upstream', '/snis/{snis}/certificate']) {
    assert.ok(!paths.includes(disabled), disabled);
  }
  assert.deepEqual(paths, [...paths].sort(compareEndpointPaths));
});

test('in the full table, literal paths win over entity keys', () => {
  const table = buildRouteTable();
  assert.equal(table.match('/plugins/enabled')?.endpoint.path, '/plugins/enabled');
  assert.equal(table.match('/upstreams/u/targets/all')?.endpoint.path, '/upstreams/{upstreams}/targets/all');
  assert.equal(table.match('/schemas/plugins/validate')?.endpoint.path, '/schemas/plugins/validate');
  assert.equal(table.match('/schemas/plugins/cors')?.endpoint.path, '/schemas/plugins/{name}');
  assert.equal(table.match('/schemas/services/validate')?.endpoint.path, '/schemas/{db_entity_name}/validate');
  assert.equal(table.match('/routes/r/service')?.endpoint.path, '/routes/{routes}/service');
  assert.equal(table.match('/services/s/routes')?.endpoint.path, '/services/{services}/routes');
  assert.equal(table.match('/tags/t')?.endpoint.path, '/tags/{tags}');
});
