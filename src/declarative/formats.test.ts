import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadYaml as parseYaml } from './yaml.ts';
import { EXAMPLE_DECLARATIVE_CONFIG, exportDeclarative, loadDeclarative, type FlatConfig } from './index.ts';
import { migrateRoutePath } from './migrate-paths.ts';
import { RSA_CRT, RSA_KEY } from '../entities/test-pem-fixtures.ts';
import { registerPlugins } from '../entities/index.ts';
import { BUNDLED_PLUGINS } from '../plugins/index.ts';

// Plugins' entities (key-auth's credentials) exercise the generic behaviour, as on a node that enables them.
registerPlugins(BUNDLED_PLUGINS);

function load(input: string | Record<string, unknown>): FlatConfig {
  const result = loadDeclarative(input, { now: 1_700_000_000_000 });
  if (!result.ok) assert.fail(result.error.message);
  return result.config;
}

test('old formats: plain paths are normalised prefixes, anything else becomes a regex', () => {
  assert.equal(migrateRoutePath('/foo/bar'), '/foo/bar');
  assert.equal(migrateRoutePath('/a/./b/../c'), '/a/c');
  assert.equal(migrateRoutePath('/%61bc'), '/abc');
  assert.equal(migrateRoutePath('/users/\\d+'), '~/users/\\d+');
  assert.equal(migrateRoutePath('/x/(a|b)$'), '~/x/(a|b)$');
  assert.equal(migrateRoutePath('/v1/%2E%61[0-9]'), '~/v1/\\.a[0-9]');
  assert.equal(migrateRoutePath('/a%2fb.*'), '~/a%2Fb.*');
});

for (const version of ['1.1', '2.1']) {
  test(`format ${version} migrates top-level routes and routes nested in services`, () => {
    const config = load({
      _format_version: version,
      services: [{ name: 's', host: 'h', routes: [{ name: 'nested', paths: ['/api/v1', '/items/\\d+'] }] }],
      routes: [{ name: 'top', paths: ['/a/../b'] }],
    });
    const paths = Object.fromEntries(config.routes.map((r) => [r.name, r.paths]));
    assert.deepEqual(paths, { nested: ['/api/v1', '~/items/\\d+'], top: ['/b'] });
  });
}

test('format 3.0 keeps paths as written (and rejects non-normalised prefixes)', () => {
  const result = loadDeclarative({ _format_version: '3.0', routes: [{ paths: ['/items/\\d+', '/a/../b'] }] });
  assert.ok(!result.ok);
  assert.deepEqual(result.error.fields, {
    routes: [{ paths: [null, "non-normalized path, consider use '/b' instead"] }],
  });
});

test('export: _format_version 3.0, _transform false, foreign keys as ids; loading it again gives the same config', () => {
  const original = load(`
_format_version: "3.0"
certificates:
- id: 2c7f5f9a-7a2e-4a8e-9c5e-1a9f5e6d7c01
  cert: ${JSON.stringify(RSA_CRT)}
  key: ${JSON.stringify(RSA_KEY)}
  snis:
  - name: api.example.com
services:
- name: svc
  url: https://backend.internal:8443/api
  routes:
  - name: r1
    paths: [/api]
consumers:
- username: alice
  keyauth_credentials:
  - key: alice-key
upstreams:
- name: backend.internal
  targets:
  - target: 10.0.0.1
`);
  const text = exportDeclarative(original);
  assert.match(text, /^_format_version: "3\.0"\n_transform: false\n/);
  const doc = parseYaml(text) as Record<string, Record<string, unknown>[]>;
  assert.equal(doc.routes[0].service, original.services[0].id);
  assert.equal(doc.snis[0].certificate, '2c7f5f9a-7a2e-4a8e-9c5e-1a9f5e6d7c01');
  assert.equal(doc.plugins, undefined, 'empty collections are left out');
  const reloaded = load(text);
  assert.deepEqual(reloaded, original);
});

test('the example file is valid, says Tollgate and has commented examples', () => {
  const config = load(EXAMPLE_DECLARATIVE_CONFIG);
  assert.deepEqual(config.services, []);
  assert.match(EXAMPLE_DECLARATIVE_CONFIG, /_format_version: "3\.0"/);
  assert.match(EXAMPLE_DECLARATIVE_CONFIG, /_transform: true/);
  assert.match(EXAMPLE_DECLARATIVE_CONFIG, /Tollgate/);
  assert.doesNotMatch(EXAMPLE_DECLARATIVE_CONFIG, /Kong/);
  for (const section of ['services', 'routes', 'consumers', 'plugins']) {
    assert.match(EXAMPLE_DECLARATIVE_CONFIG, new RegExp(`^# ${section}:$`, 'm'));
  }
  // Uncomment each example block: from a `# <collection>:` line to the next blank line.
  let inBlock = false;
  const uncommented = EXAMPLE_DECLARATIVE_CONFIG.split('\n')
    .map((line) => {
      if (/^# (services|routes|consumers|plugins):$/.test(line)) inBlock = true;
      if (line === '') inBlock = false;
      return inBlock ? line.slice(2) : line;
    })
    .join('\n');
  const result = loadDeclarative(uncommented, { filename: 'tollgate.yml' });
  assert.ok(!result.ok, 'the plugins in the example are not enabled without a registry');
  assert.match(result.error.message, /plugin 'rate-limiting' not enabled/);
});
