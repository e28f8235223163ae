/**
 * The bundled example (the README's quick start) routes /admin-api on the proxy to the unauthenticated Admin API,
 * so its proxy must listen on loopback only: whoever reaches a public proxy port would otherwise read the key-auth
 * keys and replace the configuration.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadSettings } from '../src/config/load-settings.ts';
import { loadDeclarative } from '../src/declarative/index.ts';
import { ROOT } from './helpers/tollgate.ts';
import { registerPlugins } from '../src/entities/index.ts';
import { BUNDLED_PLUGINS, pluginRegistry } from '../src/plugins/index.ts';

registerPlugins(BUNDLED_PLUGINS);

const isLoopback = (ip: string): boolean => ip.startsWith('127.') || ip === '::1' || ip === '[::1]';

test('an example that proxies to the Admin API listens on loopback only', () => {
  const settings = loadSettings({ confPath: join(ROOT, 'examples', 'tollgate.conf'), env: {} });
  const loaded = loadDeclarative(readFileSync(join(ROOT, 'examples', 'tollgate.yml'), 'utf8'), { filename: 'tollgate.yml', plugins: pluginRegistry(['bundled']) });
  assert.ok(loaded.ok, JSON.stringify(loaded.ok ? null : loaded.error));
  const adminPorts = new Set(settings.admin_listeners.map((l) => l.port));
  const targetsAdmin =
    loaded.config.services.some((s) => isLoopback(String(s.host)) && adminPorts.has(Number(s.port))) ||
    loaded.config.targets.some((t) => adminPorts.has(Number(String(t.target).split(':').pop())));
  assert.ok(targetsAdmin, 'the example still demonstrates proxying to the Admin API');
  for (const listener of settings.proxy_listeners) {
    assert.ok(isLoopback(listener.ip), `proxy_listen ${listener.listener} exposes the Admin API route to the network`);
  }
  for (const listener of settings.admin_listeners) assert.ok(isLoopback(listener.ip), `admin_listen ${listener.listener}`);
});
