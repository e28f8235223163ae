/**
 * Vault references through real `bin/tollgate` processes: a declarative file whose certificate key and
 * rate-limiting Redis password are `{vault://env/...}` serves with the environment's values while the Admin
 * API shows the references; a `file` vault (SQLite node) whose secret file changes takes effect without a
 * restart, and `config db_export` keeps the reference; a hybrid data plane resolves from its own environment,
 * not its control plane's. The Redis password is checked for real: the test creates a Redis ACL user with
 * that password (Redis at TOLLGATE_TEST_REDIS_HOST/PORT, default 127.0.0.1:6379) and the plugin runs with
 * `fault_tolerant: false`, so a wrong password is a 500 and the right one a 200.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as connectTls } from 'node:tls';
import { Redis } from 'ioredis';
import { freePort } from './helpers/ports.ts';
import { runTollgate, startTollgate, waitUntil, type TollgateNode } from './helpers/tollgate.ts';
import { startUpstream, type TestUpstream } from './helpers/upstream.ts';
import { certsFor, makeHybridCerts, startControlPlane, startDataPlane, admin, type ControlPlaneNode } from './helpers/hybrid.ts';

const REDIS_HOST = process.env.TOLLGATE_TEST_REDIS_HOST ?? '127.0.0.1';
const REDIS_PORT = Number(process.env.TOLLGATE_TEST_REDIS_PORT ?? 6379);
const RUN = randomUUID().slice(0, 8);
const REDIS_USER = `tollgate-vault-${RUN}`;
const REDIS_PASSWORD = `pw-${randomUUID()}`;
const dir = mkdtempSync(join(tmpdir(), 'tollgate-vaults-'));

/** A self-signed P-256 certificate with the given CN. */
function makeCertificate(cn: string): { cert: string; key: string } {
  const cert = join(dir, `${cn}.crt`);
  const key = join(dir, `${cn}.key`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2', '-subj', `/CN=${cn}`, '-keyout', key, '-out', cert], { stdio: 'ignore' });
  return { cert: readFileSync(cert, 'utf8'), key: readFileSync(key, 'utf8') };
}

/** The CN of the certificate served for `servername`. */
function servedCn(port: number, servername: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connectTls({ host: '127.0.0.1', port, servername, rejectUnauthorized: false }, () => {
      const cn = socket.getPeerCertificate().subject?.CN;
      socket.end();
      resolve(Array.isArray(cn) ? cn.join(',') : String(cn));
    });
    socket.once('error', reject);
  });
}

async function status(url: string): Promise<number> {
  try {
    const r = await fetch(url);
    await r.arrayBuffer();
    return r.status;
  } catch {
    return 0;
  }
}

async function json(url: string, init?: RequestInit): Promise<{ status: number; body: Record<string, unknown> }> {
  const r = await fetch(url, init);
  const text = await r.text();
  return { status: r.status, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

const post = (url: string, body: unknown) => json(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

function indent(pem: string, spaces: string): string {
  return pem.trimEnd().split('\n').map((line) => spaces + line).join('\n');
}

/** A rate-limiting config whose Redis password is `password` (a reference); Redis failures are 500s. */
function rateLimiting(password: string): Record<string, unknown> {
  return {
    hour: 1000,
    policy: 'redis',
    fault_tolerant: false,
    redis: { host: REDIS_HOST, port: REDIS_PORT, database: 7, timeout: 2000, username: REDIS_USER, password },
  };
}

let redis: Redis;
let up: TestUpstream;

before(async () => {
  redis = new Redis({ host: REDIS_HOST, port: REDIS_PORT, maxRetriesPerRequest: 1 });
  await redis.call('ACL', 'SETUSER', REDIS_USER, 'on', `>${REDIS_PASSWORD}`, '~*', '&*', '+@all');
  up = await startUpstream('vault-up');
});

after(async () => {
  await redis?.call('ACL', 'DELUSER', REDIS_USER).catch(() => undefined);
  redis?.disconnect();
  await up?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('env references in a declarative file', () => {
  let node: TollgateNode;
  let tlsPort: number;
  const served = makeCertificate('vault-served');

  before(async () => {
    tlsPort = await freePort();
    const config = `_format_version: "3.0"
certificates:
  - cert: |
${indent(served.cert, '      ')}
    key: "{vault://env/tls-key}"
    snis: [{ name: vault.test }]
services:
  - name: svc
    url: http://127.0.0.1:${up.port}
    routes:
      - name: limited
        paths: [/limited]
        plugins:
          - name: rate-limiting
            config: ${JSON.stringify(rateLimiting('{vault://env/MY_SECRET}'))}
`;
    node = await startTollgate({
      config,
      extraProxyListen: `127.0.0.1:${tlsPort} ssl`,
      env: { MY_SECRET: REDIS_PASSWORD, TLS_KEY: served.key },
    });
  });
  after(async () => {
    await node?.stop();
  });

  test('the proxy uses the values: Redis accepts the password, the certificate is served with its key', async () => {
    const r = await fetch(`${node.proxy}/limited`);
    await r.arrayBuffer();
    assert.equal(r.status, 200, node.output());
    assert.equal(r.headers.get('x-ratelimit-limit-hour'), '1000');
    assert.equal(await servedCn(tlsPort, 'vault.test'), 'vault-served');
  });

  test('the Admin API shows the references, and the secrets appear nowhere', async () => {
    const plugins = await json(`${node.admin}/plugins`);
    const config = (plugins.body.data as { config: { redis: { password: string } } }[])[0].config;
    assert.equal(config.redis.password, '{vault://env/MY_SECRET}');
    const certificates = await json(`${node.admin}/certificates`);
    assert.equal((certificates.body.data as { key: string }[])[0].key, '{vault://env/tls-key}');
    const exported = await fetch(`${node.admin}/config`).then((r) => r.text());
    assert.ok(exported.includes('{vault://env/MY_SECRET}'));
    assert.ok(!exported.includes(REDIS_PASSWORD));
    assert.ok(!node.output().includes(REDIS_PASSWORD));
  });
});

describe('a file vault on a database node: rotation without a restart, and db_export', () => {
  let node: TollgateNode;
  let prefix: string;
  const secrets = mkdtempSync(join(dir, 'mounted-'));
  const env = (p: string) => ({ TOLLGATE_DATABASE: 'sqlite', TOLLGATE_PREFIX: p });

  before(async () => {
    prefix = mkdtempSync(join(tmpdir(), 'tg-vault-db-'));
    node = await startTollgate({ env: env(prefix), prefix, keepPrefix: true });
  });
  after(async () => {
    await node?.stop();
    rmSync(prefix, { recursive: true, force: true });
  });

  test('a changed secret file takes effect on the vault ttl', async () => {
    writeFileSync(join(secrets, 'redis-password'), 'not-the-password\n');
    const vault = await post(`${node.admin}/vaults`, { prefix: 'mounted', name: 'file', config: { base_path: secrets, ttl: 1 } });
    assert.equal(vault.status, 201, JSON.stringify(vault.body));
    assert.equal((await post(`${node.admin}/services`, { name: 'svc', url: `http://127.0.0.1:${up.port}` })).status, 201);
    assert.equal((await post(`${node.admin}/services/svc/routes`, { name: 'r', paths: ['/rotating'] })).status, 201);
    const plugin = await post(`${node.admin}/routes/r/plugins`, { name: 'rate-limiting', config: rateLimiting('{vault://mounted/redis-password}') });
    assert.equal(plugin.status, 201, JSON.stringify(plugin.body));

    // Wrong password: Redis refuses it, and the plugin is not fault tolerant.
    await waitUntil(async () => (await status(`${node.proxy}/rotating`)) === 500, 30_000, 'the wrong password to be used');
    writeFileSync(join(secrets, 'redis-password'), `${REDIS_PASSWORD}\n`);
    await waitUntil(async () => (await status(`${node.proxy}/rotating`)) === 200, 30_000, 'the rotated password to be used');

    const read = await json(`${node.admin}/plugins/${String(plugin.body.id)}`);
    assert.equal((read.body.config as { redis: { password: string } }).redis.password, '{vault://mounted/redis-password}');
    assert.ok(!node.output().includes(REDIS_PASSWORD));
  });

  test('references naming no vault or leaving base_path are accepted at write, and reported by reference at use', async () => {
    assert.equal((await post(`${node.admin}/services/svc/routes`, { name: 'r2', paths: ['/traversal'] })).status, 201);
    const traversal = await post(`${node.admin}/routes/r2/plugins`, { name: 'rate-limiting', instance_name: 'bad', config: rateLimiting('{vault://mounted/%2e%2e%2fsecret}') });
    assert.equal(traversal.status, 201, JSON.stringify(traversal.body));
    await waitUntil(() => node.output().includes("secret name leaves the vault's base_path [{vault://mounted/%2e%2e%2fsecret}]"), 30_000, 'the traversal to be refused');
    assert.equal((await json(`${node.admin}/plugins/bad`, { method: 'DELETE' })).status, 204);
  });

  test('db_export writes the reference, not the secret', async () => {
    await node.stop();
    const exported = await runTollgate(['config', 'db_export'], env(prefix));
    assert.equal(exported.code, 0, exported.stderr);
    assert.match(exported.stdout, /\{vault:\/\/mounted\/redis-password\}/);
    assert.match(exported.stdout, /prefix: mounted/);
    assert.ok(!exported.stdout.includes(REDIS_PASSWORD));
  });
});

describe('hybrid: the data plane resolves references from its own environment', () => {
  const certs = makeHybridCerts();
  let cp: ControlPlaneNode;
  let dp: TollgateNode;

  before(async () => {
    // The control plane's environment holds a wrong value: only the data plane's may be used.
    cp = await startControlPlane(certsFor('shared', certs, 'cp'), { env: { MY_SECRET: 'control-plane-value' } });
    dp = await startDataPlane(certsFor('shared', certs, 'dp1'), [cp], { env: { MY_SECRET: REDIS_PASSWORD } });
  });
  after(async () => {
    await dp?.stop();
    await cp?.stop();
    rmSync(certs.pki.dir, { recursive: true, force: true });
  });

  test('proxying through the data plane uses its MY_SECRET', async () => {
    await admin(cp, 'POST', '/services', { name: 'svc', url: `http://127.0.0.1:${up.port}` });
    await admin(cp, 'POST', '/services/svc/routes', { name: 'r', paths: ['/hybrid'] });
    const plugin = await admin(cp, 'POST', '/routes/r/plugins', { name: 'rate-limiting', config: rateLimiting('{vault://env/MY_SECRET}') });
    await waitUntil(async () => (await status(`${dp.proxy}/hybrid`)) === 200, 30_000, 'the data plane to proxy with its secret');
    const read = await admin(cp, 'GET', `/plugins/${String(plugin.id)}`);
    assert.equal((read.config as { redis: { password: string } }).redis.password, '{vault://env/MY_SECRET}');
  });
});

test('the example of docs/vaults.md is a valid declarative file', async () => {
  const page = readFileSync(join(import.meta.dirname, '..', 'docs', 'vaults.md'), 'utf8');
  const yaml = /```yaml\n([\s\S]*?)```/.exec(page)?.[1];
  assert.ok(yaml, 'the page has a yaml block');
  const file = join(dir, 'doc-example.yml');
  writeFileSync(file, yaml);
  const parsed = await runTollgate(['config', 'parse', file]);
  assert.equal(parsed.code, 0, parsed.stdout + parsed.stderr);
});
