/**
 * What a data plane serves before any control plane answers: its cache, else its declarative_config, else
 * nothing (404, not ready). No control plane runs here at all: the data plane points at a closed port.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDeclarative } from '../src/declarative/index.ts';
import { pluginRegistry } from '../src/plugins/index.ts';
import { writeConfigCache } from '../src/cluster/config-cache.ts';
import { indexConfig, type WireConfig } from '../src/cluster/config-version.ts';
import { freePort } from './helpers/ports.ts';
import { startUpstream, type TestUpstream } from './helpers/upstream.ts';
import { certsFor, clusteringStatus, makeHybridCerts, startDataPlane, statusOf, type HybridCerts } from './helpers/hybrid.ts';

function declarative(port: number, path: string): string {
  return `_format_version: "3.0"\nservices:\n  - name: s\n    url: http://127.0.0.1:${port}\n    routes:\n      - name: r\n        paths: ["${path}"]\n`;
}

describe('data plane start without a control plane', { timeout: 60_000 }, () => {
  let certs: HybridCerts;
  let upstream: TestUpstream;
  let nowhere: { clusterPort: number; telemetryPort: number };
  let dir: string;

  before(async () => {
    certs = makeHybridCerts();
    upstream = await startUpstream('start-order');
    nowhere = { clusterPort: await freePort(), telemetryPort: await freePort() };
    dir = mkdtempSync(join(tmpdir(), 'tollgate-dp-start-'));
  });

  after(async () => {
    await upstream?.close();
    rmSync(dir, { recursive: true, force: true });
    if (certs !== undefined) rmSync(certs.pki.dir, { recursive: true, force: true });
  });

  it('with neither cache nor file it answers 404 and is not ready', async () => {
    const dp = await startDataPlane(certsFor('shared', certs, 'dp1'), [nowhere]);
    try {
      assert.equal(await statusOf(`${dp.proxy}/from-file`), 404);
      assert.equal(await statusOf(`${dp.status}/status/ready`), 503);
      assert.equal((await clusteringStatus(dp)).config_source, 'none');
    } finally {
      await dp.stop();
    }
  });

  it('with only declarative_config it serves the file', async () => {
    const file = join(dir, 'dp.yml');
    writeFileSync(file, declarative(upstream.port, '/from-file'));
    const prefix = join(dir, 'prefix-file');
    const adminPort = await freePort();
    const dp = await startDataPlane(certsFor('shared', certs, 'dp1'), [nowhere], {
      prefix,
      env: { TOLLGATE_DECLARATIVE_CONFIG: file, TOLLGATE_ADMIN_LISTEN: `127.0.0.1:${adminPort}` },
      waitFor: 'ready',
    });
    try {
      assert.equal(await statusOf(`${dp.proxy}/from-file`), 200);
      assert.equal((await clusteringStatus(dp)).config_source, 'declarative_config');
      // Asked for, the Admin API of a data plane reads but does not take configuration.
      assert.equal(await statusOf(`http://127.0.0.1:${adminPort}/routes`), 200);
      const post = await fetch(`http://127.0.0.1:${adminPort}/config`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"_format_version":"3.0"}' });
      assert.equal(post.status, 400);
      assert.match(((await post.json()) as { message: string }).message, /data plane: its configuration comes from its control plane/);
      const write = { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"x","url":"http://127.0.0.1:9"}' };
      assert.equal(await statusOf(`http://127.0.0.1:${adminPort}/services`, write), 405);
    } finally {
      await dp.stop();
    }
  });

  it('a cache wins over declarative_config', async () => {
    const file = join(dir, 'dp.yml');
    writeFileSync(file, declarative(upstream.port, '/from-file'));
    const prefix = join(dir, 'prefix-cache');
    const loaded = loadDeclarative(declarative(upstream.port, '/from-cache'), { plugins: pluginRegistry(['bundled']) });
    if (!loaded.ok) throw new Error(loaded.error.message);
    const wire = JSON.parse(JSON.stringify(loaded.config)) as WireConfig;
    mkdirSync(prefix, { recursive: true });
    writeConfigCache(join(prefix, 'config.cache'), { hash: indexConfig(wire).hash, sequence: 7, savedAt: Date.now(), config: wire }, null);
    const dp = await startDataPlane(certsFor('shared', certs, 'dp1'), [nowhere], { prefix, env: { TOLLGATE_DECLARATIVE_CONFIG: file }, waitFor: 'ready' });
    try {
      assert.equal(await statusOf(`${dp.proxy}/from-cache`), 200);
      assert.equal(await statusOf(`${dp.proxy}/from-file`), 404);
      const status = await clusteringStatus(dp);
      assert.equal(status.config_source, 'cache');
      assert.equal(status.control_plane?.connected, false);
    } finally {
      await dp.stop();
    }
  });
});
