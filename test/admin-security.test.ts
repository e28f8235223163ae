/**
 * Admin API security on a real node (SQLite store): tokens, the audit log kept in the database, and
 * mutual TLS on an `ssl` admin listener.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { request } from 'undici';
import { makeTestPki, type TestPki } from '../src/admin/test-pki.ts';
import { freePort } from './helpers/ports.ts';
import { startTollgate, waitUntil, type TollgateNode } from './helpers/tollgate.ts';

const TOKEN = 'integration-admin-token-4f1c';
const tokenId = createHash('sha256').update(TOKEN).digest('hex').slice(0, 8);
const AUTH = { authorization: `Bearer ${TOKEN}` };

function httpsCall(port: number, path: string, options: RequestOptions = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port, path, rejectUnauthorized: false, ...options }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('Admin API security on a running node', () => {
  let node: TollgateNode;
  let admin: string;
  let sslPort: number;
  let pki: TestPki;

  before(async () => {
    pki = makeTestPki();
    const [plainPort, tlsPort] = [await freePort(), await freePort()];
    sslPort = tlsPort;
    admin = `http://127.0.0.1:${plainPort}`;
    node = await startTollgate({
      env: {
        TOLLGATE_DATABASE: 'sqlite',
        TOLLGATE_ADMIN_LISTEN: `127.0.0.1:${plainPort}, 127.0.0.1:${tlsPort} ssl`,
        TOLLGATE_ADMIN_API_TOKENS: TOKEN,
        TOLLGATE_ADMIN_SSL_CLIENT_CA: pki.caCert,
      },
    });
    await waitUntil(async () => {
      try {
        return (await request(`${admin}/status`)).statusCode === 401;
      } catch {
        return false;
      }
    }, 20_000, 'the Admin API');
  });
  after(async () => {
    await node?.stop();
  });

  async function call(method: string, path: string, headers: Record<string, string> = {}, json?: unknown) {
    const res = await request(`${admin}${path}`, {
      method: method as 'GET',
      headers: json === undefined ? headers : { ...headers, 'content-type': 'application/json' },
      body: json === undefined ? undefined : JSON.stringify(json),
    });
    const text = await res.body.text();
    return { status: res.statusCode, headers: res.headers, text, body: text === '' ? null : JSON.parse(text) };
  }

  test('without the token: 401, and nothing is written', async () => {
    const refused = await call('POST', '/services', {}, { name: 'sneaky', host: 'example.com' });
    assert.equal(refused.status, 401);
    assert.deepEqual(refused.body, { message: 'Unauthorized' });
    assert.equal(refused.headers['www-authenticate'], 'Bearer realm="tollgate-admin"');
    const list = await call('GET', '/services', AUTH);
    assert.equal(list.status, 200);
    assert.deepEqual(list.body.data, []);
  });

  test('with the token: writes land, and the audit log in the database names the token and the refusal', async () => {
    const created = await call('POST', '/services', AUTH, { name: 'granted', host: 'example.com' });
    assert.equal(created.status, 201, created.text);
    let audit = await call('GET', '/audit/requests', AUTH);
    await waitUntil(async () => {
      audit = await call('GET', '/audit/requests', AUTH);
      return audit.body.data.length >= 2;
    }, 5000, 'the audit records');
    assert.deepEqual(
      audit.body.data.map((r: Record<string, unknown>) => [r.method, r.path, r.status, r.token_id, r.client_ip]),
      [
        ['POST', '/services', 201, tokenId, '127.0.0.1'],
        ['POST', '/services', 401, 'anonymous', '127.0.0.1'],
      ],
    );
    assert.ok(!audit.text.includes(TOKEN) && !audit.text.includes('sneaky'));
    assert.ok(existsSync(join(node.prefix, 'tollgate.db')));
  });

  test('OPTIONS without the token answers every path alike: existing and unknown paths cannot be told apart', async () => {
    const preflight = { origin: 'http://manager.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' };
    const answers = [];
    for (const path of ['/services', '/services/granted', '/audit/requests', '/config', '/', '/no-such-path', '/services/x/y/z', '/%00']) {
      for (const headers of [preflight, {}]) {
        const r = await call('OPTIONS', path, headers);
        // Date and the latency header vary with the clock, not with the path.
        const { date: _date, 'x-tollgate-admin-latency': _latency, ...rest } = r.headers;
        answers.push({ request: headers === preflight ? 'preflight' : 'bare', status: r.status, headers: rest, text: r.text });
      }
    }
    const preflights = answers.filter((a) => a.request === 'preflight');
    const bare = answers.filter((a) => a.request === 'bare');
    for (const group of [preflights, bare]) {
      for (const a of group) assert.deepEqual(a, group[0]);
    }
    assert.equal(preflights[0].status, 204);
    assert.equal(preflights[0].headers.allow, undefined, 'no Allow header names the methods of a path');
    assert.match(String(preflights[0].headers['access-control-allow-methods']), /POST/);
    assert.equal(preflights[0].headers['access-control-allow-origin'], 'http://manager.example');
    // With the token, OPTIONS tells the truth about paths.
    assert.equal((await call('OPTIONS', '/no-such-path', AUTH)).status, 404);
    assert.equal((await call('OPTIONS', '/services', AUTH)).headers.allow, 'GET, HEAD, OPTIONS, POST');
  });

  test('the token never reaches the logs', async () => {
    const accessLog = join(node.prefix, 'logs', 'admin_access.log');
    await waitUntil(() => existsSync(accessLog) && readFileSync(accessLog, 'utf8').includes('/audit/requests'), 5000, 'the admin access log');
    assert.ok(!readFileSync(accessLog, 'utf8').includes(TOKEN));
    assert.ok(!node.output().includes(TOKEN));
  });

  test('the ssl admin listener requires a client certificate signed by admin_ssl_client_ca', async () => {
    const ok = await httpsCall(sslPort, '/services', { ...pki.client, headers: AUTH });
    assert.equal(ok.status, 200, ok.body);
    assert.equal(JSON.parse(ok.body).data[0].name, 'granted');
    const noToken = await httpsCall(sslPort, '/services', pki.client);
    assert.equal(noToken.status, 401, 'a client certificate does not replace the token');
    await assert.rejects(httpsCall(sslPort, '/services', { headers: AUTH }), 'no client certificate');
    await assert.rejects(httpsCall(sslPort, '/services', { ...pki.foreign, headers: AUTH }), 'a certificate from another CA');
  });
});
