/**
 * Kong's listener TLS, DNS, log, error template, port map and outbound proxy settings: each is accepted with
 * Kong's default text (kong.conf.default) and with a typical value, and a bad value is refused naming it.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSettings } from './load-settings.ts';
import { NETWORK_DEFINITIONS } from './network-definitions.ts';
import { SettingsError } from './settings-error.ts';
import { listenerTlsPolicy } from '../tls/listener-tls.ts';

const dir = mkdtempSync(join(tmpdir(), 'tollgate-network-settings-'));
after(() => rmSync(dir, { recursive: true, force: true }));

execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2', '-subj', '/CN=t',
  '-keyout', join(dir, 'tls.key'), '-out', join(dir, 'tls.crt')], { stdio: 'ignore' });
const dhPem = execFileSync('openssl', ['genpkey', '-genparam', '-algorithm', 'DH', '-pkeyopt', 'group:ffdhe2048'], { encoding: 'utf8' });
writeFileSync(join(dir, 'dh.pem'), dhPem);
writeFileSync(join(dir, 'hosts'), '127.0.0.1 a.test\n');
writeFileSync(join(dir, 'error.html'), '<p>%s</p><i>%s</i> 100%%\n');
writeFileSync(join(dir, 'three.html'), '%s %s %s\n');
writeFileSync(join(dir, 'digit.json'), '{"status": %d}\n');

const crt = join(dir, 'tls.crt');
const key = join(dir, 'tls.key');

/** name → [Kong's default text, a typical value, a bad value]. */
const CASES: Record<string, [string, string, string]> = {
  ssl_cipher_suite: ['intermediate', 'modern', 'paranoid'],
  ssl_ciphers: ['', 'ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256', 'NOT-A-CIPHER'],
  ssl_prefer_server_ciphers: ['on', 'off', 'maybe'],
  ssl_dhparam: ['', 'ffdhe3072', join(dir, 'hosts')],
  ssl_session_tickets: ['on', 'off', 'sometimes'],
  ssl_session_timeout: ['1d', '12h 30m', 'soon'],
  ssl_session_cache_size: ['10m', '512k', '10x'],
  status_ssl_cert: ['', crt, join(dir, 'missing.crt')],
  status_ssl_cert_key: ['', key, join(dir, 'missing.key')],
  debug_ssl_cert: ['', crt, join(dir, 'missing.crt')],
  debug_ssl_cert_key: ['', key, join(dir, 'missing.key')],
  client_ssl: ['off', 'on', 'yes please'],
  client_ssl_cert: ['', crt, join(dir, 'missing.crt')],
  client_ssl_cert_key: ['', key, join(dir, 'missing.key')],
  admin_error_log: ['logs/error.log', '/dev/stderr', ''],
  admin_gui_access_log: ['logs/admin_gui_access.log', 'off', ''],
  admin_gui_error_log: ['logs/admin_gui_error.log', '/dev/stderr', ''],
  status_access_log: ['off', 'logs/status_access.log', ''],
  status_error_log: ['logs/status_error.log', '/dev/stderr', ''],
  proxy_stream_error_log: ['logs/error.log', '/dev/stderr', ''],
  dns_resolver: ['', '8.8.8.8, [::1]:53, 127.0.0.1:5353', 'dns.example.com'],
  dns_hostsfile: ['/etc/hosts', join(dir, 'hosts'), join(dir, 'no-hosts')],
  dns_order: ['LAST,SRV,A,CNAME', 'a,aaaa', 'A,MX'],
  dns_valid_ttl: ['', '30', '-1'],
  dns_stale_ttl: ['3600', '0', 'forever'],
  dns_cache_size: ['10000', '500', '0'],
  dns_not_found_ttl: ['30', '5', 'x'],
  dns_error_ttl: ['1', '0.5', '-3'],
  dns_no_sync: ['off', 'on', '1'],
  resolver_address: ['', '8.8.8.8:53, [::1]:53', '8.8.8.8:99999'],
  resolver_hosts_file: ['/etc/hosts', join(dir, 'hosts'), join(dir, 'no-hosts')],
  resolver_family: ['A,SRV', 'AAAA', 'CNAME'],
  resolver_valid_ttl: ['', '60', 'x'],
  resolver_stale_ttl: ['3600', '10', 'x'],
  resolver_error_ttl: ['1', '2', 'x'],
  resolver_lru_cache_size: ['10000', '100', '-5'],
  resolver_mem_cache_size: ['5m', '10m', 'big'],
  error_template_html: ['', join(dir, 'error.html'), join(dir, 'three.html')],
  error_template_json: ['', join(dir, 'error.html'), join(dir, 'digit.json')],
  error_template_xml: ['', join(dir, 'error.html'), join(dir, 'none.xml')],
  error_template_plain: ['', join(dir, 'error.html'), join(dir, 'three.html')],
  port_maps: ['', '80:8000, 443:8443', '80:0'],
  proxy_server: ['', 'http://proxy.example.com:3128', 'ftp://proxy.example.com'],
  proxy_server_ssl_verify: ['on', 'off', 'strict'],
  cluster_use_proxy: ['off', 'on', 'proxy'],
  admin_gui_csp_header: ['off', 'on', 'strict'],
};

/** Keys that must be set together (a certificate and its key). */
const PARTNERS: Record<string, Record<string, string>> = {
  status_ssl_cert: { status_ssl_cert_key: key },
  status_ssl_cert_key: { status_ssl_cert: crt },
};

function loadWith(values: Record<string, string>) {
  return loadSettings({ confPath: '/dev/null', env: {}, overrides: { prefix: dir, ...values } });
}

test('every setting of the group has a case, and its default is Kong\'s', () => {
  // error_template_* and port_maps are defined beside the other proxy settings, and checked here all the same.
  const elsewhere = ['error_template_html', 'error_template_json', 'error_template_xml', 'error_template_plain', 'port_maps'];
  assert.deepEqual([...NETWORK_DEFINITIONS.map((d) => d.name), ...elsewhere].sort(), Object.keys(CASES).sort());
  for (const definition of NETWORK_DEFINITIONS) {
    // proxy_server_ssl_verify: kong.conf.default documents off, but Kong's built-in default (kong_defaults.lua) is on.
    assert.equal(definition.default, CASES[definition.name][0], definition.name);
  }
});

for (const [name, [kongDefault, typical, bad]] of Object.entries(CASES)) {
  test(`${name}: Kong's default and a typical value are accepted, a bad value is refused`, () => {
    loadWith({ [name]: kongDefault });
    loadWith({ [name]: typical, ...(PARTNERS[name] ?? {}) });
    try {
      loadWith({ [name]: bad });
    } catch (error) {
      assert.ok(error instanceof SettingsError, String(error));
      assert.match(error.message, new RegExp(`invalid value for '${name}'`));
      return;
    }
    assert.fail(`${name} = '${bad}' was accepted`);
  });
}

test('rules between keys: client_ssl needs both halves; cluster_use_proxy needs proxy_server in hybrid mode; status cert/key pairs', () => {
  assert.throws(() => loadWith({ client_ssl: 'on', client_ssl_cert: crt }), /client_ssl_cert_key.*must be specified/);
  assert.throws(
    () => loadWith({ role: 'data_plane', cluster_cert: crt, cluster_cert_key: key, cluster_use_proxy: 'on' }),
    /cluster_use_proxy.*no proxy_server is configured/,
  );
  assert.throws(() => loadWith({ status_ssl_cert: crt }), /status_ssl_cert_key.*must be set/);
});

test('parsed values: nginx times, upper-cased record types, ffdhe names and DH files', () => {
  const s = loadWith({ ssl_session_timeout: '1h 30m', dns_order: 'aaaa,a', ssl_dhparam: join(dir, 'dh.pem') });
  assert.equal(s.ssl_session_timeout, 5400);
  assert.deepEqual(s.dns_order, ['AAAA', 'A']);
  assert.equal(s.ssl_dhparam, join(dir, 'dh.pem'));
  assert.equal(loadWith({ ssl_dhparam: readFileSync(join(dir, 'dh.pem'), 'base64') }).ssl_dhparam, dhPem);
});

test("the suites map to Kong's versions, ciphers and DH parameters; only custom reads ssl_protocols and ssl_ciphers", () => {
  const intermediate = listenerTlsPolicy(loadWith({ ssl_protocols: 'TLSv1.3', ssl_ciphers: 'AES128-SHA' }));
  assert.equal(intermediate.minVersion, 'TLSv1.2');
  assert.equal(intermediate.maxVersion, 'TLSv1.3');
  assert.match(intermediate.ciphers ?? '', /^TLS_AES_256_GCM_SHA384:.*ECDHE-ECDSA-AES128-GCM-SHA256:.*DHE-RSA-CHACHA20-POLY1305$/);
  assert.match(intermediate.dhparam ?? '', /BEGIN DH PARAMETERS/);
  assert.equal(intermediate.honorCipherOrder, false);
  const modern = listenerTlsPolicy(loadWith({ ssl_cipher_suite: 'modern' }));
  assert.deepEqual([modern.minVersion, modern.ciphers, modern.dhparam], ['TLSv1.3', null, null]);
  const old = listenerTlsPolicy(loadWith({ ssl_cipher_suite: 'old' }));
  assert.deepEqual([old.minVersion, old.honorCipherOrder], ['TLSv1', true]);
  assert.match(old.ciphers ?? '', /DES-CBC3-SHA:@SECLEVEL=0$/);
  const custom = listenerTlsPolicy(loadWith({ ssl_cipher_suite: 'custom', ssl_protocols: 'TLSv1.3', ssl_ciphers: 'AES128-SHA', ssl_prefer_server_ciphers: 'off', ssl_session_tickets: 'off', ssl_session_timeout: '5m' }));
  assert.deepEqual([custom.minVersion, custom.maxVersion, custom.honorCipherOrder, custom.sessionTimeout], ['TLSv1.3', 'TLSv1.3', false, 300]);
  assert.match(custom.ciphers ?? '', /:AES128-SHA$/);
  assert.notEqual(custom.secureOptions, 0);
});
