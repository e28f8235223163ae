/**
 * Kong Manager OSS's end-to-end suite (Kong/kong-manager `tests/playwright/specs/**`), its Admin API flow
 * replayed against `bin/tollgate` on PostgreSQL and on SQLite: the set-up calls the specs make themselves
 * (clear, create, delete, fetch) and the calls the app makes for each step they click through, with the
 * status codes, bodies and error messages the specs assert on. The browser part needs Chromium and
 * Playwright, which are not here; these calls are what the app sends (read from the app and its
 * `@kong-ui-public/entities-*` packages).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { makeTestPki } from '../src/admin/test-pki.ts';
import { KongManagerSuiteClient } from './helpers/kong-manager-suite.ts';
import { createTestDatabase, type TestDatabase } from './helpers/postgres.ts';
import { runTollgate, startTollgate, waitUntil, type TollgateNode } from './helpers/tollgate.ts';

const pki = makeTestPki();

/** The plugins the specs create or pick from the catalogue, bundled ones only. */
const SPEC_PLUGINS = ['basic-auth', 'hmac-auth', 'ip-restriction', 'key-auth', 'rate-limiting', 'prometheus', 'datadog'];

const ALL_ENDPOINTS = ['/plugins', '/routes', '/services', '/consumers', '/snis', '/certificates', '/ca_certificates', '/upstreams', '/keys', '/key-sets', '/vaults'];

/**
 * The configuration Kong Manager's plugin form submits when nothing is typed in: each field's default, fields
 * without one left out, and arrays that must not be empty sent as null (the form's `submitWhenNull`).
 */
interface FieldView {
  type?: string;
  default?: unknown;
  len_min?: number;
  fields?: Record<string, FieldView>[];
}

function formDefaults(def: FieldView): unknown {
  if (def.type === 'record') {
    const out: Record<string, unknown> = {};
    for (const field of def.fields ?? []) {
      const [name, sub] = Object.entries(field)[0]!;
      const value = formDefaults(sub);
      if (value !== undefined) out[name] = value;
    }
    return out;
  }
  if (def.default !== undefined && def.default !== null) return def.default;
  if ((def.type === 'array' || def.type === 'set') && (def.len_min ?? 0) > 0) return null;
  return undefined;
}

function suiteOn(database: 'postgres' | 'sqlite'): void {
  describe(`Kong Manager e2e flow on ${database}`, () => {
    let node: TollgateNode;
    let db: TestDatabase | null = null;
    let km: KongManagerSuiteClient;
    before(async () => {
      let env: Record<string, string> = { TOLLGATE_DATABASE: 'sqlite' };
      if (database === 'postgres') {
        db = await createTestDatabase();
        env = db.env;
        const boot = await runTollgate(['migrations', 'bootstrap'], env);
        assert.equal(boot.code, 0, boot.stderr);
      }
      node = await startTollgate({ env, waitFor: 'listening' });
      km = new KongManagerSuiteClient(node.admin);
    });
    after(async () => {
      await node?.stop();
      await db?.drop();
    });

    test('every list the specs clear answers data and next on an empty node', async () => {
      for (const endpoint of ALL_ENDPOINTS) assert.equal(await km.clear(endpoint), 0, endpoint);
    });

    test('GET / (start-up and every navigation) carries what the app reads', async () => {
      const info = (await km.ui('GET', '/')).body;
      assert.match(info.version, /^\d+\.\d+\.\d+/);
      assert.equal(info.edition, 'community');
      for (const name of SPEC_PLUGINS) assert.ok(info.plugins.available_on_server[name], `${name} in the catalogue`);
      assert.ok(Array.isArray(info.plugins.enabled_in_cluster));
      assert.equal(info.configuration.role, 'traditional');
      assert.equal(info.configuration.database, database);
      // The overview shows the PostgreSQL connection.
      if (database === 'postgres') for (const key of ['pg_user', 'pg_host', 'pg_port', 'pg_ssl']) assert.ok(key in info.configuration, key);
      assert.ok(Array.isArray(info.configuration.proxy_listeners));
      assert.ok(typeof info.configuration.admin_listen[0] === 'string');
    });

    test('services/04-Filtering: eleven services, ports 0 to 10, exact-match search by name', async () => {
      for (let i = 0; i <= 10; i++) {
        await km.create('/services', { name: `service-${i}`, enabled: i % 2 === 0, protocol: i % 2 === 0 ? 'http' : 'https', host: `${i}.kong-manager.local`, port: i, path: `/path-${i}` });
      }
      const list = await km.ui('GET', '/services?sort_desc=1&size=30');
      assert.equal(list.body.data.length, 11);
      assert.equal(list.body.next, null);
      const hit = await km.ui('GET', '/services/service-9');
      assert.equal(hit.status, 200);
      assert.equal(hit.body.name, 'service-9');
      assert.equal(hit.body.enabled, false, 'odd services are disabled');
      const miss = await km.ui('GET', '/services/foo');
      assert.equal(miss.status, 404, 'the search renders a 404 as "No results found"');
      assert.deepEqual(miss.body, { message: 'Not found' });
      assert.equal(await km.clear('/services'), 11);
    });

    test('services/01-Service: form errors the spec reads, delete by a dotted name', async () => {
      const form = { name: 'testService', tags: null, read_timeout: 60000, retries: 5, connect_timeout: 60000, ca_certificates: null, client_certificate: null, write_timeout: 60000, port: 80, url: 'http://mockbin.org:80', enabled: true };
      assert.equal((await km.ui('POST', '/services', form)).status, 201);
      const duplicate = await km.ui('POST', '/services', form);
      assert.equal(duplicate.status, 409);
      assert.equal(duplicate.body.message, `UNIQUE violation detected on '{name="testService"}'`);
      // An emptied timeout field is sent as 0.
      const timeout = await km.ui('POST', '/services', { ...form, name: null, connect_timeout: 0 });
      assert.equal(timeout.status, 400);
      assert.equal(timeout.body.message, 'schema violation (connect_timeout: value should be between 1 and 2147483646)');
      await km.create('/services', { name: 'fixed.service', url: 'http://example.com' });
      assert.equal((await km.call('DELETE', '/services/fixed.service')).status, 204);
      // Protocols without a path: the form sends host, port and protocol, and path null.
      for (const protocol of ['grpc', 'grpcs', 'http', 'tcp', 'tls']) {
        const body = { ...form, name: `test_protocol_${protocol}`, protocol, host: `www.test-protocal-${protocol}.com`, port: 80, path: protocol === 'http' ? '/' : null };
        delete (body as { url?: string }).url;
        const created = await km.ui('POST', '/services', body);
        assert.equal(created.status, 201, JSON.stringify(created.body));
        assert.equal((await km.ui('GET', `/services/${created.body.id}`)).body.protocol, protocol);
        assert.equal((await km.call('DELETE', `/services/${created.body.id}`)).status, 204);
      }
      // TLS verify through the edit form: PATCH of the whole record.
      const ca = await km.create('/ca_certificates', { cert: pki.caCert });
      const tls = (await km.ui('POST', '/services', { ...form, name: 'tls-service', url: 'https://mockbin.org:80', ca_certificates: [ca.id] })).body;
      assert.equal(tls.tls_verify, null, 'shown as "Use default system setting"');
      const off = await km.ui('PATCH', `/services/${tls.id}`, { ...form, name: 'tls-service', protocol: 'https', host: 'mockbin.org', url: undefined, ca_certificates: [ca.id], tls_verify: false });
      assert.equal(off.status, 200, JSON.stringify(off.body));
      assert.equal(off.body.tls_verify, false);
      await km.clear('/services');
      await km.clear('/ca_certificates');
    });

    test('routes/01-Routes: a path without a slash, routes of a service, removing the service', async () => {
      const service = await km.create('/services', { name: 'route-service', url: 'http://example.com:8080/test' });
      await km.create('/services', { url: 'http://example.com:8080/test' });
      const bad = await km.ui('POST', '/routes', { name: 'n1', protocols: ['http', 'https'], paths: ['kong(-ee){0,1}.com'], https_redirect_status_code: 426, strip_path: true, preserve_host: false, request_buffering: true, response_buffering: true, tags: [], service: null, methods: null, hosts: null, headers: null, regex_priority: 0, path_handling: 'v0', sources: null, destinations: null, snis: null });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.message, 'schema violation (paths.1: should start with: / (fixed path) or ~/ (regex path))');
      const route = await km.create('/routes', { name: 'route-a', hosts: ['example.com'], service: { id: service.id } });
      assert.deepEqual((await km.ui('GET', `/services/${service.id}/routes?sort_desc=1&size=30`)).body.data.map((r: { id: string }) => r.id), [route.id]);
      const detail = (await km.ui('GET', `/routes/${route.id}`)).body;
      assert.equal((await km.ui('GET', `/services/${detail.service.id}`)).body.name, 'route-service');
      const unscoped = await km.ui('PATCH', `/routes/${route.id}`, { ...detail, service: null });
      assert.equal(unscoped.status, 200, JSON.stringify(unscoped.body));
      assert.equal(unscoped.body.service, null);
      // The protocol matrix of "successful with grpc/grpcs" and "tls/tcp": the advanced form's whole body.
      const advanced = (name: string, protocols: string[], extra: Record<string, unknown>) => ({
        name, protocols, tags: ['tag1', 'tag2'], service: { id: service.id }, https_redirect_status_code: 426, strip_path: false, preserve_host: false,
        request_buffering: true, response_buffering: true, methods: null, hosts: null, paths: null, headers: null, regex_priority: 0,
        path_handling: 'v0', sources: null, destinations: null, snis: null, ...extra,
      });
      const sources = [{ ip: '10.1.0.0/16', port: 1234 }, { ip: '10.1.0.0/16', port: 4321 }];
      for (const protocols of [['grpc'], ['grpcs'], ['grpc', 'grpcs'], ['tcp'], ['tls'], ['tcp', 'tls', 'udp']]) {
        const stream = protocols.includes('tcp') || protocols.includes('tls');
        const extra = { ...(stream ? { sources } : { hosts: ['google.com'] }), ...(protocols.some((p) => p === 'grpcs' || p === 'tls') ? { snis: ['snis'] } : {}) };
        const r = await km.ui('POST', '/routes', advanced(`route_${protocols.join('_')}`, protocols, extra));
        assert.equal(r.status, 201, `${protocols}: ${JSON.stringify(r.body)}`);
        assert.deepEqual(r.body.protocols, protocols);
        assert.equal(r.body.strip_path, false);
      }
      const regex = await km.ui('POST', '/routes', advanced('regex-route', ['http', 'https'], { paths: ['~/api/v\\d+'], strip_path: true }));
      assert.equal(regex.status, 201, JSON.stringify(regex.body));
      const picker = await km.ui('GET', '/services?size=1000');
      assert.equal(picker.body.data.length, 2);
      assert.equal(picker.body.next, null, 'the picker has the whole list');
      await km.clear('/routes');
      await km.clear('/services');
    });

    test('misc/01-EntityListPagination: fifty consumers created at once, pages of 30 by offset', async () => {
      await Promise.all(Array.from({ length: 50 }, (_, i) => km.create('/consumers', { username: `consumer-${i.toString().padStart(3, '0')}` })));
      const first = await km.ui('GET', '/consumers?sort_desc=1&size=30');
      assert.equal(first.body.data.length, 30);
      assert.equal(typeof first.body.offset, 'string');
      assert.equal(first.body.next, `/consumers?offset=${encodeURIComponent(first.body.offset)}&size=30`);
      const second = await km.ui('GET', `/consumers?sort_desc=1&size=30&offset=${encodeURIComponent(first.body.offset)}`);
      assert.equal(second.body.data.length, 20);
      assert.equal(second.body.next, null);
      assert.equal(second.body.offset, undefined);
      const names = new Set([...first.body.data, ...second.body.data].map((c: { username: string }) => c.username));
      assert.equal(names.size, 50);
      const hundred = await km.ui('GET', '/consumers?sort_desc=1&size=100');
      assert.equal(hundred.body.data.length, 50);
      assert.equal((await km.ui('GET', '/consumers?size=1001')).status, 400);
      assert.equal(await km.clear('/consumers'), 50);
    });

    test('consumers: create, edit away the username, search, credentials of enabled plugins', async () => {
      const bob = (await km.ui('POST', '/consumers', { username: 'bob', custom_id: 'bob-id', tags: ['t1'] })).body;
      const noName = await km.ui('PATCH', `/consumers/${bob.id}`, { username: null, custom_id: 'bob-id', tags: ['t1'] });
      assert.equal(noName.status, 200, JSON.stringify(noName.body));
      assert.equal(noName.body.username, null);
      assert.equal((await km.ui('GET', '/consumers/bob-id')).status, 404, 'the search looks up id or username only');
      await km.ui('PATCH', `/consumers/${bob.id}`, { username: 'bob', custom_id: null, tags: ['t1'] });
      assert.equal((await km.ui('GET', '/consumers/bob')).body.id, bob.id);
      assert.equal((await km.ui('GET', '/consumers/should-not-found')).status, 404);
      // 02-ConsumerCredentials: the tab of a credential plugin shows once a plugin row of it exists.
      await km.create('/plugins', { name: 'basic-auth' });
      const info = (await km.ui('GET', '/')).body;
      assert.ok(info.plugins.enabled_in_cluster.includes('basic-auth'));
      const schema = await km.ui('GET', '/schemas/basicauth_credentials');
      assert.equal(schema.status, 200);
      assert.ok(schema.body.fields.some((f: Record<string, unknown>) => 'password' in f));
      const cred = await km.ui('POST', `/consumers/${bob.id}/basic-auth`, { username: 'cred-user', password: 'cred-password', tags: [] });
      assert.equal(cred.status, 201, JSON.stringify(cred.body));
      const creds = await km.ui('GET', `/consumers/${bob.id}/basic-auth?sort_desc=1&size=30`);
      assert.deepEqual(creds.body.data.map((c: { username: string }) => c.username), ['cred-user']);
      assert.equal((await km.ui('DELETE', `/consumers/${bob.id}/basic-auth/${cred.body.id}`)).status, 204);
      // 01-Consumers "enable key auth": two keys through the credential form.
      await km.create('/plugins', { name: 'key-auth' });
      for (const key of ['my-api-key', 'my-second-api-key']) assert.equal((await km.ui('POST', `/consumers/${bob.id}/key-auth`, { key, tags: [] })).status, 201);
      assert.equal((await km.ui('GET', `/consumers/${bob.id}/key-auth?sort_desc=1&size=30`)).body.data.length, 2);
      // 03-ConsumerPlugins: a rate-limiting plugin from the consumer's plugin tab, then its tags edited.
      const limited = await km.ui('POST', `/consumers/${bob.id}/plugins`, { name: 'rate-limiting', config: { second: 30, policy: 'local' }, protocols: ['grpc', 'grpcs', 'http', 'https'], tags: ['tag'], enabled: true });
      assert.equal(limited.status, 201, JSON.stringify(limited.body));
      assert.deepEqual(limited.body.consumer, { id: bob.id });
      const retagged = await km.ui('PATCH', `/consumers/${bob.id}/plugins/${limited.body.id}`, { ...limited.body, tags: ['tagtag'] });
      assert.deepEqual(retagged.body.tags, ['tagtag']);
      assert.equal((await km.ui('GET', `/consumers/${bob.id}/plugins?sort_desc=1&size=30`)).body.data.length, 1);
      await km.clear('/plugins');
      await km.clear('/consumers');
    });

    test('plugins: instance names, search, scoping by a whole entity object, un-scoping a consumer', async () => {
      await km.create('/plugins', { name: 'basic-auth', instance_name: 'basic-auth' });
      await km.create('/plugins', { name: 'hmac-auth', instance_name: 'hmac-auth' });
      assert.equal((await km.ui('GET', '/plugins?sort_desc=1&size=30')).body.data.length, 2);
      assert.equal((await km.ui('GET', '/plugins/basic-auth')).body.name, 'basic-auth', 'search by instance name');
      assert.equal((await km.ui('GET', '/plugins/foo')).status, 404);
      await km.clear('/plugins');
      // 02-NotFound "plugin detail - 404".
      const noSchema = await km.ui('GET', '/schemas/plugins/non-existent');
      assert.equal(noSchema.status, 404);
      assert.equal(noSchema.body.message, "No plugin named 'non-existent'");
      for (const name of SPEC_PLUGINS) {
        const schema = await km.ui('GET', `/schemas/plugins/${name}`);
        assert.equal(schema.status, 200, name);
        // The form's protocols picker (the "plugin protocols" spec) is drawn from this field, which every Kong plugin has.
        const protocols = schema.body.fields.find((f: Record<string, unknown>) => 'protocols' in f)?.protocols;
        assert.ok(protocols?.elements?.one_of?.includes('https'), `${name}: protocols`);
        assert.deepEqual(protocols.default, ['grpc', 'grpcs', 'http', 'https'], name);
      }
      // Each plugin the specs add through the form, submitted with what the form fills in by itself.
      const formConsumer = await km.create('/consumers', { username: 'form-defaults' });
      const required: Record<string, Record<string, unknown>> = { 'rate-limiting': { second: 30 }, 'ip-restriction': { allow: ['0.0.0.0/32'] } };
      for (const name of SPEC_PLUGINS) {
        const fields = Object.fromEntries((await km.ui('GET', `/schemas/plugins/${name}`)).body.fields.map((f: Record<string, unknown>) => Object.entries(f)[0]));
        const config = { ...(formDefaults(fields.config) as Record<string, unknown>), ...required[name] };
        const scope = fields.consumer?.eq === null ? {} : { consumer: { id: formConsumer.id } };
        const created = await km.ui('POST', '/plugins', { name, enabled: true, config, protocols: fields.protocols.default, tags: [], ...scope });
        assert.equal(created.status, 201, `${name}: ${JSON.stringify(created.body)}`);
      }
      await km.clear('/plugins');
      await km.clear('/consumers');
      const keyAuth = (await km.ui('GET', '/schemas/plugins/key-auth')).body;
      const config = keyAuth.fields.find((f: Record<string, unknown>) => 'config' in f).config;
      const keyNames = config.fields.find((f: Record<string, unknown>) => 'key_names' in f).key_names;
      assert.deepEqual(keyNames.default, ['apikey'], 'the form fills ff-config.key_names.0 with it');
      const prometheus = await km.create('/plugins', { name: 'prometheus', enabled: true });
      assert.equal(prometheus.instance_name, null, 'shown as an empty instance name');
      const detail = await km.ui('GET', `/plugins/${prometheus.id}?expand_partials=true`);
      assert.equal(detail.body.id, prometheus.id);
      await km.clear('/plugins');
      // "updating scoped plugin's consumer field should cause no errors".
      const one = await km.create('/consumers', { username: 'oneConsumer' });
      await km.create('/consumers', { username: 'anotherConsumer' });
      const restricted = await km.create('/plugins', { enabled: true, name: 'ip-restriction', config: { allow: ['0.0.0.0/0'] }, consumer: { id: one.id } });
      const global = await km.ui('PATCH', `/plugins/${restricted.id}`, { ...restricted, consumer: null });
      assert.equal(global.status, 200, JSON.stringify(global.body));
      assert.equal(global.body.consumer, null);
      // The scoped form sends the service picked; the API call in the spec sends the whole object back.
      const service = await km.create('/services', { name: 'test_service', url: 'http://tester.com/test' });
      const scoped = await km.ui('POST', '/plugins', { name: 'basic-auth', service: { id: service.id }, config: { anonymous: null, hide_credentials: false } });
      assert.equal(scoped.status, 201, JSON.stringify(scoped.body));
      assert.deepEqual((await km.ui('GET', `/services/${service.id}/plugins?sort_desc=1&size=30`)).body.data.map((p: { id: string }) => p.id), [scoped.body.id]);
      const narrowed = await km.ui('PATCH', `/services/${service.id}/plugins/${scoped.body.id}`, { ...scoped.body, config: { ...scoped.body.config, anonymous: 'anon', hide_credentials: true } });
      assert.equal(narrowed.status, 200, JSON.stringify(narrowed.body));
      assert.equal(narrowed.body.config.hide_credentials, true);
      const route = await km.create('/routes', { name: 'test_route', protocols: ['http'], methods: ['GET'] });
      const onRoute = await km.ui('POST', `/routes/${route.id}/plugins`, { name: 'ip-restriction', config: { allow: ['0.0.0.0/32'] } });
      assert.deepEqual(onRoute.body.route, { id: route.id });
      await km.clear('/plugins');
      await km.clear('/routes');
      await km.clear('/services');
      await km.clear('/consumers');
    });

    test('certificates and snis: an SNI made with the whole certificate object, searches and 404s', async () => {
      const certificate = await km.create('/certificates', { cert: pki.server.cert, key: pki.server.key });
      const a = await km.create('/snis', { name: 'snisa', certificate });
      assert.deepEqual(a.certificate, { id: certificate.id });
      await km.create('/snis', { name: 'snisb', certificate });
      assert.equal((await km.ui('GET', '/snis?sort_desc=1&size=30')).body.data.length, 2);
      assert.equal((await km.ui('GET', '/snis/snisa')).body.id, a.id);
      assert.equal((await km.ui('GET', '/snis/foo')).status, 404);
      assert.equal((await km.ui('GET', '/certificates/snisa')).body.id, certificate.id, 'certificates are found by SNI name too');
      const missing = await km.ui('GET', '/certificates/non-existent');
      assert.equal(missing.status, 404);
      assert.match(missing.body.message, /not found/i);
      const form = await km.ui('POST', '/certificates', { cert: pki.server.cert, key: pki.server.key, cert_alt: null, key_alt: null, snis: ['form.example.com'], tags: [] });
      assert.equal(form.status, 201, JSON.stringify(form.body));
      assert.deepEqual(form.body.snis, ['form.example.com']);
      assert.equal((await km.ui('GET', '/certificates?size=1000')).body.data.length, 2);
      await km.clear('/snis');
      assert.equal(await km.clear('/certificates'), 2);
    });

    test('upstreams and targets: the messages the forms show, marking a target healthy', async () => {
      const form = { slots: 10000, algorithm: 'round-robin', healthchecks: { threshold: 0 }, host_header: null, client_certificate: null, tags: [] };
      const upstream = (await km.ui('POST', '/upstreams', { ...form, name: 'upstream.host1', hash_on: 'none', hash_fallback: 'none' })).body;
      const dup = await km.ui('POST', '/upstreams', { ...form, name: 'upstream.host1', hash_on: 'none', hash_fallback: 'none' });
      assert.equal(dup.body.message, `UNIQUE violation detected on '{name="upstream.host1"}'`);
      const fullHashes: Record<string, string[]> = {
        consumer: ['none', 'ip', 'header', 'cookie', 'path', 'query_arg', 'uri_capture'],
        ip: ['none', 'consumer', 'header', 'cookie', 'path', 'query_arg', 'uri_capture'],
        path: ['none', 'consumer', 'header', 'cookie', 'query_arg', 'ip', 'uri_capture'],
      };
      for (const [type, expected] of Object.entries(fullHashes)) {
        const r = await km.ui('POST', '/upstreams', { ...form, name: `hash-${type}`, hash_on: type, hash_fallback: type });
        assert.equal(r.status, 400);
        assert.equal(r.body.message, `2 schema violations (failed conditional validation given value of field 'hash_on'; hash_fallback: expected one of: ${expected.join(', ')})`);
      }
      for (const type of ['query_arg', 'uri_capture', 'header']) {
        const r = await km.ui('POST', '/upstreams', { ...form, name: `hash-${type}`, hash_on: type, hash_fallback: type, [`hash_on_${type}`]: type, [`hash_fallback_${type}`]: type });
        assert.equal(r.body.message, `schema violation (values of these fields must be distinct: 'hash_on_${type}', 'hash_fallback_${type}')`);
      }
      // The algorithm matrix: Kong rewrites the algorithm to follow hash_on, and the detail page shows what it stored.
      const algorithms: [string, string, string][] = [
        ['round-robin', 'none', 'round-robin'], ['least-connections', 'none', 'least-connections'], ['consistent-hashing', 'none', 'round-robin'], ['latency', 'none', 'latency'],
        ['round-robin', 'ip', 'consistent-hashing'], ['least-connections', 'ip', 'least-connections'], ['consistent-hashing', 'ip', 'consistent-hashing'], ['latency', 'ip', 'latency'],
      ];
      for (const [algorithm, hashOn, stored] of algorithms) {
        const r = await km.ui('POST', '/upstreams', { ...form, name: `upstream.host2`, algorithm, hash_on: hashOn, hash_fallback: 'none' });
        assert.equal(r.status, 201, JSON.stringify(r.body));
        assert.equal((await km.ui('GET', `/upstreams/${r.body.id}`)).body.algorithm, stored, `${algorithm} with hash_on ${hashOn}`);
        assert.equal((await km.ui('DELETE', `/upstreams/${r.body.id}`)).status, 204);
      }
      const certificate = await km.create('/certificates', { cert: pki.server.cert, key: pki.server.key });
      const withCert = await km.ui('POST', '/upstreams', { ...form, name: 'upstream.host3', hash_on: 'none', hash_fallback: 'none', client_certificate: { id: certificate.id } });
      assert.deepEqual(withCert.body.client_certificate, { id: certificate.id });
      const badTarget = await km.ui('POST', `/upstreams/${upstream.id}/targets`, { target: '123', weight: 100, tags: [] });
      assert.equal(badTarget.body.message, 'schema violation (target: Invalid target; not a valid hostname or ip address)');
      // With an active check switched on in the edit form, the target menu offers healthy/unhealthy.
      const active = { type: 'http', healthy: { interval: 5, successes: 5, http_statuses: [200, 302] }, unhealthy: { interval: 5, timeouts: 0, tcp_failures: 5, http_failures: 5, http_statuses: [429, 404, 500, 501, 502, 503, 504, 505] }, timeout: 1, concurrency: 10, http_path: '/', headers: {} };
      const edited = await km.ui('PATCH', `/upstreams/${upstream.id}`, { ...form, name: 'upstream.host1', hash_on: 'none', hash_fallback: 'none', healthchecks: { threshold: 0, active } });
      assert.equal(edited.status, 200, JSON.stringify(edited.body));
      assert.equal((await km.ui('GET', `/upstreams/${upstream.id}`)).body.healthchecks.active.healthy.interval, 5);
      const target = (await km.ui('POST', `/upstreams/${upstream.id}/targets`, { target: '127.0.0.1:9', weight: 100, tags: [] })).body;
      assert.deepEqual((await km.ui('GET', `/upstreams/${upstream.id}/targets?sort_desc=1&size=30`)).body.data.map((t: { id: string }) => t.id), [target.id]);
      // Right after the target is written, as Kong answers from its database.
      assert.equal((await km.ui('PUT', `/upstreams/${upstream.id}/targets/${target.id}/unhealthy`)).status, 204);
      await waitUntil(async () => {
        const health = await km.call('GET', `/upstreams/${upstream.id}/health`);
        return health.body?.data?.[0]?.health === 'UNHEALTHY';
      }, 20_000, 'the target marked unhealthy');
      assert.equal((await km.ui('PUT', `/upstreams/${upstream.id}/targets/${target.id}/healthy`)).status, 204);
      assert.equal((await km.ui('PUT', `/upstreams/${upstream.id}/targets/${crypto.randomUUID()}/healthy`)).status, 404);
      // Switching both checks off again: the form sends zeroed records, not nothing.
      const off = await km.ui('PATCH', `/upstreams/${upstream.id}`, { ...form, name: 'upstream.host1', hash_on: 'none', hash_fallback: 'none', healthchecks: { threshold: 0, active: { type: 'http', headers: {}, healthy: { interval: 0, successes: 0 }, unhealthy: { interval: 0, http_failures: 0, tcp_failures: 0, timeouts: 0 } }, passive: { type: 'http', healthy: { successes: 0 }, unhealthy: { timeouts: 0, tcp_failures: 0, http_failures: 0 } } } });
      assert.equal(off.status, 200, JSON.stringify(off.body));
      assert.equal((await km.ui('GET', '/upstreams/upstreamA')).status, 404);
      await km.clear('/upstreams');
      await km.clear('/certificates');
    });

    test('keys and key sets: the kid mismatch and duplicate-name messages', async () => {
      const set = await km.create('/key-sets', { name: 'key-set' });
      const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const jwk = JSON.stringify({ ...pair.privateKey.export({ format: 'jwk' }), kid: 'jwk-kid' });
      const mismatch = await km.ui('POST', '/keys', { name: 'pem-key', kid: 'notJwk', jwk, pem: null, set: null, tags: [] });
      assert.equal(mismatch.status, 400);
      assert.equal(mismatch.body.message, 'schema violation (kid in jwk.kid must be equal to keys.kid)');
      const pem = { public_key: pair.publicKey.export({ type: 'spki', format: 'pem' }), private_key: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }) };
      assert.equal((await km.ui('POST', '/keys', { name: 'pem-key', kid: 'pem-kid', pem, jwk: null, set: { id: set.id }, tags: [] })).status, 201);
      const duplicate = await km.ui('POST', '/keys', { name: 'pem-key', kid: 'pem-kid-2', pem, jwk: null, set: null, tags: [] });
      assert.equal(duplicate.status, 409);
      assert.equal(duplicate.body.message, `UNIQUE violation detected on '{name="pem-key"}'`);
      assert.equal((await km.ui('POST', `/key-sets/${set.id}/keys`, { name: 'jwk-key', kid: 'jwk-kid', jwk, pem: null, tags: [] })).status, 201);
      assert.equal((await km.ui('GET', `/key-sets/${set.id}/keys?sort_desc=1&size=30`)).body.data.length, 2);
      assert.equal(await km.clear('/keys'), 2);
      assert.equal(await km.clear('/key-sets'), 1);
    });

    test('vaults: env vault create and edit; a prefix named after a backend is refused', async () => {
      const created = await km.ui('POST', '/vaults', { name: 'env', prefix: 'my-env', description: null, tags: [], config: { prefix: '_ssl' } });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const refused = await km.ui('POST', '/vaults', { name: 'env', prefix: 'env', description: null, tags: [], config: { prefix: '_ssl' } });
      assert.equal(refused.status, 400);
      // Kong OSS lists its only bundled backend, `env`; Tollgate also bundles `file` (the suite's exact text differs).
      assert.match(refused.body.message, /^schema violation \(prefix: must not be one of: env\)$/);
      const read = (await km.ui('GET', '/vaults/my-env')).body;
      assert.equal((await km.ui('PATCH', `/vaults/${read.id}`, { ...read, description: 'edited' })).body.description, 'edited');
      assert.equal(await km.clear('/vaults'), 1);
    });

    test('misc/02-NotFound: the pages\' fetches of unknown ids answer 404 Not found', async () => {
      for (const path of ['/consumers/non-existent', '/snis/non-existent', '/upstreams/non-existent', '/plugins/non-existent', '/services/non-existent', '/routes/non-existent', '/key-sets/non-existent', '/keys/non-existent', '/vaults/non-existent']) {
        const r = await km.ui('GET', path);
        assert.equal(r.status, 404, path);
        assert.deepEqual(r.body, { message: 'Not found' }, path);
      }
    });

    test('CORS preflights of the writes the app sends', async () => {
      const service = await km.create('/services', { name: 'cors-service', url: 'http://example.com' });
      for (const [path, method] of [['/services', 'POST'], [`/services/${service.id}`, 'PATCH'], [`/services/${service.id}`, 'DELETE']]) {
        const r = await km.call('OPTIONS', path, undefined, 'http://localhost:8080');
        assert.equal(r.status, 204, path);
        assert.equal(r.headers['access-control-allow-origin'], 'http://localhost:8080');
        assert.equal(r.headers['access-control-allow-credentials'], 'true');
        assert.match(String(r.headers['access-control-allow-methods']), new RegExp(method));
      }
      await km.clear('/services');
    });
  });
}

suiteOn('postgres');
suiteOn('sqlite');

describe('Kong Manager e2e flow: routes-expressions (router_flavor = expressions)', () => {
  let node: TollgateNode;
  let km: KongManagerSuiteClient;
  before(async () => {
    node = await startTollgate({ env: { TOLLGATE_DATABASE: 'sqlite', TOLLGATE_ROUTER_FLAVOR: 'expressions' }, waitFor: 'listening' });
    km = new KongManagerSuiteClient(node.admin);
  });
  after(async () => {
    await node?.stop();
  });

  const common = { protocols: ['http', 'https'], tags: [], service: null, https_redirect_status_code: 426, strip_path: true, preserve_host: false, request_buffering: true, response_buffering: true };

  test('the spec checks the flavor with fetchKongResource(\'\')', async () => {
    assert.equal((await km.call('GET', '')).body.configuration.router_flavor, 'expressions');
    assert.equal(await km.clear('/routes'), 0);
  });

  test('traditional and expression routes from the form; an invalid expression is a form error', async () => {
    const traditional = await km.ui('POST', '/routes', { ...common, name: 'trad-1', methods: null, hosts: null, paths: ['/trad/1'], headers: null, regex_priority: 0, path_handling: 'v0', sources: null, destinations: null, snis: null });
    assert.equal(traditional.status, 201, JSON.stringify(traditional.body));
    assert.deepEqual(traditional.body.paths, ['/trad/1']);
    const expression = await km.ui('POST', '/routes', { ...common, name: 'expr-1', expression: 'http.path == "/expr/1"', priority: 0 });
    assert.equal(expression.status, 201, JSON.stringify(expression.body));
    assert.equal((await km.ui('GET', `/routes/${expression.body.id}`)).body.expression, 'http.path == "/expr/1"');
    const invalid = await km.ui('POST', '/routes', { ...common, name: 'expr-bad', expression: 'http.path ==', priority: 0 });
    assert.equal(invalid.status, 400);
    assert.equal(invalid.body.name, 'schema violation');
    assert.equal(await km.clear('/routes'), 2);
  });
});
