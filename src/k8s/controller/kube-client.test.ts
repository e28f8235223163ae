import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:https';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { makeClusterPki, type ClusterPki } from '../../../test/helpers/cluster-pki.ts';
import { freePort } from '../../../test/helpers/ports.ts';
import { KubeApiError, KubeClient, inClusterConnection, kubeconfigConnection } from './kube-client.ts';

let pki: ClusterPki;
let server: Server;
let port: number;
let dir: string;
const seen: { auth?: string; clientCert: boolean }[] = [];

before(async () => {
  pki = makeClusterPki();
  dir = mkdtempSync(join(tmpdir(), 'tollgate-kube-client-'));
  port = await freePort();
  // A TLS server with the API server's shape of answers, to check the client's TLS and credentials.
  server = createServer({ cert: pki.cp.cert, key: pki.cp.key, ca: pki.caCert, requestCert: true, rejectUnauthorized: false }, (req, res) => {
    seen.push({ auth: req.headers.authorization, clientCert: (req.socket as TLSSocket).authorized });
    if (req.url === '/api/v1/namespaces/x/secrets/missing') {
      res.writeHead(404, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ kind: 'Status', code: 404, message: 'secrets "missing" not found' }));
    }
    if (req.url?.startsWith('/watch')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"type":"ADDED","object":{"metadata":{"name":"a"}}}\n{"type":"MODI');
      setTimeout(() => res.end('FIED","object":{"metadata":{"name":"a"}}}\n'), 20);
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ kind: 'APIVersions', versions: ['v1'] }));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
});

after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
  rmSync(pki.dir, { recursive: true, force: true });
});

test('in cluster: the service account token and CA, KUBERNETES_SERVICE_HOST/PORT', async () => {
  const sa = join(dir, 'sa');
  mkdirSync(sa);
  writeFileSync(join(sa, 'token'), 'sa-token\n');
  writeFileSync(join(sa, 'ca.crt'), pki.caCert);
  assert.equal(inClusterConnection({}, sa), null);
  const connection = inClusterConnection({ KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(port) }, sa);
  assert.ok(connection);
  assert.equal(connection.server.href, `https://127.0.0.1:${port}/`);
  const body = await new KubeClient(connection).request<{ kind: string }>('GET', '/api');
  assert.equal(body.kind, 'APIVersions');
  assert.equal(seen.at(-1)?.auth, 'Bearer sa-token');
});

test('a server certificate from another CA is refused', async () => {
  const client = new KubeClient({ server: new URL(`https://127.0.0.1:${port}`), ca: Buffer.from(pki.foreign.cert) });
  await assert.rejects(client.request('GET', '/api'));
});

test('kubeconfig: current context, embedded CA and client certificate; API errors carry the Status message', async () => {
  const path = join(dir, 'config');
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  writeFileSync(path, `apiVersion: v1
kind: Config
current-context: prod
contexts:
- { name: dev, context: { cluster: nowhere, user: nobody } }
- { name: prod, context: { cluster: c, user: u } }
clusters:
- { name: c, cluster: { server: "https://127.0.0.1:${port}", certificate-authority-data: ${b64(pki.caCert)} } }
users:
- { name: u, user: { client-certificate-data: ${b64(pki.dp1.cert)}, client-key-data: ${b64(pki.dp1.key)} } }
`);
  const client = new KubeClient(kubeconfigConnection(path));
  await client.request('GET', '/api');
  assert.equal(seen.at(-1)?.clientCert, true);
  assert.equal(seen.at(-1)?.auth, undefined);
  const err = await client.request('GET', '/api/v1/namespaces/x/secrets/missing').catch((e: unknown) => e);
  assert.ok(err instanceof KubeApiError);
  assert.equal(err.status, 404);
  assert.match(err.message, /secrets "missing" not found/);
});

test('watch: events split across chunks arrive whole, in order', async () => {
  const client = new KubeClient({ server: new URL(`https://127.0.0.1:${port}`), ca: Buffer.from(pki.caCert) });
  const types: string[] = [];
  await client.watch('/watch', (e) => types.push(e.type), new AbortController().signal);
  assert.deepEqual(types, ['ADDED', 'MODIFIED']);
});

test('kubeconfig without the current context is refused with the reason', () => {
  const path = join(dir, 'bad');
  writeFileSync(path, 'apiVersion: v1\nkind: Config\ncurrent-context: gone\ncontexts: []\n');
  assert.throws(() => kubeconfigConnection(path), /context 'gone' not found/);
});
