import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadExternalPlugins, PluginLoadError, type PluginDirectory } from './loader.ts';
import { loadNodePlugins, pluginDirectories } from './node-plugins.ts';
import { validateEntity } from '../../entities/index.ts';
import { BUNDLED_PLUGINS } from '../index.ts';

const BUNDLED = new Set(['key-auth']);
const EXAMPLES = resolve(import.meta.dirname, '..', '..', '..', 'examples');

let root: string;
let dir: PluginDirectory;

/** Writes `files` (path → text) under the temporary plugin directory. */
function write(files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    const full = join(root, 'plugins', path);
    mkdirSync(resolve(full, '..'), { recursive: true });
    writeFileSync(full, text);
  }
}

const NATIVE = (name: string, extra = '') => `
export default {
  schema: { name: '${name}', config: { type: 'record', fields: { greeting: { type: 'string', default: 'hi' } } } },
  handler: { name: '${name}', priority: 5, access(kong, conf) {} ${extra} },
};`;

async function loadError(names: string[], dirs: PluginDirectory[] = [dir]): Promise<PluginLoadError> {
  try {
    await loadExternalPlugins(names, BUNDLED, dirs);
  } catch (err) {
    assert.ok(err instanceof PluginLoadError, String(err));
    return err;
  }
  assert.fail('expected a PluginLoadError');
}

before(() => {
  // A directory outside the repository, so no package.json "type" applies: .js is CommonJS, as for Kong users.
  root = mkdtempSync(join(tmpdir(), 'tollgate-plugins-'));
  dir = { path: join(root, 'plugins'), setting: 'plugin_paths' };
  write({
    'greeter.mjs': NATIVE('greeter'),
    'typed.ts': `import type { PluginModule } from '${resolve(import.meta.dirname, 'public.ts')}';\n` +
      `const plugin: PluginModule = { schema: { name: 'typed', config: { type: 'record', fields: {} } }, handler: { name: 'typed', priority: 1, log() {} } };\n` +
      'export default plugin;\n',
    'named.mjs': `export const schema = { name: 'named', config: { type: 'record', fields: {} } };\nexport const handler = { name: 'named', priority: 0, access() {} };\n`,
    'folder/package.json': JSON.stringify({ main: 'lib/main.mjs' }),
    'folder/lib/main.mjs': NATIVE('folder'),
    'indexed/index.mjs': NATIVE('indexed'),
    'kong-cjs.js': `class P { constructor(c) { this.c = c } async access(kong) {} }\nmodule.exports = { Plugin: P, Schema: [{ message: { type: 'string' } }], Version: '1.0.0', Priority: 7 };\n`,
    'kong-esm.mjs': `export class Plugin { async access(kong) {} async response(kong) {} }\nexport const Schema = [];\nexport const Priority = 3;\n`,
    'kong-named-file.js': `module.exports = { Plugin: class { async log() {} }, Name: 'Renamed', Schema: [] };\n`,
    'empty.mjs': 'export const nothing = 1;\n',
    'owner.mjs': NATIVE('owner').replace('export default {', "export default {\n  daos: [{ name: 'owner_things', primary_key: ['id'], fields: {} }],\n  migrations: [],"),
    'bad-daos.mjs': NATIVE('bad-daos').replace('export default {', "export default {\n  daos: 'things',"),
    'wrong-name.mjs': NATIVE('other'),
    'bad-priority.mjs': NATIVE('bad-priority').replace('priority: 5', 'priority: 1.5'),
    'bad-phase.mjs': NATIVE('bad-phase', ", log: 'yes'"),
    'bad-kong-priority.js': `module.exports = { Plugin: class { async access() {} }, Priority: 'high' };\n`,
    'bad-kong-schema.js': `module.exports = { Plugin: class { async access() {} }, Schema: [{ message: { type: 'strnig' } }] };\n`,
    'broken.mjs': 'export default {\n',
    'throws.mjs': "throw new Error('top-level failure');\n",
    'empty-folder/README': 'no entry here\n',
    'esm-scope/package.json': JSON.stringify({ type: 'module', main: 'main.js' }),
    'esm-scope/main.js': `module.exports = { Plugin: class {}, Schema: [] };\n`,
  });
});

after(() => rmSync(root, { recursive: true, force: true }));

describe('external plugin loader', () => {
  test('loads Tollgate-format modules: default export, named exports, .ts, folders by index and package.json main', async () => {
    const plugins = await loadExternalPlugins(['bundled', 'key-auth', 'greeter', 'typed', 'named', 'folder', 'indexed'], BUNDLED, [dir]);
    assert.deepEqual(plugins.map((p) => [p.schema.name, p.format]), [
      ['greeter', 'tollgate'], ['typed', 'tollgate'], ['named', 'tollgate'], ['folder', 'tollgate'], ['indexed', 'tollgate'],
    ]);
    assert.equal(plugins[0].file, join(dir.path, 'greeter.mjs'));
    assert.equal(plugins[3].file, join(dir.path, 'folder', 'lib', 'main.mjs'));
    assert.equal(plugins[0].handler.priority, 5);
  });

  test('loads Kong JavaScript plugins: CommonJS, ESM, and by their Name export', async () => {
    const plugins = await loadExternalPlugins(['kong-cjs', 'kong-esm', 'renamed'], BUNDLED, [dir]);
    assert.deepEqual(plugins.map((p) => [p.schema.name, p.format, p.handler.priority]), [['kong-cjs', 'kong-js', 7], ['kong-esm', 'kong-js', 3], ['renamed', 'kong-js', 0]]);
    assert.equal(plugins[0].handler.version, '1.0.0');
    assert.equal(typeof plugins[1].handler.response, 'function');
    assert.equal(plugins[2].file, join(dir.path, 'kong-named-file.js'));
  });

  test('a Tollgate-format plugin may own entities and migrations, as a bundled one does', async () => {
    const [owner] = await loadExternalPlugins(['owner'], BUNDLED, [dir]);
    assert.deepEqual(owner.daos?.map((d) => d.name), ['owner_things']);
    assert.deepEqual(owner.migrations, []);
  });

  test('the first directory that has the plugin wins', async () => {
    const other = mkdtempSync(join(tmpdir(), 'tollgate-plugins-2-'));
    try {
      writeFileSync(join(other, 'greeter.mjs'), NATIVE('greeter').replace('priority: 5', 'priority: 99'));
      const [first] = await loadExternalPlugins(['greeter'], BUNDLED, [{ path: other, setting: 'plugin_paths' }, dir]);
      assert.equal(first.handler.priority, 99);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  test('a missing plugin names it, the directories searched and the settings to check', async () => {
    const err = await loadError(['bundled', 'nowhere']);
    assert.equal(err.plugin, 'nowhere');
    assert.match(err.message, /^plugin 'nowhere': not found: looked for a folder 'nowhere\/' or a module 'nowhere\.js'/);
    assert.ok(err.message.includes(`in ${dir.path} (plugin_paths)`));
    assert.match(err.message, /check the 'plugins' and 'plugin_paths' settings/);
    // Modules that failed while scanning for a Kong plugin Name are listed.
    assert.match(err.message, /These modules failed to load: .*broken\.mjs/);
  });

  test('without plugin directories, a non-bundled name is refused with the bundled list', async () => {
    const err = await loadError(['nope'], []);
    assert.match(err.message, /^plugin 'nope': it is not a bundled plugin \(bundled: key-auth\) and no plugin directories are set/);
  });

  const BAD: [string, RegExp][] = [
    ['empty', /exports neither \{ schema, handler \} .* nor a Plugin class \(Kong's JavaScript format\); it exports 'nothing'/],
    ['wrong-name', /schema\.name is "other"; it must be 'wrong-name', the name the plugin is loaded by/],
    ['bad-priority', /handler\.priority must be an integer \(higher runs first\), got 1\.5/],
    ['bad-phase', /handler\.log must be a function, got string/],
    ['bad-daos', /'daos' must be an array/],
    ['bad-kong-priority', /'Priority' must be an integer, got "high"/],
    ['bad-kong-schema', /Schema\.message: unknown or missing type "strnig"/],
    ['broken', /could not be loaded: SyntaxError: /],
    ['throws', /could not be loaded: Error: top-level failure/],
    ['empty-folder', /the folder has no index\.ts, index\.js, index\.mjs, index\.cjs and no package\.json "main"/],
    ['esm-scope', /module is not defined in ES module scope.*Rename it to \.cjs, or add a package\.json with \{"type": "commonjs"\}/],
    ['kong-named-file', /this Kong JavaScript plugin names itself 'renamed' \(its Name export\); enable it as 'renamed'/],
  ];
  for (const [name, expected] of BAD) {
    test(`a bad plugin stops the load with plugin, file and reason: ${name}`, async () => {
      const err = await loadError([name]);
      assert.equal(err.plugin, name);
      assert.ok(err.file !== null && err.file.startsWith(join(dir.path, name)), err.message);
      assert.ok(err.message.startsWith(`plugin '${name}' (${err.file}): `), err.message);
      assert.match(err.message, expected);
    });
  }
});

describe('node plugins', () => {
  test('plugin_paths come before plugin server directories', () => {
    assert.deepEqual(pluginDirectories({ plugin_paths: ['/a'], pluginServers: [{ name: 'js', pluginsDirectory: '/b' }] }), [
      { path: '/a', setting: 'plugin_paths' },
      { path: '/b', setting: 'pluginserver_js_start_cmd' },
    ]);
  });

  test('the registry has bundled and external schemas with priorities, and validates their config', async () => {
    const { registry, external } = await loadNodePlugins({
      plugins: ['bundled', 'add-header', 'js-hello'],
      plugin_paths: [join(EXAMPLES, 'plugins')],
      pluginServers: [{ name: 'js', pluginsDirectory: join(EXAMPLES, 'js-plugins') }],
    });
    assert.deepEqual([...registry.keys()], [...BUNDLED_PLUGINS.map((p) => p.schema.name), 'add-header', 'js-hello']);
    assert.equal(registry.get('add-header')?.priority, 810);
    assert.deepEqual(external.map((p) => p.format), ['tollgate', 'kong-js']);
    const ok = validateEntity('plugins', { name: 'js-hello', config: { message: 'hi' } }, { plugins: registry });
    assert.ok(ok.ok);
    assert.deepEqual((ok.value as { config: unknown }).config, { message: 'hi' });
    const bad = validateEntity('plugins', { name: 'js-hello', config: { message: 5, other: true } }, { plugins: registry });
    assert.deepEqual(bad, { ok: false, errors: { config: { message: 'expected a string', other: 'unknown field' } } });
    const missing = validateEntity('plugins', { name: 'add-header', config: {} }, { plugins: registry });
    assert.deepEqual(missing, { ok: false, errors: { config: { header_value: 'required field missing' } } });
  });
});
