/**
 * Certificates served by server name on `ssl` proxy listeners, through `bin/tollgate`: the `certificates` and
 * `snis` of a declarative file, Kong's lookup order, a reload that changes them, and HTTP/2 with them.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as connectTls } from 'node:tls';
import { request } from 'undici';
import { freePort } from './helpers/ports.ts';
import { startTollgate, type TollgateNode } from './helpers/tollgate.ts';
import { startUpstream, type TestUpstream } from './helpers/upstream.ts';

const dir = mkdtempSync(join(tmpdir(), 'tollgate-sni-'));

/** A self-signed P-256 certificate whose subject CN tells the tests which one was served. */
function makeCertificate(cn: string, directory = dir): { cert: string; key: string } {
  const cert = join(directory, `${cn}.crt`);
  const key = join(directory, `${cn}.key`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2', '-subj', `/CN=${cn}`, '-keyout', key, '-out', cert], { stdio: 'ignore' });
  return { cert: readFileSync(cert, 'utf8'), key: readFileSync(key, 'utf8') };
}

/** The served certificate's CN and the negotiated ALPN protocol for a handshake with `servername`. */
function handshake(port: number, servername: string | undefined, alpn?: string[]): Promise<{ cn: string; alpn: string | false }> {
  return new Promise((resolve, reject) => {
    const socket = connectTls({ host: '127.0.0.1', port, servername, rejectUnauthorized: false, ALPNProtocols: alpn }, () => {
      const cn = socket.getPeerCertificate().subject?.CN;
      const protocol = socket.alpnProtocol;
      socket.end();
      resolve({ cn: Array.isArray(cn) ? cn.join(',') : String(cn), alpn: protocol ?? false });
    });
    socket.once('error', reject);
  });
}

/** The CN served for `servername`, polled for up to 5 s until it is `expected` (configuration changes apply asynchronously). */
async function servedSoon(port: number, servername: string, expected: string): Promise<string> {
  let cn = '';
  for (let i = 0; i < 50 && cn !== expected; i++) {
    cn = (await handshake(port, servername)).cn;
    if (cn !== expected) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return cn;
}

function yamlBlock(pem: string, indent: string): string {
  return `|\n${pem.trim().split('\n').map((line) => indent + line).join('\n')}`;
}

function config(upstreamPort: number, certs: Record<string, { cert: string; key: string }>, snis: Record<string, string[]>): string {
  const certificates = Object.entries(certs)
    .map(([name, c]) => `  - cert: ${yamlBlock(c.cert, '      ')}\n    key: ${yamlBlock(c.key, '      ')}\n    snis:\n${(snis[name] ?? []).map((s) => `      - name: "${s}"`).join('\n')}`)
    .join('\n');
  return `_format_version: "3.0"
services:
  - name: s
    url: http://127.0.0.1:${upstreamPort}
    routes:
      - paths: ["/"]
certificates:
${certificates}
`;
}

describe('certificates by SNI on ssl listeners', { timeout: 60_000 }, () => {
  let up: TestUpstream;
  let node: TollgateNode;
  let tlsPort = 0;
  let h2Port = 0;
  const certs = {
    exact: makeCertificate('exact'),
    prefix: makeCertificate('prefix'),
    suffix: makeCertificate('suffix'),
    fallback: makeCertificate('fallback'),
  };

  before(async () => {
    up = await startUpstream('sni');
    tlsPort = await freePort();
    h2Port = await freePort();
    node = await startTollgate({
      config: config(up.port, certs, {
        exact: ['api.example.test'],
        prefix: ['*.example.test'],
        suffix: ['api.example.*'],
        fallback: ['*'],
      }),
      extraProxyListen: `127.0.0.1:${tlsPort} ssl, 127.0.0.1:${h2Port} ssl http2`,
    });
  });

  after(async () => {
    await node?.stop();
    await up?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("serves the certificate of the name, in Kong's order", async () => {
    assert.equal((await handshake(tlsPort, 'api.example.test')).cn, 'exact');
    assert.equal((await handshake(tlsPort, 'www.example.test')).cn, 'prefix');
    assert.equal((await handshake(tlsPort, 'api.example.org')).cn, 'suffix');
    assert.equal((await handshake(tlsPort, 'other.test')).cn, 'fallback', 'the SNI * for names nothing else matched');
  });

  test('serves the listener certificate to clients that send no name', async () => {
    const served = await handshake(tlsPort, undefined);
    assert.ok(!['exact', 'prefix', 'suffix', 'fallback'].includes(served.cn), `got ${served.cn}`);
  });

  test('HTTP/2 listeners serve the same certificates and still negotiate h2', async () => {
    const served = await handshake(h2Port, 'api.example.test', ['h2', 'http/1.1']);
    assert.equal(served.cn, 'exact');
    assert.equal(served.alpn, 'h2');
  });

  test('a new configuration changes the certificates without a restart', async () => {
    const renewed = makeCertificate('renewed');
    const res = await request(`${node.admin}/config`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        config: config(up.port, { renewed, fallback: certs.fallback }, { renewed: ['api.example.test'], fallback: ['*'] }),
      }),
    });
    assert.equal(res.statusCode, 201, await res.body.text());
    assert.equal(await servedSoon(tlsPort, 'api.example.test', 'renewed'), 'renewed');
    assert.equal((await handshake(tlsPort, 'www.example.test')).cn, 'fallback', 'the removed wildcard is gone');
  });
});

describe('certificates by SNI in traditional mode', { timeout: 60_000 }, () => {
  test('a certificate created through the Admin API is served by its SNI', async () => {
    const tlsPort = await freePort();
    const local = mkdtempSync(join(tmpdir(), 'tollgate-sni-db-'));
    const node = await startTollgate({ env: { TOLLGATE_DATABASE: 'sqlite' }, extraProxyListen: `127.0.0.1:${tlsPort} ssl` });
    try {
      const { cert, key } = makeCertificate('from-admin-api', local);
      const res = await request(`${node.admin}/certificates`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ cert, key, snis: ['db.example.test'] }),
      });
      assert.equal(res.statusCode, 201, await res.body.text());
      assert.equal(await servedSoon(tlsPort, 'db.example.test', 'from-admin-api'), 'from-admin-api');
    } finally {
      await node.stop();
      rmSync(local, { recursive: true, force: true });
    }
  });
});
