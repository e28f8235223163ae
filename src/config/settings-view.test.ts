import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SETTING_DEFINITIONS } from './definitions.ts';
import { loadSettings } from './load-settings.ts';
import { SECRET_PLACEHOLDER, settingsView } from './settings-view.ts';
import type { Settings } from './settings-types.ts';

const dir = mkdtempSync(join(tmpdir(), 'tollgate-view-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const emptyConf = join(dir, 'empty.conf');
writeFileSync(emptyConf, '');

function load(env: Record<string, string> = {}): Settings {
  return loadSettings({ confPath: emptyConf, env });
}

const KEY_PEM = '-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49\n-----END PRIVATE KEY-----';
const PEM = '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----';

test('every key is present', () => {
  const view = settingsView(load());
  for (const definition of SETTING_DEFINITIONS) assert.ok(Object.hasOwn(view, definition.name), definition.name);
});

test('secrets that are set are hidden; unset ones stay null', () => {
  const view = settingsView(load({
    TOLLGATE_PG_PASSWORD: 'hunter2',
    TOLLGATE_DECLARATIVE_CONFIG_STRING: '{"_format_version":"3.0"}',
    TOLLGATE_CLUSTER_CERT: PEM,
    TOLLGATE_CLUSTER_CERT_KEY: KEY_PEM,
    TOLLGATE_SSL_CERT: PEM,
    TOLLGATE_SSL_CERT_KEY: KEY_PEM,
  }));
  assert.equal(view.pg_password, SECRET_PLACEHOLDER);
  assert.equal(view.declarative_config_string, SECRET_PLACEHOLDER);
  assert.equal(view.cluster_cert_key, SECRET_PLACEHOLDER);
  assert.equal(view.ssl_cert_key, SECRET_PLACEHOLDER);
  assert.equal(view.cluster_cert, PEM);
  assert.deepEqual(view.ssl_cert, [PEM]);
  assert.ok(!JSON.stringify(view).includes('hunter2'));
  assert.ok(!JSON.stringify(view).includes('PRIVATE KEY'));
  const unset = settingsView(load());
  assert.equal(unset.pg_password, null);
  assert.equal(unset.cluster_cert_key, null);
});

test('listener arrays, ssl flags and enabled headers are included', () => {
  const view = settingsView(load({ TOLLGATE_ADMIN_LISTEN: '127.0.0.1:9001', TOLLGATE_HEADERS: 'Via' }));
  assert.deepEqual(view.admin_listen, ['127.0.0.1:9001']);
  assert.deepEqual(view.admin_listeners, [{
    ip: '127.0.0.1', port: 9001, ssl: false, http2: false, reuseport: false, backlog: null,
    proxy_protocol: false, deferred: false, bind: false, listener: '127.0.0.1:9001',
  }]);
  assert.equal((view.proxy_listeners as unknown[]).length, 2);
  assert.equal((view.status_listeners as unknown[]).length, 1);
  assert.equal((view.cluster_listeners as unknown[]).length, 1);
  assert.equal(view.proxy_ssl_enabled, true);
  assert.equal(view.admin_ssl_enabled, false);
  assert.deepEqual(view.enabled_headers, {
    Server: false, Via: true, 'X-Tollgate-Proxy-Latency': false, 'X-Tollgate-Response-Latency': false,
    'X-Tollgate-Upstream-Latency': false, 'X-Tollgate-Admin-Latency': false, 'X-Tollgate-Upstream-Status': false,
    'X-Tollgate-Request-Id': false,
  });
  assert.deepEqual(view.enabled_headers_upstream, { 'X-Tollgate-Request-Id': true });
});

test('real_ip_recursive is shown as on/off, like Kong', () => {
  assert.equal(settingsView(load()).real_ip_recursive, 'off');
  assert.equal(settingsView(load({ TOLLGATE_REAL_IP_RECURSIVE: 'on' })).real_ip_recursive, 'on');
});

test('our camelCase derived values stay out of the view', () => {
  const view = settingsView(load());
  assert.ok(!Object.hasOwn(view, 'headersDownstream'));
  assert.ok(!Object.hasOwn(view, 'confPath'));
});

test('the view is a mutable copy, detached from the frozen settings', () => {
  const settings = load();
  const view = settingsView(settings);
  (view.proxy_listeners as { port: number }[])[0].port = 1;
  (view.trusted_ips as string[]).push('10.0.0.1');
  assert.equal(settings.proxy_listeners[0].port, 8000);
  assert.deepEqual(settings.trusted_ips, []);
  assert.deepEqual(JSON.parse(JSON.stringify(view)).role, 'traditional');
});
