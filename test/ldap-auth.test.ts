/**
 * ldap-auth through a real node, a real upstream and a real OpenLDAP server (a private slapd started here):
 * good and bad passwords, Kong's 401s and challenges, header_type and realm, hide_credentials, anonymous, the
 * node-wide cache answering while slapd is stopped (within cache_ttl), a 500 when the server cannot be
 * reached, LDAPS and StartTLS with and without certificate verification, and 400s naming the field.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { startTollgate, waitUntil, type TollgateNode } from './helpers/tollgate.ts';
import { startUpstream, type Echo, type TestUpstream } from './helpers/upstream.ts';
import { PEOPLE_DN, slapdBinary, startSlapd, type Slapd } from './helpers/slapd.ts';
import { freePort } from './helpers/ports.ts';

const PASSWORD = 'relativity-1905';
const ldap = (user: string, password: string, scheme = 'ldap') => `${scheme} ${Buffer.from(`${user}:${password}`).toString('base64')}`;

async function send(url: string, headers: Record<string, string> = {}, fresh = false) {
  // `fresh`: a new connection, which the node may hand to another worker.
  const res = await request(url, { headers, reset: fresh });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text, json: () => JSON.parse(text) as { message: string } & Echo };
}

async function call(base: string, method: string, path: string, body?: unknown) {
  const res = await request(`${base}${path}`, {
    method: method as 'POST',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.body.text();
  return { status: res.statusCode, body: text === '' ? null : JSON.parse(text), text };
}

describe('ldap-auth against a private slapd', { skip: slapdBinary() === null ? 'slapd is not installed (.ci/run installs it)' : false }, () => {
  let up: TestUpstream;
  let slapd: Slapd;
  let node: TollgateNode;
  let deadPort: number;

  before(async () => {
    slapd = await startSlapd([
      { uid: 'einstein', password: PASSWORD },
      { uid: 'curie', password: 'radium-1898' },
    ]);
    up = await startUpstream('ldap-up');
    deadPort = await freePort();
    const plugin = (extra: string) => `
      - name: ldap-auth
        config:
          ldap_host: 127.0.0.1
          ldap_port: ${slapd.port}
          base_dn: ${PEOPLE_DN}
          attribute: uid
${extra}`;
    const route = (name: string, plugins: string) => `
  - name: ${name}
    url: http://127.0.0.1:${up.port}
    routes:
      - name: ${name}
        paths: [/${name}]
    plugins:${plugins}`;
    node = await startTollgate({
      // Two workers: the bind cache is the node's, whichever worker takes a request.
      workers: 2,
      // The gateway trusts the test CA, as a deployment trusts its directory's CA.
      env: { NODE_EXTRA_CA_CERTS: slapd.caFile },
      config: `_format_version: "3.0"
consumers:
  - username: no-body
services:${route('plain', plugin(''))}${route('hidden', plugin('          hide_credentials: true\n          realm: test-ldap'))}${route('custom', plugin('          header_type: basic'))}${route('anon', plugin('          anonymous: no-body'))}${route('ghost', plugin('          anonymous: 0f9a1a4c-8a5e-4a57-9f6c-1d1d1d1d1d1d'))}${route('cached', plugin('          cache_ttl: 600'))}${route('starttls', plugin('          start_tls: true\n          ldap_host: localhost\n          verify_ldap_host: true'))}${route('ldaps', `
      - name: ldap-auth
        config:
          ldap_host: localhost
          ldap_port: ${slapd.ldapsPort}
          ldaps: true
          verify_ldap_host: true
          base_dn: ${PEOPLE_DN}
          attribute: uid`)}${route('ldapsip', `
      - name: ldap-auth
        config:
          ldap_host: 127.0.0.1
          ldap_port: ${slapd.ldapsPort}
          ldaps: true
          verify_ldap_host: true
          base_dn: ${PEOPLE_DN}
          attribute: uid`)}${route('dead', `
      - name: ldap-auth
        config:
          ldap_host: 127.0.0.1
          ldap_port: ${deadPort}
          timeout: 3000
          base_dn: ${PEOPLE_DN}
          attribute: uid`)}
`,
    });
  });
  after(async () => {
    await node?.stop();
    await up?.close();
    await slapd?.close();
  });

  test('a good password binds: the user is the credential identifier upstream, no consumer', async () => {
    const ok = await send(`${node.proxy}/plain`, { authorization: ldap('einstein', PASSWORD), 'x-consumer-username': 'forged' });
    assert.equal(ok.status, 200, ok.text);
    const echo = ok.json();
    assert.equal(echo.headers['x-credential-identifier'], 'einstein');
    assert.equal(echo.headers['x-consumer-username'], undefined, 'a client cannot forge the consumer');
    assert.equal(echo.headers['x-anonymous-consumer'], undefined);
    assert.equal(echo.headers.authorization, ldap('einstein', PASSWORD), 'kept without hide_credentials');
    // The scheme is case-insensitive and may follow spaces; Proxy-Authorization works too.
    assert.equal((await send(`${node.proxy}/plain`, { authorization: `  LDAP ${Buffer.from(`curie:radium-1898`).toString('base64')}` })).status, 200);
    assert.equal((await send(`${node.proxy}/plain`, { 'proxy-authorization': ldap('einstein', PASSWORD) })).status, 200);
    assert.equal((await send(`${node.proxy}/plain`, { 'proxy-authorization': 'junk', authorization: ldap('einstein', PASSWORD) })).status, 200);
  });

  test('Kong\'s 401 Unauthorized with the LDAP challenge for every failure', async () => {
    const cases: [Record<string, string>, string][] = [
      [{}, 'no header'],
      [{ authorization: 'abcd' }, 'not the ldap scheme'],
      [{ 'proxy-authorization': 'abcd' }, 'not the ldap scheme in proxy-authorization'],
      [{ authorization: 'ldap ' }, 'no credentials'],
      [{ authorization: ldap('einstein', '') }, 'no password (never an unauthenticated bind)'],
      [{ authorization: ldap('einstein', 'wrong') }, 'a wrong password'],
      [{ authorization: ldap('einstein', `${PASSWORD}:another`) }, 'two passwords'],
      [{ authorization: ldap('einstein', 'e0d91f53c566'.repeat(20)) }, 'a very long wrong password'],
      [{ authorization: ldap('nobody', PASSWORD) }, 'an unknown user'],
      [{ authorization: ldap(`curie,${PEOPLE_DN}`, 'radium-1898') }, 'a username that would add DN components'],
      [{ authorization: `ldap ${Buffer.from('einstein').toString('base64')}` }, 'no colon'],
      [{ authorization: 'ldap !!!notbase64' }, 'not base64'],
    ];
    for (const [headers, what] of cases) {
      const res = await send(`${node.proxy}/plain`, headers);
      assert.equal(res.status, 401, `${what}: ${res.text}`);
      assert.equal(res.json().message, 'Unauthorized', what);
      assert.equal(res.headers['www-authenticate'], 'LDAP', what);
    }
    const realm = await send(`${node.proxy}/hidden`, { authorization: ldap('einstein', 'wrong') });
    assert.equal(realm.headers['www-authenticate'], 'LDAP realm="test-ldap"');
    const custom = await send(`${node.proxy}/custom`, { authorization: ldap('einstein', PASSWORD) });
    assert.equal(custom.status, 401);
    assert.equal(custom.headers['www-authenticate'], 'basic');
    assert.equal((await send(`${node.proxy}/custom`, { authorization: ldap('einstein', PASSWORD, 'Basic') })).status, 200, 'header_type names the scheme');
  });

  test('hide_credentials removes both headers upstream', async () => {
    const res = await send(`${node.proxy}/hidden`, { authorization: ldap('einstein', PASSWORD), 'proxy-authorization': 'other' });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json().headers.authorization, undefined);
    assert.equal(res.json().headers['proxy-authorization'], undefined);
  });

  test('anonymous: the anonymous consumer on failure; a missing one is a 500', async () => {
    const good = (await send(`${node.proxy}/anon`, { authorization: ldap('einstein', PASSWORD) })).json();
    assert.equal(good.headers['x-credential-identifier'], 'einstein');
    assert.equal(good.headers['x-anonymous-consumer'], undefined);
    const anon = await send(`${node.proxy}/anon`);
    assert.equal(anon.status, 200);
    assert.equal(anon.json().headers['x-anonymous-consumer'], 'true');
    assert.equal(anon.json().headers['x-consumer-username'], 'no-body');
    assert.equal(anon.json().headers['x-credential-identifier'], undefined);
    assert.equal((await send(`${node.proxy}/anon`, { authorization: ldap('einstein', 'wrong') })).json().headers['x-consumer-username'], 'no-body');
    const ghost = await send(`${node.proxy}/ghost`);
    assert.equal(ghost.status, 500);
    assert.equal(ghost.json().message, 'anonymous consumer 0f9a1a4c-8a5e-4a57-9f6c-1d1d1d1d1d1d is configured but doesn\'t exist');
  });

  test('LDAPS and StartTLS, with the server\'s certificate verified', async () => {
    for (const path of ['starttls', 'ldaps']) {
      const ok = await send(`${node.proxy}/${path}`, { authorization: ldap('einstein', PASSWORD) });
      assert.equal(ok.status, 200, `${path}: ${ok.text}`);
      assert.equal(ok.json().headers['x-credential-identifier'], 'einstein');
      assert.equal((await send(`${node.proxy}/${path}`, { authorization: ldap('einstein', 'wrong') })).status, 401, path);
    }
    // The certificate names localhost and 127.0.0.1: by IP it verifies as well.
    assert.equal((await send(`${node.proxy}/ldapsip`, { authorization: ldap('curie', 'radium-1898') })).status, 200);
  });

  test('a server that cannot be reached is a 500, and the password is in no log', async () => {
    const res = await send(`${node.proxy}/dead`, { authorization: ldap('einstein', PASSWORD) });
    assert.equal(res.status, 500, res.text);
    assert.equal(res.json().message, 'An unexpected error occurred');
    await waitUntil(() => /ldap-auth/.test(node.output()), 10_000, 'the error log line');
    assert.ok(!node.output().includes(PASSWORD), 'the password is not logged');
    assert.ok(!node.output().includes(Buffer.from(`einstein:${PASSWORD}`).toString('base64')));
  });

  test('successful binds are cached node-wide for cache_ttl: they pass while slapd is stopped', async () => {
    assert.equal((await send(`${node.proxy}/cached`, { authorization: ldap('einstein', PASSWORD) })).status, 200);
    assert.equal((await send(`${node.proxy}/cached`, { authorization: ldap('curie', 'wrong') })).status, 401);
    await slapd.stop();
    try {
      for (let i = 0; i < 6; i++) {
        assert.equal((await send(`${node.proxy}/cached`, { authorization: ldap('einstein', PASSWORD) }, true)).status, 200, `request ${i}, on either worker`);
      }
      const cached = await send(`${node.proxy}/cached`, { authorization: ldap('einstein', PASSWORD) });
      assert.equal(cached.status, 200, `answered from the cache: ${cached.text}`);
      assert.equal(cached.json().headers['x-credential-identifier'], 'einstein');
      assert.equal((await send(`${node.proxy}/cached`, { authorization: ldap('curie', 'wrong') })).status, 401, 'a refusal is remembered too');
      const uncached = await send(`${node.proxy}/cached`, { authorization: ldap('curie', 'radium-1898') });
      assert.equal(uncached.status, 500, 'not cached: the server is asked, and is gone');
      const otherPassword = await send(`${node.proxy}/cached`, { authorization: ldap('einstein', 'not-the-password') });
      assert.equal(otherPassword.status, 500, 'another password is another cache key');
    } finally {
      await slapd.start();
    }
    // After the restart the pooled connections are gone; the plugin reconnects.
    await waitUntil(async () => (await send(`${node.proxy}/plain`, { authorization: ldap('curie', 'radium-1898') })).status === 200, 20_000, 'a bind after slapd restarted');
  });

  test('configuration errors are 400s naming the field', async () => {
    const both = await call(node.admin, 'POST', '/schemas/plugins/validate', { name: 'ldap-auth', config: { ldap_host: 'h', base_dn: 'dc=x', attribute: 'uid', ldaps: true, start_tls: true } });
    assert.equal(both.status, 400, both.text);
    assert.match(both.text, /'ldaps' and 'start_tls' cannot be enabled simultaneously/);
    assert.ok(both.body.fields.config.start_tls, both.text);
    const missing = await call(node.admin, 'POST', '/schemas/plugins/validate', { name: 'ldap-auth', config: { ldap_host: 'h' } });
    assert.equal(missing.status, 400);
    assert.equal(missing.body.fields.config.base_dn, 'required field missing');
    assert.equal(missing.body.fields.config.attribute, 'required field missing');
    const port = await call(node.admin, 'POST', '/schemas/plugins/validate', { name: 'ldap-auth', config: { ldap_host: 'h', ldap_port: 70000, base_dn: 'dc=x', attribute: 'uid' } });
    assert.equal(port.status, 400);
    assert.ok(port.body.fields.config.ldap_port, port.text);
    const defaults = await call(node.admin, 'POST', '/schemas/plugins/validate', { name: 'ldap-auth', config: { ldap_host: 'h', base_dn: 'dc=x', attribute: 'uid' } });
    assert.equal(defaults.status, 200, defaults.text);
  });
});

describe('ldap-auth verify_ldap_host against a server the gateway does not trust', { skip: slapdBinary() === null ? 'slapd is not installed (.ci/run installs it)' : false }, () => {
  let up: TestUpstream;
  let slapd: Slapd;
  let node: TollgateNode;
  before(async () => {
    slapd = await startSlapd([{ uid: 'einstein', password: PASSWORD }]);
    up = await startUpstream('ldap-untrusted');
    const route = (name: string, verify: boolean, tls: string) => `
  - name: ${name}
    url: http://127.0.0.1:${up.port}
    routes:
      - name: ${name}
        paths: [/${name}]
    plugins:
      - name: ldap-auth
        config:
          ldap_host: localhost
          ldap_port: ${tls === 'ldaps' ? slapd.ldapsPort : slapd.port}
          ${tls}: true
          verify_ldap_host: ${verify}
          base_dn: ${PEOPLE_DN}
          attribute: uid`;
    node = await startTollgate({
      // Another CA than the one that signed slapd's certificate.
      env: { NODE_EXTRA_CA_CERTS: slapd.otherCaFile },
      config: `_format_version: "3.0"
services:${route('ldaps-verified', true, 'ldaps')}${route('starttls-verified', true, 'start_tls')}${route('ldaps-unverified', false, 'ldaps')}${route('starttls-unverified', false, 'start_tls')}
`,
    });
  });
  after(async () => {
    await node?.stop();
    await up?.close();
    await slapd?.close();
  });

  test('a failed certificate check is Kong\'s 401 (the handshake fails); without verification the bind goes through', async () => {
    for (const tls of ['ldaps', 'starttls']) {
      const refused = await send(`${node.proxy}/${tls}-verified`, { authorization: ldap('einstein', PASSWORD) });
      assert.equal(refused.status, 401, `${tls}: ${refused.text}`);
      assert.equal(refused.headers['www-authenticate'], 'LDAP');
      const unverified = await send(`${node.proxy}/${tls}-unverified`, { authorization: ldap('einstein', PASSWORD) });
      assert.equal(unverified.status, 200, `${tls}: ${unverified.text}`);
      const stillRefused = await send(`${node.proxy}/${tls}-verified`, { authorization: ldap('einstein', PASSWORD) });
      assert.equal(stillRefused.status, 401, `${tls}: a bind cached without verification does not vouch for a verifying route`);
    }
    await waitUntil(() => /failed to do SSL handshake/.test(node.output()), 10_000, 'the handshake failure in the error log');
  });
});
