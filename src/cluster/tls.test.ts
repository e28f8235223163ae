import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { connect, type TLSSocket } from 'node:tls';
import { after, before, describe, test } from 'node:test';
import { WebSocket, WebSocketServer } from 'ws';
import {
  dialClusterTls,
  makeClusterPki,
  makeSharedPair,
  serveClusterTls,
  type ClusterPki,
  type ClusterTlsServer,
  type PkiEntity,
} from '../../test/helpers/cluster-pki.ts';
import {
  captureDataPlaneChains,
  certificateSummary,
  controlPlaneServerOptions,
  dataPlaneClientOptions,
  dataPlaneWebSocketOptions,
  describeTlsError,
  SHARED_CERT_MISMATCH,
  verifyDataPlane,
  type ClusterTlsSettings,
  type PeerCheck,
} from './tls.ts';

function shared(pair: { cert: string; key: string }): ClusterTlsSettings {
  return { mode: 'shared', cert: pair.cert, key: pair.key, caCert: null, serverName: null, allowedCommonNames: [], ocsp: 'off' };
}

function pki(p: ClusterPki, who: PkiEntity, over: Partial<ClusterTlsSettings> = {}): ClusterTlsSettings {
  return { mode: 'pki', cert: who.cert, key: who.key, caCert: p.caCert, serverName: null, allowedCommonNames: [], ocsp: 'off', ...over };
}

const servers: ClusterTlsServer[] = [];

async function controlPlane(s: ClusterTlsSettings, capture = true): Promise<number> {
  const server = await serveClusterTls(
    controlPlaneServerOptions(s),
    async (socket) => ({ check: await verifyDataPlane(socket, s), sni: socket.servername }),
    capture ? captureDataPlaneChains : undefined,
  );
  servers.push(server);
  return server.port;
}

async function dataPlaneCheck(port: number, s: ClusterTlsSettings, host = '127.0.0.1'): Promise<PeerCheck> {
  const answer = (await dialClusterTls(port, dataPlaneClientOptions(s, host), host)) as { check: PeerCheck };
  return answer.check;
}

function notAfter(pem: string): number {
  return new X509Certificate(pem).validToDate.getTime();
}

const pkis: ClusterPki[] = [];
let p0: ClusterPki;

before(() => {
  p0 = makeClusterPki();
  pkis.push(p0);
});

after(async () => {
  for (const server of servers) await server.close();
  for (const p of pkis) rmSync(p.dir, { recursive: true, force: true });
});

describe('shared mode', () => {
  test('a data plane holding the shared certificate and the control plane accept each other', async () => {
    const s = shared(p0.shared);
    const port = await controlPlane(s);
    const check = await dataPlaneCheck(port, s);
    assert.deepEqual(check, {
      ok: true,
      commonName: 'tollgate_clustering',
      expiresAt: notAfter(p0.shared.cert),
      fingerprint256: new X509Certificate(p0.shared.cert).fingerprint256,
    });
  });

  test('the data plane sends the fixed SNI tollgate_clustering, whatever the control plane address', async () => {
    const s = shared(p0.shared);
    assert.equal(dataPlaneClientOptions(s, 'cp.example.com').servername, 'tollgate_clustering');
    const port = await controlPlane(s);
    const answer = (await dialClusterTls(port, dataPlaneClientOptions(s, '127.0.0.1'))) as { sni: string };
    assert.equal(answer.sni, 'tollgate_clustering');
  });

  test('the control plane refuses another self-signed certificate and names its digest', async () => {
    const s = shared(p0.shared);
    const port = await controlPlane(s);
    const intruder = makeSharedPair(p0.dir, 'intruder');
    // Trusts the control plane, but presents a certificate of its own.
    const check = (await dialClusterTls(port, { ...dataPlaneClientOptions(s, '127.0.0.1'), cert: intruder.cert, key: intruder.key })) as {
      check: PeerCheck;
    };
    const digest = new X509Certificate(intruder.cert).fingerprint256;
    assert.deepEqual(check.check, {
      ok: false,
      reason: `data plane presented a certificate that is not the shared cluster certificate (sha256 ${digest})`,
    });
  });

  test('the control plane refuses a data plane without a client certificate', async () => {
    const s = shared(p0.shared);
    const port = await controlPlane(s);
    const { cert: _cert, key: _key, ...anonymous } = dataPlaneClientOptions(s, '127.0.0.1');
    const answer = (await dialClusterTls(port, anonymous)) as { check: PeerCheck };
    assert.deepEqual(answer.check, { ok: false, reason: 'data plane presented no client certificate' });
  });

  test('a data plane with a different shared certificate refuses the control plane', async () => {
    const port = await controlPlane(shared(p0.shared));
    const other = makeSharedPair(p0.dir, 'other-shared');
    const err = await dialClusterTls(port, dataPlaneClientOptions(shared(other), '127.0.0.1')).then(
      () => assert.fail('connected'),
      (e: unknown) => e as NodeJS.ErrnoException,
    );
    assert.equal(err.code, 'DEPTH_ZERO_SELF_SIGNED_CERT');
    assert.match(describeTlsError(err), /control plane presented an unacceptable certificate: self-signed .*\(DEPTH_ZERO_SELF_SIGNED_CERT\)$/);
  });

  test('the data plane pins the shared certificate itself, not whatever it could sign', async () => {
    // An operator-made shared certificate that is a CA (openssl's default) could vouch for other
    // certificates; the pin still refuses them.
    const dir = p0.dir;
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2',
      '-subj', '/CN=tollgate_clustering', '-addext', 'basicConstraints=critical,CA:TRUE', '-keyout', `${dir}/ca-shared.key`,
      '-out', `${dir}/ca-shared.crt`], { stdio: 'pipe' });
    execFileSync('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=rogue',
      '-keyout', `${dir}/rogue.key`, '-out', `${dir}/rogue.csr`], { stdio: 'pipe' });
    writeFileSync(`${dir}/rogue.ext`, 'subjectAltName=DNS:tollgate_clustering\n');
    execFileSync('openssl', ['x509', '-req', '-in', `${dir}/rogue.csr`, '-CA', `${dir}/ca-shared.crt`, '-CAkey', `${dir}/ca-shared.key`,
      '-CAcreateserial', '-days', '2', '-extfile', `${dir}/rogue.ext`, '-out', `${dir}/rogue.crt`], { stdio: 'pipe' });
    const caShared = { cert: readFileSync(`${dir}/ca-shared.crt`, 'utf8'), key: readFileSync(`${dir}/ca-shared.key`, 'utf8') };
    const rogue = { cert: readFileSync(`${dir}/rogue.crt`, 'utf8'), key: readFileSync(`${dir}/rogue.key`, 'utf8') };

    const rogueCp = await serveClusterTls({ ...rogue, minVersion: 'TLSv1.2' }, async () => 'connected');
    servers.push(rogueCp);
    const err = await dialClusterTls(rogueCp.port, dataPlaneClientOptions(shared(caShared), '127.0.0.1')).then(
      () => assert.fail('connected'),
      (e: unknown) => e as NodeJS.ErrnoException,
    );
    assert.equal(err.code, SHARED_CERT_MISMATCH);
    assert.match(err.message, /not the shared cluster certificate \(sha256 [0-9A-F:]{95}\)/);
    assert.match(describeTlsError(err), /every node of a shared-mode cluster must hold the same cluster_cert \(ERR_CLUSTER_SHARED_CERT_MISMATCH\)$/);

    // The same options do reach a control plane holding the pinned certificate.
    const port = await controlPlane(shared(caShared));
    assert.equal((await dataPlaneCheck(port, shared(caShared))).ok, true);
  });
});

describe('pki mode', () => {
  let p1: ClusterPki;
  let p3: ClusterPki;
  let p4: ClusterPki;
  before(() => {
    p1 = makeClusterPki({ intermediates: 1 });
    p3 = makeClusterPki({ intermediates: 3 });
    p4 = makeClusterPki({ intermediates: 4 });
    pkis.push(p1, p3, p4);
  });

  test('a data plane certificate issued by cluster_ca_cert is accepted', async () => {
    const port = await controlPlane(pki(p0, p0.cp));
    const check = await dataPlaneCheck(port, pki(p0, p0.dp1));
    assert.deepEqual(check, {
      ok: true,
      commonName: 'dp1.tollgate.test',
      expiresAt: notAfter(p0.dp1.leaf),
      fingerprint256: new X509Certificate(p0.dp1.leaf).fingerprint256,
    });
  });

  test('a certificate from another authority is refused, in words', async () => {
    const port = await controlPlane(pki(p0, p0.cp));
    const check = await dataPlaneCheck(port, pki(p0, p0.foreign));
    assert.deepEqual(check, {
      ok: false,
      reason: 'data plane certificate refused: certificate signed by an unknown authority (UNABLE_TO_VERIFY_LEAF_SIGNATURE)',
    });
  });

  test('an expired data plane certificate is refused', async () => {
    const port = await controlPlane(pki(p0, p0.cp));
    const check = await dataPlaneCheck(port, pki(p0, p0.expired));
    assert.deepEqual(check, { ok: false, reason: 'data plane certificate refused: certificate has expired (CERT_HAS_EXPIRED)' });
  });

  test('a data plane without a client certificate is refused', async () => {
    const port = await controlPlane(pki(p0, p0.cp));
    const { cert: _cert, key: _key, ...anonymous } = dataPlaneClientOptions(pki(p0, p0.dp1), '127.0.0.1');
    const answer = (await dialClusterTls(port, anonymous)) as { check: PeerCheck };
    assert.deepEqual(answer.check, { ok: false, reason: 'data plane presented no client certificate' });
  });

  test('chains with one and with three intermediates are accepted', async () => {
    for (const p of [p1, p3]) {
      const port = await controlPlane(pki(p, p.cp));
      const check = await dataPlaneCheck(port, pki(p, p.dp1));
      assert.equal(check.ok, true, JSON.stringify(check));
    }
  });

  test('a chain with four intermediates is refused', async () => {
    const port = await controlPlane(pki(p4, p4.cp));
    const check = await dataPlaneCheck(port, pki(p4, p4.dp1));
    assert.deepEqual(check, {
      ok: false,
      reason: 'data plane certificate chain has 4 intermediate certificates; at most 3 are allowed between it and cluster_ca_cert',
    });
  });

  test('without captureDataPlaneChains, a long chain is still refused: the check fails closed', async () => {
    const port = await controlPlane(pki(p4, p4.cp), false);
    const check = await dataPlaneCheck(port, pki(p4, p4.dp1));
    assert.equal(check.ok, false);
  });

  test('a data plane that leaves its intermediates out is refused', async () => {
    const port = await controlPlane(pki(p1, p1.cp));
    const check = await dataPlaneCheck(port, { ...pki(p1, p1.dp1), cert: p1.dp1.leaf });
    assert.equal(check.ok, false);
    assert.match((check as { reason: string }).reason, /unknown authority.*\(UNABLE_TO_VERIFY_LEAF_SIGNATURE\)$/);
  });

  test('cluster_allowed_common_names admits listed names only, by CN or DNS name', async () => {
    const cp = pki(p0, p0.cp, { allowedCommonNames: ['dp1.tollgate.test', 'EDGE.tollgate.test'] });
    const port = await controlPlane(cp);
    assert.equal((await dataPlaneCheck(port, pki(p0, p0.dp1))).ok, true);
    // dp2 is listed only through its second DNS name, in another case.
    assert.equal((await dataPlaneCheck(port, pki(p0, p0.dp2))).ok, true);

    const strict = await controlPlane(pki(p0, p0.cp, { allowedCommonNames: ['dp1.tollgate.test'] }));
    assert.deepEqual(await dataPlaneCheck(strict, pki(p0, p0.dp2)), {
      ok: false,
      reason: "data plane certificate name 'dp2.tollgate.test' is not in cluster_allowed_common_names",
    });
  });

  test('the data plane checks the control plane name: the address host, or cluster_server_name', async () => {
    const port = await controlPlane(pki(p0, p0.cp));
    // By IP: no SNI is sent (RFC 6066), and the IP SAN is what matches.
    const byIp = dataPlaneClientOptions(pki(p0, p0.dp1), '127.0.0.1');
    assert.equal(byIp.servername, '');
    const answer = (await dialClusterTls(port, byIp)) as { check: PeerCheck; sni: string | false };
    assert.equal(answer.check.ok, true);
    assert.equal(answer.sni, false);
    // By host name, and by cluster_server_name while dialing the IP.
    assert.equal((await dataPlaneCheck(port, pki(p0, p0.dp1), 'localhost')).ok, true);
    const named = pki(p0, p0.dp1, { serverName: 'cp.tollgate.test' });
    const sni = (await dialClusterTls(port, dataPlaneClientOptions(named, '127.0.0.1'))) as { sni: string };
    assert.equal(sni.sni, 'cp.tollgate.test');
  });

  test('the data plane refuses a control plane whose certificate does not carry cluster_server_name', async () => {
    const port = await controlPlane(pki(p0, p0.cp));
    const s = pki(p0, p0.dp1, { serverName: 'other.tollgate.test' });
    const err = await dialClusterTls(port, dataPlaneClientOptions(s, '127.0.0.1')).then(
      () => assert.fail('connected'),
      (e: unknown) => e as NodeJS.ErrnoException,
    );
    assert.equal(err.code, 'ERR_TLS_CERT_ALTNAME_INVALID');
    assert.match(describeTlsError(err), /^the control plane certificate does not carry the expected name .*other\.tollgate\.test.*\(ERR_TLS_CERT_ALTNAME_INVALID\)$/);
  });

  test('the data plane refuses a control plane certificate from another authority', async () => {
    const port = await controlPlane(pki(p0, p0.cp));
    const err = await dialClusterTls(port, dataPlaneClientOptions(pki(p1, p1.dp1), '127.0.0.1')).then(
      () => assert.fail('connected'),
      (e: unknown) => e as NodeJS.ErrnoException,
    );
    // Node's server sends its issuer (the other root) along, found in its `ca`.
    assert.equal(err.code, 'SELF_SIGNED_CERT_IN_CHAIN');
    assert.equal(
      describeTlsError(err),
      'the control plane presented an unacceptable certificate: certificate chain ends in a self-signed certificate that is not trusted (SELF_SIGNED_CERT_IN_CHAIN)',
    );
  });

  test('controlPlaneServerOptions needs cluster_ca_cert in pki mode', () => {
    assert.throws(() => controlPlaneServerOptions(pki(p0, p0.cp, { caCert: null })), /cluster_ca_cert is required/);
  });

  test('the cluster listener never resumes a session, so every connection is verified with its chain', async () => {
    const port = await controlPlane(pki(p1, p1.cp));
    const options = dataPlaneClientOptions(pki(p1, p1.dp1), '127.0.0.1');
    const handshake = (session?: Buffer) =>
      new Promise<{ reused: boolean; session: Buffer | undefined }>((resolve, reject) => {
        const socket = connect({ ...options, host: '127.0.0.1', port, session });
        let latest: Buffer | undefined;
        socket.on('session', (s: Buffer) => (latest = s));
        socket.once('secureConnect', () => {
          // TLS 1.3 tickets arrive after the handshake; give them a moment.
          setTimeout(() => {
            resolve({ reused: socket.isSessionReused(), session: latest });
            socket.destroy();
          }, 50);
        });
        socket.once('error', reject);
      });
    const first = await handshake();
    const second = await handshake(first.session);
    assert.equal(second.reused, false);
  });
});

describe('through ws, as the data plane client uses them', () => {
  async function wsControlPlane(s: ClusterTlsSettings): Promise<number> {
    const server = createServer(controlPlaneServerOptions(s));
    captureDataPlaneChains(server);
    const wss = new WebSocketServer({ noServer: true });
    server.on('upgrade', (req, socket, head) => {
      void verifyDataPlane(req.socket as TLSSocket, s).then((check) =>
        wss.handleUpgrade(req, socket, head, (ws) => ws.send(JSON.stringify(check))));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    servers.push({
      port: 0,
      close: () => {
        for (const c of wss.clients) c.terminate();
        server.closeAllConnections();
        return new Promise<void>((resolve) => server.close(() => resolve()));
      },
    });
    return (server.address() as AddressInfo).port;
  }

  function wsCheck(port: number, s: ClusterTlsSettings, host: string): Promise<PeerCheck> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`wss://${host}:${port}/v1/outlet`, dataPlaneWebSocketOptions(s, host));
      ws.once('message', (data: Buffer) => {
        resolve(JSON.parse(data.toString()) as PeerCheck);
        ws.close();
      });
      ws.once('error', reject);
    });
  }

  test('shared and pki options work as WebSocket options', async () => {
    const sharedPort = await wsControlPlane(shared(p0.shared));
    assert.equal((await wsCheck(sharedPort, shared(p0.shared), '127.0.0.1')).ok, true);
    const pkiPort = await wsControlPlane(pki(p0, p0.cp));
    assert.equal((await wsCheck(pkiPort, pki(p0, p0.dp1), '127.0.0.1')).ok, true);
    assert.equal((await wsCheck(pkiPort, pki(p0, p0.dp1), 'localhost')).ok, true);
  });

  test('a refused control plane surfaces as a describable ws error', async () => {
    const port = await wsControlPlane(pki(p0, p0.cp));
    const err = await wsCheck(port, pki(p0, p0.dp1, { serverName: 'other.tollgate.test' }), '127.0.0.1').then(
      () => assert.fail('connected'),
      (e: unknown) => e,
    );
    assert.match(describeTlsError(err), /\(ERR_TLS_CERT_ALTNAME_INVALID\)$/);
  });
});

describe('describeTlsError', () => {
  test('turns server alerts and socket errors into sentences with the code', () => {
    const e = (code: string, message = 'x') => Object.assign(new Error(message), { code });
    assert.equal(
      describeTlsError(e('ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN')),
      "the control plane refused the TLS handshake with alert 'certificate unknown': it does not accept this node's cluster certificate (ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN)",
    );
    assert.match(describeTlsError(e('ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE')), /alert 'bad certificate'.*\(ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE\)$/);
    assert.match(describeTlsError(e('ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE')), /alert 'handshake failure'/);
    assert.match(describeTlsError(e('ERR_SSL_SSL/TLS_ALERT_CERTIFICATE_UNKNOWN')), /alert 'certificate unknown'/);
    assert.match(
      describeTlsError(e('EPROTO', 'write EPROTO 40:error:0A000410:SSL routines:ssl3_read_bytes:ssl/tls alert handshake failure:../rec_layer_s3.c:918:SSL alert number 40\n')),
      /^the control plane refused the TLS handshake with alert 'handshake failure': .* \(EPROTO\)$/,
    );
    assert.match(describeTlsError(e('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED')), /wants a client certificate/);
    assert.match(describeTlsError(e('SELF_SIGNED_CERT_IN_CHAIN')), /self-signed certificate that is not trusted \(SELF_SIGNED_CERT_IN_CHAIN\)$/);
    assert.match(describeTlsError(e('CERT_HAS_EXPIRED')), /certificate has expired \(CERT_HAS_EXPIRED\)$/);
    assert.match(describeTlsError(e('ECONNREFUSED')), /nothing accepts connections.*\(ECONNREFUSED\)$/);
    assert.equal(describeTlsError(new Error('odd')), 'TLS connection to the control plane failed: odd');
  });

  test('a data plane dialing a plain-TCP port gets told so', async () => {
    const { createServer: plain } = await import('node:http');
    const server = plain((_req, res) => res.end('plain'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const err = await dialClusterTls(port, dataPlaneClientOptions(pki(p0, p0.dp1), '127.0.0.1')).then(
      () => assert.fail('connected'),
      (e: unknown) => e,
    );
    server.close();
    assert.match(describeTlsError(err), /^the control plane address does not speak TLS \((EPROTO|ERR_SSL_WRONG_VERSION_NUMBER)\)$/);
  });
});

test('certificateSummary reads the first certificate of a PEM chain', () => {
  const p = makeClusterPki({ intermediates: 1 });
  pkis.push(p);
  assert.deepEqual(certificateSummary(p.dp1.cert), {
    commonName: 'dp1.tollgate.test',
    expiresAt: notAfter(p.dp1.leaf),
    fingerprint256: new X509Certificate(p.dp1.leaf).fingerprint256,
  });
});
