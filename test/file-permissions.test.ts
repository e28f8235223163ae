/**
 * Files holding secrets are private: a node started on a new prefix creates it 0700 and the SQLite database
 * (key-auth keys in clear), its -wal and -shm 0600; a database left world-readable by an older version is
 * narrowed at the next start. Through `bin/tollgate`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { runTollgate, startTollgate } from './helpers/tollgate.ts';

const mode = (path: string): string => (statSync(path).mode & 0o777).toString(8);

test('a new prefix is 0700 and tollgate.db, -wal and -shm are 0600', async () => {
  const parent = mkdtempSync(join(tmpdir(), 'tg-perm-'));
  const prefix = join(parent, 'servroot');
  const node = await startTollgate({ prefix, keepPrefix: true, env: { TOLLGATE_DATABASE: 'sqlite' } });
  try {
    const res = await request(`${node.admin}/consumers`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'holder' }),
    });
    assert.equal(res.statusCode, 201, await res.body.text());
    assert.equal(mode(prefix), '700');
    const db = join(prefix, 'tollgate.db');
    assert.equal(mode(db), '600');
    for (const suffix of ['-wal', '-shm']) {
      assert.ok(existsSync(`${db}${suffix}`), `${db}${suffix} exists`);
      assert.equal(mode(`${db}${suffix}`), '600', suffix);
    }
  } finally {
    await node.stop();
  }
  // A database a previous version left 0644 is narrowed at the next start.
  chmodSync(join(prefix, 'tollgate.db'), 0o644);
  const again = await startTollgate({ prefix, keepPrefix: true, env: { TOLLGATE_DATABASE: 'sqlite' } });
  try {
    assert.equal(mode(join(prefix, 'tollgate.db')), '600');
  } finally {
    await again.stop();
    rmSync(parent, { recursive: true, force: true });
  }
});

test('migrations bootstrap on SQLite creates the prefix 0700 and the database 0600', async () => {
  const parent = mkdtempSync(join(tmpdir(), 'tg-perm-'));
  const prefix = join(parent, 'fresh');
  try {
    const r = await runTollgate(['migrations', 'bootstrap'], { TOLLGATE_DATABASE: 'sqlite', TOLLGATE_PREFIX: prefix });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(mode(prefix), '700');
    assert.equal(mode(join(prefix, 'tollgate.db')), '600');
  } finally {
    rmSync(parent, { recursive: true, force: true });
  }
});
