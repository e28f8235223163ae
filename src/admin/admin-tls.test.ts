import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { request, type RequestOptions } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { after, before, describe, test } from 'node:test';
import { loadSettings } from '../config/index.ts';
import { adminTlsOptions, listenAdminHttps } from './admin-tls.ts';
import { makeTestPki, type TestPki } from './test-pki.ts';

function get(port: number, options: RequestOptions = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', rejectUnauthorized: false, ...options }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('ssl Admin API listeners', () => {
  let pki: TestPki;
  const servers: Server[] = [];
  before(() => {
    pki = makeTestPki();
  });
  after(async () => {
    for (const server of servers) await new Promise((resolve) => server.close(resolve));
  });

  async function serve(clientCa: string | null): Promise<number> {
    const server = await listenAdminHttps({ ip: '127.0.0.1', port: 0 }, { ...pki.server, clientCa, minVersion: 'TLSv1.2' }, (req, res) => {
      const peer = (req.socket as TLSSocket).getPeerCertificate();
      res.end(`hello ${peer.subject?.CN ?? 'stranger'}`);
    });
    servers.push(server);
    return (server.address() as AddressInfo).port;
  }

  test('without admin_ssl_client_ca, HTTPS answers clients without certificates', async () => {
    const port = await serve(null);
    const r = await get(port, { ca: pki.server.cert, rejectUnauthorized: true });
    assert.equal(r.status, 200);
    assert.equal(r.body, 'hello stranger');
  });

  test('with admin_ssl_client_ca, only clients with a certificate signed by that CA get through', async () => {
    const port = await serve(pki.caCert);
    const ok = await get(port, pki.client);
    assert.equal(ok.status, 200);
    assert.equal(ok.body, 'hello admin-client');
    await assert.rejects(get(port), 'no client certificate');
    await assert.rejects(get(port, pki.foreign), 'a certificate from another CA');
  });

  test('adminTlsOptions reads admin_ssl_cert, admin_ssl_client_ca and the lowest of ssl_protocols', () => {
    const settings = loadSettings({
      env: {},
      overrides: {
        admin_ssl_cert: pki.server.cert,
        admin_ssl_cert_key: pki.server.key,
        admin_ssl_client_ca: pki.caCert,
        ssl_protocols: 'TLSv1.3 TLSv1.2',
      },
    });
    const options = adminTlsOptions(settings);
    assert.equal(options.cert.trim(), pki.server.cert.trim());
    assert.equal(options.key.trim(), pki.server.key.trim());
    assert.equal(options.clientCa?.trim(), pki.caCert.trim());
    assert.equal(options.minVersion, 'TLSv1.2');
    assert.equal(adminTlsOptions(loadSettings({ env: {}, overrides: { admin_ssl_cert: pki.server.cert, admin_ssl_cert_key: pki.server.key } })).clientCa, null);
  });
});
