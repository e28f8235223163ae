/**
 * Kong's listener TLS settings through bin/tollgate: `ssl_cipher_suite` (Mozilla's profiles) and `custom` with
 * `ssl_ciphers`, `ssl_session_tickets`, the DHE group of `intermediate`, and the Status API's `ssl` listener
 * with `status_ssl_cert` and `status_access_log`. Real TLS clients offer one cipher or one version each.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { freePort } from './helpers/ports.ts';
import { startTollgate, waitUntil, type TollgateNode } from './helpers/tollgate.ts';

/** Completes a TLS handshake (and waits briefly for a TLSv1.2 ticket), or rejects with the handshake's error. */
function handshake(port: number, options: ConnectionOptions): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...options });
    socket.once('error', reject);
    // The ticket (NewSessionTicket) arrives right after the handshake; a `session` event reports it.
    socket.once('secureConnect', () => setTimeout(() => resolve(socket), 100));
  });
}

async function cipherOf(port: number, options: ConnectionOptions): Promise<string> {
  const socket = await handshake(port, options);
  const name = socket.getCipher().name;
  socket.destroy();
  return name;
}

describe('ssl_cipher_suite = intermediate (the default)', () => {
  let node: TollgateNode;
  let port: number;
  let dir: string;
  before(async () => {
    port = await freePort();
    // An RSA certificate (by SNI) lets a client ask for DHE-RSA ciphers, which need the suite's ffdhe2048 group.
    dir = mkdtempSync(join(tmpdir(), 'tollgate-intermediate-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=rsa.tollgate.test',
      '-keyout', join(dir, 'rsa.key'), '-out', join(dir, 'rsa.crt')], { stdio: 'ignore' });
    const block = (file: string) => `|\n${readFileSync(join(dir, file), 'utf8').trim().split('\n').map((l) => `      ${l}`).join('\n')}`;
    node = await startTollgate({
      extraProxyListen: `127.0.0.1:${port} ssl`,
      config: `_format_version: "3.0"\ncertificates:\n  - cert: ${block('rsa.crt')}\n    key: ${block('rsa.key')}\n    snis: [{ name: rsa.tollgate.test }]\n`,
      env: { TOLLGATE_SSL_SESSION_TIMEOUT: '2h' },
    });
  });
  after(async () => {
    await node?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('DHE ciphers are served with the ffdhe2048 group', async () => {
    const socket = await handshake(port, { servername: 'rsa.tollgate.test', maxVersion: 'TLSv1.2', ciphers: 'DHE-RSA-AES128-GCM-SHA256' });
    assert.equal(socket.getCipher().name, 'DHE-RSA-AES128-GCM-SHA256');
    assert.equal((socket.getEphemeralKeyInfo() as { size?: number } | null)?.size, 2048);
    socket.destroy();
  });

  test('serves TLSv1.2 with ECDHE AEAD ciphers and refuses a client offering only a cipher outside the profile', async () => {
    assert.equal(await cipherOf(port, { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' }), 'ECDHE-ECDSA-AES128-GCM-SHA256');
    // In Node's default list (HIGH), not in Mozilla's intermediate profile.
    await assert.rejects(handshake(port, { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-SHA' }));
    await assert.rejects(handshake(port, { minVersion: 'TLSv1.1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT:@SECLEVEL=0' }));
  });

  test('TLSv1.3 stays on', async () => {
    const socket = await handshake(port, { minVersion: 'TLSv1.3' });
    assert.equal(socket.getProtocol(), 'TLSv1.3');
    socket.destroy();
  });

  test('session tickets are issued by default, valid for ssl_session_timeout', async () => {
    const socket = await handshake(port, { maxVersion: 'TLSv1.2' });
    assert.ok(socket.getTLSTicket() !== undefined, 'a TLSv1.2 client gets a ticket');
    socket.destroy();
    // openssl's client prints the ticket's lifetime hint, which OpenSSL servers set to the session timeout.
    const out = await new Promise<string>((resolve) => {
      execFile('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-tls1_2'], { timeout: 10_000 }, (_err, stdout) => resolve(stdout)).stdin?.end();
    });
    assert.match(out, /TLS session ticket lifetime hint: 7200 \(seconds\)/);
  });
});

describe('ssl_cipher_suite = modern', () => {
  let node: TollgateNode;
  let port: number;
  before(async () => {
    port = await freePort();
    node = await startTollgate({ extraProxyListen: `127.0.0.1:${port} ssl`, env: { TOLLGATE_SSL_CIPHER_SUITE: 'modern' } });
  });
  after(() => node?.stop());

  test('only TLSv1.3 is served', async () => {
    await assert.rejects(handshake(port, { maxVersion: 'TLSv1.2' }));
    const socket = await handshake(port, {});
    assert.equal(socket.getProtocol(), 'TLSv1.3');
    socket.destroy();
  });
});

describe('ssl_cipher_suite = custom, ssl_ciphers, ssl_session_tickets = off, and the Status API over TLS', () => {
  let node: TollgateNode;
  let port: number;
  let statusTls: number;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tollgate-listener-tls-'));
    for (const name of ['status', 'sni']) {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2', '-subj', `/CN=${name}.tollgate.test`,
        '-keyout', join(dir, `${name}.key`), '-out', join(dir, `${name}.crt`)], { stdio: 'ignore' });
    }
    const block = (file: string) => `|\n${readFileSync(join(dir, file), 'utf8').trim().split('\n').map((l) => `      ${l}`).join('\n')}`;
    [port, statusTls] = [await freePort(), await freePort()];
    const statusPlain = await freePort();
    node = await startTollgate({
      extraProxyListen: `127.0.0.1:${port} ssl`,
      // A certificate served by SNI: its context must keep the listener's ciphers and session settings.
      config: `_format_version: "3.0"\ncertificates:\n  - cert: ${block('sni.crt')}\n    key: ${block('sni.key')}\n    snis: [{ name: sni.tollgate.test }]\n`,
      ports: { proxy: await freePort(), admin: await freePort(), status: statusPlain },
      env: {
        TOLLGATE_SSL_CIPHER_SUITE: 'custom',
        TOLLGATE_SSL_CIPHERS: 'ECDHE-ECDSA-AES256-GCM-SHA384',
        TOLLGATE_SSL_PROTOCOLS: 'TLSv1.2',
        TOLLGATE_SSL_SESSION_TICKETS: 'off',
        TOLLGATE_STATUS_LISTEN: `127.0.0.1:${statusPlain}, 127.0.0.1:${statusTls} ssl`,
        TOLLGATE_STATUS_SSL_CERT: join(dir, 'status.crt'),
        TOLLGATE_STATUS_SSL_CERT_KEY: join(dir, 'status.key'),
        TOLLGATE_STATUS_ACCESS_LOG: join(dir, 'status_access.log'),
      },
    });
  });
  after(async () => {
    await node?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('only the listed cipher is served, and ssl_protocols applies', async () => {
    assert.equal(await cipherOf(port, { ciphers: 'ECDHE-ECDSA-AES256-GCM-SHA384' }), 'ECDHE-ECDSA-AES256-GCM-SHA384');
    await assert.rejects(handshake(port, { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' }));
    await assert.rejects(handshake(port, { minVersion: 'TLSv1.3' }));
  });

  test('a certificate chosen by SNI is served with the same policy', async () => {
    const socket = await handshake(port, { servername: 'sni.tollgate.test', ciphers: 'ECDHE-ECDSA-AES256-GCM-SHA384' });
    assert.equal(socket.getPeerCertificate().subject.CN, 'sni.tollgate.test');
    assert.equal(socket.getTLSTicket(), undefined);
    socket.destroy();
    await assert.rejects(handshake(port, { servername: 'sni.tollgate.test', maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' }));
  });

  test('no session ticket is issued', async () => {
    const socket = await handshake(port, { ciphers: 'ECDHE-ECDSA-AES256-GCM-SHA384' });
    assert.equal(socket.getTLSTicket(), undefined);
    socket.destroy();
  });

  test('an ssl status_listen entry serves status_ssl_cert, and status_access_log records the request', async () => {
    const body = await new Promise<{ cn: string; text: string }>((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port: statusTls, rejectUnauthorized: false }, () => {
        const cn = String(socket.getPeerCertificate().subject.CN);
        socket.write('GET /status HTTP/1.1\r\nHost: status\r\nConnection: close\r\n\r\n');
        let text = '';
        socket.setEncoding('utf8');
        socket.on('data', (c: string) => (text += c));
        socket.on('end', () => resolve({ cn, text }));
      });
      socket.once('error', reject);
    });
    assert.equal(body.cn, 'status.tollgate.test');
    assert.match(body.text, /^HTTP\/1\.1 200 /);
    await waitUntil(() => {
      try {
        return /"GET \/status HTTP\/1\.1" 200 /.test(readFileSync(join(dir, 'status_access.log'), 'utf8'));
      } catch {
        return false;
      }
    }, 5000, 'the status access log line');
  });
});
