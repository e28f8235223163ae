import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { commandWords, pluginServerKey, pluginsDirectoryOf } from './plugin-servers.ts';
import { loadSettings } from './load-settings.ts';
import { SettingsError } from './settings-error.ts';

const dir = mkdtempSync(join(tmpdir(), 'tollgate-pluginservers-'));
const jsDir = join(dir, 'js-plugins');
mkdirSync(jsDir);
after(() => rmSync(dir, { recursive: true, force: true }));

function load(text: string) {
  const conf = join(dir, 'tollgate.conf');
  writeFileSync(conf, text);
  return loadSettings({ confPath: conf, env: {} });
}

function problems(text: string): string[] {
  try {
    load(text);
  } catch (err) {
    assert.ok(err instanceof SettingsError, String(err));
    return [...err.problems];
  }
  assert.fail('expected the settings to be refused');
}

test('pluginserver_<name>_* keys are recognised, other keys are not', () => {
  assert.deepEqual(pluginServerKey('pluginserver_js_start_cmd'), { server: 'js', what: 'start_cmd' });
  assert.deepEqual(pluginServerKey('pluginserver_my_js_query_cmd'), { server: 'my_js', what: 'query_cmd' });
  assert.deepEqual(pluginServerKey('pluginserver_go_socket'), { server: 'go', what: 'socket' });
  assert.equal(pluginServerKey('pluginserver_names'), null);
  assert.equal(pluginServerKey('pluginserver_js_other'), null);
});

test('the plugins directory is read from kong-js-pluginserver command lines, in each spelling', () => {
  assert.equal(pluginsDirectoryOf('/usr/local/bin/kong-js-pluginserver --plugins-directory /usr/local/kong/js-plugins'), '/usr/local/kong/js-plugins');
  assert.equal(pluginsDirectoryOf('kong-js-pluginserver -d /p --dump-all-plugins'), '/p');
  assert.equal(pluginsDirectoryOf('kong-js-pluginserver -plugins-directory /p'), '/p');
  assert.equal(pluginsDirectoryOf('kong-js-pluginserver --plugins-directory=/p -v'), '/p');
  assert.equal(pluginsDirectoryOf(`node server.js --plugins-directory "/with space"`), '/with space');
  assert.equal(pluginsDirectoryOf('/usr/local/bin/go-plugin'), null);
  assert.deepEqual(commandWords(`a 'b c' "d" e`), ['a', 'b c', 'd', 'e']);
});

test("Kong's plugin server settings load the JavaScript plugin directory, with Kong's defaults for the rest", () => {
  const s = load(
    `plugins = bundled, js-hello\npluginserver_names = js\n` +
      `pluginserver_js_socket = /usr/local/kong/js_pluginserver.sock\n` +
      `pluginserver_js_start_cmd = /usr/local/bin/kong-js-pluginserver --plugins-directory ${jsDir}\n` +
      `pluginserver_js_query_cmd = /usr/local/bin/kong-js-pluginserver --plugins-directory ${jsDir} --dump-all-plugins\n`,
  );
  assert.deepEqual(s.pluginserver_names, ['js']);
  assert.deepEqual(s.pluginServers, [
    {
      name: 'js',
      socket: '/usr/local/kong/js_pluginserver.sock',
      startCmd: `/usr/local/bin/kong-js-pluginserver --plugins-directory ${jsDir}`,
      queryCmd: `/usr/local/bin/kong-js-pluginserver --plugins-directory ${jsDir} --dump-all-plugins`,
      pluginsDirectory: jsDir,
    },
  ]);
  // A query command alone is enough; the other keys take Kong's defaults.
  const q = load(`pluginserver_names = js\npluginserver_js_query_cmd = kong-js-pluginserver -d ${jsDir} --dump-all-plugins\n`);
  assert.equal(q.pluginServers[0].pluginsDirectory, jsDir);
  assert.equal(q.pluginServers[0].startCmd, '/usr/local/bin/js');
  assert.equal(q.pluginServers[0].socket, join(q.prefix, 'js.socket'));
  assert.deepEqual(load('').pluginServers, []);
});

test('plugin server settings that cannot work stop the start, naming the key and the fix', () => {
  const conf = join(dir, 'tollgate.conf');
  assert.deepEqual(problems(`pluginserver_go_start_cmd = /usr/local/bin/go-hello\n`), [
    `${conf}:1: 'pluginserver_go_start_cmd' configures plugin server 'go', which is not listed in 'pluginserver_names'; add it there or remove the key`,
  ]);
  const [goProblem] = problems(`pluginserver_names = go\npluginserver_go_start_cmd = /usr/local/bin/go-hello\n`);
  assert.match(goProblem, new RegExp(`^${conf}:2: plugin server 'go': Tollgate runs Kong JavaScript plugins in-process and needs their directory; set pluginserver_go_start_cmd = kong-js-pluginserver --plugins-directory DIR`));
  const [missingDir] = problems(`pluginserver_names = js\npluginserver_js_start_cmd = kong-js-pluginserver --plugins-directory ${join(dir, 'nope')}\n`);
  assert.equal(missingDir, `${conf}:2: plugin server 'js': its --plugins-directory ${join(dir, 'nope')} is not an existing directory`);
});

test('plugin_paths: existing directories, made absolute', () => {
  assert.deepEqual(load(`plugin_paths = ${jsDir}, ${dir}\n`).plugin_paths, [jsDir, dir]);
  assert.deepEqual(load('').plugin_paths, []);
  const [problem] = problems(`plugin_paths = ${join(dir, 'missing')}\n`);
  assert.match(problem, new RegExp(`invalid value for 'plugin_paths' .*: no such directory: ${join(dir, 'missing')}`));
  const file = join(dir, 'tollgate.conf');
  assert.match(problems(`plugin_paths = ${file}\n`)[0], /not a directory/);
});
