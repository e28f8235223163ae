/**
 * The sync protocol seen from the wire: a test client speaks it to a real control plane process over the
 * real mutual-TLS WebSocket, to check what a data plane build cannot easily provoke (another version, a
 * broken peer).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import WebSocket from 'ws';
import { dataPlaneClientOptions, dataPlaneWebSocketOptions } from '../src/cluster/tls.ts';
import { decodeConfigMessage } from '../src/cluster/payload.ts';
import { SYNC_PATH, SYNC_SUBPROTOCOL } from '../src/cluster/protocol.ts';
import { VERSION } from '../src/core/version.ts';
import { waitUntil } from './helpers/tollgate.ts';
import { admin, certsFor, dataPlanes, makeHybridCerts, startControlPlane, type ControlPlaneNode, type HybridCerts } from './helpers/hybrid.ts';

interface Conversation {
  texts: Record<string, unknown>[];
  binaries: Buffer[];
  closed: Promise<{ code: number; reason: string }>;
  ws: WebSocket;
}

function dial(cp: ControlPlaneNode, certs: HybridCerts): Promise<Conversation> {
  const c = certsFor('shared', certs, 'dp1');
  const ws = new WebSocket(`wss://127.0.0.1:${cp.clusterPort}${SYNC_PATH}`, SYNC_SUBPROTOCOL, dataPlaneWebSocketOptions({
    mode: 'shared', cert: c.cert.cert, key: c.cert.key, caCert: null, serverName: null, allowedCommonNames: [], ocsp: 'off',
  }, '127.0.0.1'));
  const conversation: Conversation = {
    texts: [],
    binaries: [],
    ws,
    closed: new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }))),
  };
  ws.on('message', (data, isBinary) => {
    if (isBinary) conversation.binaries.push(data as Buffer);
    else conversation.texts.push(JSON.parse(data.toString()) as Record<string, unknown>);
  });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(conversation));
    ws.once('error', reject);
  });
}

function hello(version: string, configHash = '0'.repeat(32), nodeId = randomUUID()): string {
  return JSON.stringify({ type: 'hello', node_id: nodeId, hostname: 'test-client', version, plugins: [{ name: 'key-auth', version }], config_hash: configHash, labels: { zone: 'test' } });
}

describe('sync protocol against a real control plane', { timeout: 60_000 }, () => {
  let certs: HybridCerts;
  let cp: ControlPlaneNode;

  before(async () => {
    certs = makeHybridCerts();
    cp = await startControlPlane(certsFor('shared', certs, 'cp'));
    await admin(cp, 'POST', '/services', { name: 's', url: 'http://127.0.0.1:9' });
    await admin(cp, 'POST', '/services/s/routes', { name: 'r', paths: ['/r'] });
  });

  after(async () => {
    await cp?.stop('SIGKILL');
    if (certs !== undefined) rmSync(certs.pki.dir, { recursive: true, force: true });
  });

  it('a data plane of another major version is refused with the reason and listed as incompatible', async () => {
    const id = randomUUID();
    const c = await dial(cp, certs);
    c.ws.send(hello('9.0.0', '0'.repeat(32), id));
    const closed = await c.closed;
    assert.equal(closed.code, 4001);
    assert.equal(c.texts[0]?.type, 'refused');
    assert.match(String(c.texts[0]?.reason), /different major version/);
    assert.equal(c.binaries.length, 0, 'no configuration is sent to it');
    const row = (await dataPlanes(cp)).find((r) => r.id === id);
    assert.equal(row?.sync_status, 'kong_version_incompatible');
    assert.equal(row?.connected, false);
    assert.match(String(row?.sync_status_reason), /9\.0\.0/);
    assert.match(cp.output(), /refused data plane .*different major version/);
  });

  it('a data plane without a configuration gets the full snapshot; with the current hash, nothing', async () => {
    const first = await dial(cp, certs);
    first.ws.send(hello(VERSION));
    await waitUntil(() => first.binaries.length === 1, 5000, 'a configuration message');
    const message = decodeConfigMessage(first.binaries[0], 16 * 1024 * 1024);
    assert.equal(message.type, 'full');
    assert.equal(first.texts[0]?.type, 'welcome');
    first.ws.close();

    const second = await dial(cp, certs);
    second.ws.send(hello(VERSION, message.hash));
    await waitUntil(() => second.texts.length === 1, 5000, 'the welcome');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(second.binaries.length, 0, 'nothing is re-sent to a data plane that has the current configuration');
    second.ws.close();
  });

  it('a data plane with an unknown base gets a full snapshot, not a delta', async () => {
    const c = await dial(cp, certs);
    c.ws.send(hello(VERSION, 'f'.repeat(32)));
    await waitUntil(() => c.binaries.length === 1, 5000, 'a configuration message');
    assert.equal(decodeConfigMessage(c.binaries[0], 16 * 1024 * 1024).type, 'full');
    c.ws.close();
  });

  it('a WebSocket to an unknown path is refused with 404', async () => {
    const c = certsFor('shared', certs, 'dp1');
    const ws = new WebSocket(`wss://127.0.0.1:${cp.clusterPort}/elsewhere`, SYNC_SUBPROTOCOL, dataPlaneWebSocketOptions({
      mode: 'shared', cert: c.cert.cert, key: c.cert.key, caCert: null, serverName: null, allowedCommonNames: [], ocsp: 'off',
    }, '127.0.0.1'));
    const status = await new Promise<number>((resolve) => {
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('error', () => resolve(-1));
    });
    assert.equal(status, 404);
  });

  it('a peer that does not start with hello is disconnected', async () => {
    const c = await dial(cp, certs);
    c.ws.send('{"type":"applied"}');
    assert.equal((await c.closed).code, 4002);
  });

  it('a plain HTTPS request to the cluster port is told to use WebSocket (426)', async () => {
    const https = await import('node:https');
    const opts = dataPlaneClientOptions({
      mode: 'shared', cert: certs.pki.shared.cert, key: certs.pki.shared.key, caCert: null, serverName: null, allowedCommonNames: [], ocsp: 'off',
    }, '127.0.0.1');
    const status = await new Promise<number>((resolve, reject) => {
      https.get({ host: '127.0.0.1', port: cp.clusterPort, path: SYNC_PATH, ...opts }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      }).on('error', reject);
    });
    assert.equal(status, 426);
  });
});
