/** The resolver's caching, with real secret files and a clock the test moves (so nothing waits). */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VaultResolver } from './resolver.ts';

const dir = mkdtempSync(join(tmpdir(), 'tollgate-resolver-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function clock(): { now: () => number; advance(seconds: number): void } {
  let t = 1_000_000;
  return { now: () => t, advance: (seconds) => void (t += seconds * 1000) };
}

test('a secret is read again once its ttl is up; refresh says when a value changed', () => {
  const time = clock();
  const resolver = new VaultResolver({}, time.now);
  writeFileSync(join(dir, 'token'), 'one');
  resolver.setVaults([{ prefix: 'files', name: 'file', config: { base_path: dir, ttl: 10 } }]);
  assert.deepEqual(resolver.resolve('{vault://files/token}'), { ok: true, value: 'one' });
  writeFileSync(join(dir, 'token'), 'two');
  assert.equal(resolver.refresh(), false, 'not due yet');
  assert.deepEqual(resolver.resolve('{vault://files/token}'), { ok: true, value: 'one' });
  time.advance(10);
  assert.equal(resolver.nextDue(), time.now());
  assert.equal(resolver.refresh(), true);
  assert.deepEqual(resolver.resolve('{vault://files/token}'), { ok: true, value: 'two' });
  time.advance(10);
  assert.equal(resolver.refresh(), false, 'read again, unchanged');
});

test('a failed read is retried after neg_ttl; a vanished secret keeps its value for resurrect_ttl', () => {
  const time = clock();
  const resolver = new VaultResolver({}, time.now);
  resolver.setVaults([{ prefix: 'files', name: 'file', config: { base_path: dir, ttl: 10, neg_ttl: 2, resurrect_ttl: 30 } }]);
  const missing = resolver.resolve('{vault://files/later}');
  assert.equal(missing.ok, false);
  writeFileSync(join(dir, 'later'), 'here');
  time.advance(2);
  assert.equal(resolver.refresh(), true);
  assert.deepEqual(resolver.resolve('{vault://files/later}'), { ok: true, value: 'here' });
  unlinkSync(join(dir, 'later'));
  time.advance(10);
  assert.equal(resolver.refresh(), false, 'resurrected: the last value stays');
  assert.deepEqual(resolver.resolve('{vault://files/later}'), { ok: true, value: 'here' });
  time.advance(31);
  assert.equal(resolver.refresh(), true, 'past resurrect_ttl the reference stops resolving');
  assert.equal(resolver.resolve('{vault://files/later}').ok, false);
});

test('vault entities by prefix, backends by name; a changed vault drops the cache; unknown vaults are named', () => {
  const resolver = new VaultResolver({ APP_KEY: 'app', KEY: 'plain' });
  resolver.setVaults([{ prefix: 'app-env', name: 'env', config: { prefix: 'APP_' } }]);
  assert.deepEqual(resolver.resolve('{vault://app-env/key}'), { ok: true, value: 'app' });
  assert.deepEqual(resolver.resolve('{vault://env/key}'), { ok: true, value: 'plain' });
  resolver.setVaults([{ prefix: 'app-env', name: 'env', config: { prefix: null } }]);
  assert.deepEqual(resolver.resolve('{vault://app-env/key}'), { ok: true, value: 'plain' });
  assert.deepEqual(resolver.resolve('{vault://nowhere/key}'), { ok: false, error: 'could not find vault (nowhere) [{vault://nowhere/key}]' });
});

test('ttl 0 keeps a secret until the configuration changes; unused secrets are forgotten after a pass', () => {
  const time = clock();
  const resolver = new VaultResolver({ A: 'a' }, time.now);
  resolver.setVaults([{ prefix: 'pinned', name: 'env', config: { ttl: 0 } }]);
  resolver.resolve('{vault://pinned/a}');
  assert.equal(resolver.nextDue(), null);
  resolver.beginPass();
  resolver.dropUnused();
  resolver.resolve('{vault://env/a}');
  assert.equal(resolver.nextDue(), time.now() + 60_000, 'a backend without a vault entity: every 60 seconds');
});
