/**
 * Kong's upstream TLS settings of a service, through `bin/tollgate`: `client_certificate` (mutual TLS to the
 * upstream), `tls_verify` with `ca_certificates`, and `tls_verify_depth`, against real HTTPS upstreams with
 * certificates from a throw-away CA (root → intermediate → leaf).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { request } from 'undici';
import { startTollgate, type TollgateNode } from './helpers/tollgate.ts';

const dir = mkdtempSync(join(tmpdir(), 'tollgate-upstream-tls-'));
const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: 'ignore', cwd: dir });
}

/** Issues `name` (key, csr, cert files in `dir`) signed by `issuer`, or self-signed when issuer is null. */
function issue(name: string, cn: string, extensions: string, issuer: string | null): { cert: string; key: string } {
  writeFileSync(join(dir, `${name}.ext`), extensions);
  if (issuer === null) {
    openssl(['req', '-x509', ...EC, '-days', '2', '-subj', `/CN=${cn}`, '-keyout', `${name}.key`, '-out', `${name}.crt`, '-extensions', 'v3', '-config', `${name}.cnf`]);
  } else {
    openssl(['req', '-new', ...EC, '-subj', `/CN=${cn}`, '-keyout', `${name}.key`, '-out', `${name}.csr`]);
    openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', `${issuer}.crt`, '-CAkey', `${issuer}.key`, '-CAcreateserial', '-days', '2', '-extfile', `${name}.ext`, '-out', `${name}.crt`]);
  }
  return { cert: readFileSync(join(dir, `${name}.crt`), 'utf8'), key: readFileSync(join(dir, `${name}.key`), 'utf8') };
}

const CA = 'basicConstraints = critical,CA:TRUE\nkeyUsage = critical,keyCertSign,cRLSign\n';
const SERVER = 'basicConstraints = critical,CA:FALSE\nkeyUsage = critical,digitalSignature\nextendedKeyUsage = serverAuth\nsubjectAltName = IP:127.0.0.1\n';
const CLIENT = 'basicConstraints = critical,CA:FALSE\nkeyUsage = critical,digitalSignature\nextendedKeyUsage = clientAuth\n';

writeFileSync(join(dir, 'root.cnf'), `[req]\ndistinguished_name = dn\n[dn]\n[v3]\n${CA}`);
const root = issue('root', 'Test Root CA', CA, null);
const intermediate = issue('intermediate', 'Test Intermediate CA', CA, 'root');
const direct = issue('direct', 'direct.upstream', SERVER, 'root');
const chained = issue('chained', 'chained.upstream', SERVER, 'intermediate');
const client = issue('client', 'tollgate-client', CLIENT, 'root');

async function httpsUpstream(options: { cert: string; key: string; requireClientCert: boolean }): Promise<Server> {
  const server = createServer(
    { cert: options.cert, key: options.key, ca: root.cert, requestCert: options.requireClientCert, rejectUnauthorized: options.requireClientCert },
    (req, res) => {
      const peer = (req.socket as TLSSocket).getPeerCertificate();
      res.end(JSON.stringify({ client: peer?.subject?.CN ?? null }));
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

describe('upstream TLS settings of a service', { timeout: 60_000 }, () => {
  let mtls: Server;
  let chain: Server;
  let node: TollgateNode;

  before(async () => {
    mtls = await httpsUpstream({ ...direct, requireClientCert: true });
    // Serves its leaf with the intermediate, as servers do.
    chain = await httpsUpstream({ cert: chained.cert + intermediate.cert, key: chained.key, requireClientCert: false });
    const mtlsPort = (mtls.address() as AddressInfo).port;
    const chainPort = (chain.address() as AddressInfo).port;
    const caId = randomUUID();
    const certId = randomUUID();
    const block = (pem: string) => `|\n${pem.trim().split('\n').map((l) => `      ${l}`).join('\n')}`;
    const service = (name: string, port: number, extra: string) =>
      `  - name: ${name}\n    url: https://127.0.0.1:${port}\n${extra}    routes: [{ paths: ["/${name}"] }]\n`;
    node = await startTollgate({
      config: `_format_version: "3.0"
upstreams:
  - name: mtls-upstream
    client_certificate: ${certId}
    targets: [{ target: "127.0.0.1:${mtlsPort}" }]
ca_certificates:
  - id: ${caId}
    cert: ${block(root.cert)}
certificates:
  - id: ${certId}
    cert: ${block(client.cert)}
    key: ${block(client.key)}
services:
  - name: via-upstream
    host: mtls-upstream
    protocol: https
    tls_verify: true
    ca_certificates: [${caId}]
    routes: [{ paths: ["/via-upstream"] }]
${service('mtls', mtlsPort, `    client_certificate: ${certId}\n    tls_verify: true\n    ca_certificates: [${caId}]\n`)}${service('no-client-cert', mtlsPort, `    tls_verify: true\n    ca_certificates: [${caId}]\n`)}${service('unverified', chainPort, '')}${service('untrusted', chainPort, '    tls_verify: true\n')}${service('trusted', chainPort, `    tls_verify: true\n    ca_certificates: [${caId}]\n    tls_verify_depth: 1\n`)}${service('too-deep', chainPort, `    tls_verify: true\n    ca_certificates: [${caId}]\n    tls_verify_depth: 0\n`)}`,
    });
  });

  after(async () => {
    await node?.stop();
    mtls?.closeAllConnections();
    chain?.closeAllConnections();
    mtls?.close();
    chain?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function get(path: string): Promise<{ status: number; body: string }> {
    const res = await request(`${node.proxy}${path}`);
    return { status: res.statusCode, body: await res.body.text() };
  }

  test('client_certificate is presented to an upstream that requires one', async () => {
    const ok = await get('/mtls');
    assert.equal(ok.status, 200, ok.body);
    assert.deepEqual(JSON.parse(ok.body), { client: 'tollgate-client' });
    assert.equal((await get('/no-client-cert')).status, 502, 'without it the upstream refuses the handshake');
  });

  test("a service without client_certificate presents its upstream's", async () => {
    const ok = await get('/via-upstream');
    assert.equal(ok.status, 200, ok.body);
    assert.deepEqual(JSON.parse(ok.body), { client: 'tollgate-client' });
  });

  test('tls_verify checks the upstream against ca_certificates, not only the bundled roots', async () => {
    assert.equal((await get('/unverified')).status, 200, 'tls_verify unset: not verified, as in Kong');
    assert.equal((await get('/untrusted')).status, 502, 'a private CA is not among the bundled roots');
    assert.equal((await get('/trusted')).status, 200, 'trusted through ca_certificates, one intermediate allowed');
  });

  test('tls_verify_depth bounds the intermediates in the chain', async () => {
    // Same upstream, same trust anchor as /trusted (depth 1, 200): only the depth differs.
    assert.equal((await get('/too-deep')).status, 502);
    assert.equal((await get('/trusted')).status, 200);
    // The error log says why, with the request's id.
    const errorLog = readFileSync(join(node.prefix, 'logs', 'error.log'), 'utf8');
    assert.match(errorLog, /upstream 127\.0\.0\.1:\d+ failed: the upstream certificate chain has 1 intermediate certificates, more than tls_verify_depth 0 \(TOLLGATE_TLS_VERIFY_DEPTH\); request id [0-9a-f]{32}/);
  });
});
