import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import {
  dialClusterTls,
  makeClusterPki,
  serveClusterTls,
  startOcspResponder,
  type ClusterPki,
  type ClusterTlsServer,
  type OcspResponder,
  type PkiEntity,
} from '../../test/helpers/cluster-pki.ts';
import { freePort } from '../../test/helpers/ports.ts';
import { checkOcsp, ocspResponderUrl } from './ocsp.ts';
import {
  captureDataPlaneChains,
  controlPlaneServerOptions,
  dataPlaneClientOptions,
  verifyDataPlane,
  type ClusterTlsSettings,
  type PeerCheck,
} from './tls.ts';

// The tests below run in order against one PKI and one responder: good answers first, then dp1 is revoked,
// then the responder goes away.
let pki: ClusterPki;
let port: number;
let url: string;
let responder: OcspResponder | null = null;
let cp: ClusterTlsServer | null = null;

before(async () => {
  port = await freePort();
  url = `http://127.0.0.1:${port}`;
  pki = makeClusterPki({ ocspUrl: url, intermediates: 1 });
  responder = await startOcspResponder(pki, port);
});

after(async () => {
  await responder?.stop();
  await cp?.close();
  rmSync(pki.dir, { recursive: true, force: true });
});

async function restartResponder(signer: 'issuer' | 'delegated' | 'foreign' | null): Promise<void> {
  await responder?.stop();
  responder = signer === null ? null : await startOcspResponder(pki, port, { signer });
}

function settings(who: PkiEntity, ocsp: ClusterTlsSettings['ocsp']): ClusterTlsSettings {
  return { mode: 'pki', cert: who.cert, key: who.key, caCert: pki.caCert, serverName: null, allowedCommonNames: [], ocsp };
}

/** Connects `who` as a data plane to a control plane with cluster_ocsp = `ocsp`; the CP's verdict. */
async function connectWithOcsp(who: PkiEntity, ocsp: ClusterTlsSettings['ocsp']): Promise<PeerCheck> {
  await cp?.close();
  const cpSettings = settings(pki.cp, ocsp);
  cp = await serveClusterTls(controlPlaneServerOptions(cpSettings), (socket) => verifyDataPlane(socket, cpSettings, { ocspTimeoutMs: 2000 }),
    captureDataPlaneChains);
  return (await dialClusterTls(cp.port, dataPlaneClientOptions(settings(who, 'off'), '127.0.0.1'))) as PeerCheck;
}

describe('checkOcsp', () => {
  test('finds the responder in the Authority Information Access', () => {
    assert.equal(ocspResponderUrl(pki.dp1.cert), url);
    assert.equal(ocspResponderUrl(pki.cp.cert), null);
  });

  test('a certificate the responder vouches for is good (delegated responder)', async () => {
    assert.deepEqual(await checkOcsp(pki.dp1.cert, pki.issuer.leaf), {
      status: 'good',
      detail: `OCSP responder ${url} reports the certificate as good`,
    });
  });

  test('answers signed by the issuer itself are accepted too', async () => {
    await restartResponder('issuer');
    assert.equal((await checkOcsp(pki.dp2.cert, pki.issuer.leaf)).status, 'good');
  });

  test('an answer signed by a key the issuer never delegated to is an error, not a status', async () => {
    await restartResponder('foreign');
    const result = await checkOcsp(pki.dp1.cert, pki.issuer.leaf);
    assert.equal(result.status, 'error');
    assert.match(result.detail, /Response Verify Failure/);
    await restartResponder('delegated');
  });

  test('asking with the wrong issuer is an error', async () => {
    const result = await checkOcsp(pki.dp1.cert, pki.root.leaf);
    assert.equal(result.status, 'error');
  });

  test('a certificate without an OCSP URL has no responder', async () => {
    assert.equal((await checkOcsp(pki.cp.cert, pki.root.leaf)).status, 'no-responder');
  });
});

describe('verifyDataPlane with cluster_ocsp', () => {
  test('on: a good data plane certificate is accepted', async () => {
    const check = await connectWithOcsp(pki.dp1, 'on');
    assert.equal(check.ok, true, JSON.stringify(check));
    assert.equal((check as { warning?: string }).warning, undefined);
  });

  test('a revoked certificate is refused whether cluster_ocsp is on or optional; others still pass', async () => {
    await responder?.revoke('dp1');
    const direct = await checkOcsp(pki.dp1.cert, pki.issuer.leaf);
    assert.equal(direct.status, 'revoked');
    assert.match(direct.detail, /revoked \(reason keyCompromise, since .+\)$/);
    for (const mode of ['on', 'optional'] as const) {
      const check = await connectWithOcsp(pki.dp1, mode);
      assert.deepEqual(check, { ok: false, reason: `data plane certificate is revoked: ${direct.detail}` });
    }
    assert.equal((await connectWithOcsp(pki.dp2, 'on')).ok, true);
  });

  test('off: no question is asked, even of a revoked certificate', async () => {
    assert.equal((await connectWithOcsp(pki.dp1, 'off')).ok, true);
  });

  test('a certificate without a responder: refused when on, allowed with a warning when optional', async () => {
    const on = await connectWithOcsp(pki.cp, 'on');
    assert.equal(on.ok, false);
    assert.match((on as { reason: string }).reason, /^OCSP check of the data plane certificate failed and cluster_ocsp = on: .*names no OCSP responder/);
    const optional = await connectWithOcsp(pki.cp, 'optional');
    assert.equal(optional.ok, true);
    assert.match((optional as { warning: string }).warning, /inconclusive; allowed because cluster_ocsp = optional: .*names no OCSP responder/);
  });

  test('responder down: refused when on, allowed with a warning when optional', async () => {
    await restartResponder(null);
    const on = await connectWithOcsp(pki.dp2, 'on');
    assert.equal(on.ok, false);
    assert.match((on as { reason: string }).reason, /cluster_ocsp = on: OCSP check against .* failed: .*Connection refused/);
    const optional = await connectWithOcsp(pki.dp2, 'optional');
    assert.deepEqual(
      { ok: optional.ok, commonName: (optional as { commonName: string }).commonName },
      { ok: true, commonName: 'dp2.tollgate.test' },
    );
    assert.match((optional as { warning: string }).warning, /cluster_ocsp = optional: OCSP check against .* failed/);
  });

  test('a responder that never answers is given up on after the timeout', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((s) => sockets.push(s));
    await new Promise<void>((resolve) => silent.listen(port, '127.0.0.1', resolve));
    try {
      const started = Date.now();
      const result = await checkOcsp(pki.dp2.cert, pki.issuer.leaf, { timeoutMs: 300 });
      assert.deepEqual(result, { status: 'error', detail: `OCSP responder ${url} did not answer within 300 ms` });
      assert.ok(Date.now() - started < 2000);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});

test('shared mode never asks OCSP', async () => {
  const s: ClusterTlsSettings = { mode: 'shared', cert: pki.shared.cert, key: pki.shared.key, caCert: null, serverName: null, allowedCommonNames: [], ocsp: 'on' };
  const server = await serveClusterTls(controlPlaneServerOptions(s), (socket) => verifyDataPlane(socket, s));
  try {
    const check = (await dialClusterTls(server.port, dataPlaneClientOptions(s, '127.0.0.1'))) as PeerCheck;
    assert.equal(check.ok, true);
    assert.equal((check as { warning?: string }).warning, undefined);
  } finally {
    await server.close();
  }
});
