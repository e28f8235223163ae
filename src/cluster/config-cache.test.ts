import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { scryptSync } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { ENTITY_ORDER, type EntityName } from '../entities/index.ts';
import { indexConfig, type WireConfig, type WireEntity } from './config-version.ts';
import {
  CACHE_KEY_SALT,
  CacheError,
  cacheKeyFromSetting,
  readConfigCache,
  readConfigCacheFile,
  writeConfigCache,
  type CachedConfig,
} from './config-cache.ts';
import { registerPlugins } from '../entities/index.ts';
import { BUNDLED_PLUGINS } from '../plugins/index.ts';

// Plugins' entities (key-auth's credentials) exercise the generic behaviour, as on a node that enables them.
registerPlugins(BUNDLED_PLUGINS);

const SECRET = 'super-secret-api-key-0123456789';
const KEY = cacheKeyFromSetting('correct horse battery staple');
const OTHER_KEY = cacheKeyFromSetting('another passphrase');

function wire(parts: Partial<Record<EntityName, readonly WireEntity[]>>): WireConfig {
  return Object.fromEntries(ENTITY_ORDER.map((n) => [n, parts[n] ?? []])) as unknown as WireConfig;
}

function cached(routes = 3, sequence = 5): CachedConfig {
  const config = wire({
    services: [{ id: 's1', host: 'example.com', port: 443 }],
    routes: Array.from({ length: routes }, (_, i) => ({ id: `r${i}`, paths: [`/r${i}`], service: { id: 's1' } })),
    consumers: [{ id: 'c1', username: 'alice' }],
    keyauth_credentials: [{ id: 'k1', key: SECRET, consumer: { id: 'c1' } }],
  });
  return { hash: indexConfig(config).hash, sequence, savedAt: 1_700_000_000_000, config };
}

function scratch(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-cache-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function rejected(path: string, key: Buffer | null, reason: RegExp): void {
  assert.throws(
    () => readConfigCache(path, key),
    (err: unknown) => {
      assert.ok(err instanceof CacheError, String(err));
      assert.match(err.message, reason);
      return true;
    },
  );
}

test('a missing cache reads as null', (t) => {
  const dir = scratch(t);
  assert.equal(readConfigCache(join(dir, 'config.cache'), null), null);
  assert.equal(readConfigCache(join(dir, 'config.cache'), KEY), null);
});

test('plain and encrypted caches round-trip', (t) => {
  const dir = scratch(t);
  const path = join(dir, 'config.cache');
  const value = cached();
  writeConfigCache(path, value, null);
  assert.deepEqual(readConfigCache(path, null), value);
  const plain = readFileSync(path);
  assert.equal(plain.subarray(0, 9).toString('latin1'), 'TGCACHE1\u0000');
  assert.match(gunzipSync(plain.subarray(9)).toString(), new RegExp(SECRET));
  writeConfigCache(path, value, KEY);
  const file = readConfigCacheFile(path, KEY)!;
  assert.deepEqual(file.value, value);
  assert.equal(file.encrypted, true);
  assert.equal(file.replica.hash, value.hash);
  assert.equal(file.replica.sequence, value.sequence);
  assert.equal(file.replica.config, file.value.config);
  assert.equal(readFileSync(path)[8], 1);
});

test('the encrypted file does not show the configuration in clear', (t) => {
  const dir = scratch(t);
  const path = join(dir, 'config.cache');
  writeConfigCache(path, cached(), KEY);
  const bytes = readFileSync(path);
  assert.equal(bytes.includes(SECRET), false);
  assert.equal(bytes.includes('alice'), false);
  assert.equal(bytes.includes('example.com'), false);
  // Random IVs: the same content never encrypts to the same bytes.
  writeConfigCache(path, cached(), KEY);
  assert.notDeepEqual(readFileSync(path), bytes);
});

test('an encrypted cache needs the right key', (t) => {
  const dir = scratch(t);
  const path = join(dir, 'config.cache');
  writeConfigCache(path, cached(), KEY);
  rejected(path, null, /encrypted and no key is configured/);
  rejected(path, OTHER_KEY, /decryption failed: wrong key/);
  assert.throws(() => readConfigCache(path, Buffer.alloc(16)), /must be 32 bytes/);
  assert.throws(() => writeConfigCache(path, cached(), Buffer.alloc(31)), /must be 32 bytes/);
});

test('a plain cache is still read when a key is configured, and the next write encrypts it', (t) => {
  const dir = scratch(t);
  const path = join(dir, 'config.cache');
  const value = cached();
  writeConfigCache(path, value, null);
  const file = readConfigCacheFile(path, KEY)!;
  assert.deepEqual(file.value, value);
  assert.equal(file.encrypted, false);
  writeConfigCache(path, value, KEY);
  assert.equal(readConfigCacheFile(path, KEY)?.encrypted, true);
});

test('changing any byte of an encrypted cache is detected', (t) => {
  const dir = scratch(t);
  const path = join(dir, 'config.cache');
  writeConfigCache(path, cached(), KEY);
  const good = readFileSync(path);
  // The flag byte, the IV, the tag and the start, middle and end of the ciphertext.
  for (const at of [8, 9, 21, 25, 37, Math.floor(good.length / 2), good.length - 1]) {
    const bad = Buffer.from(good);
    bad[at] ^= 0x01;
    writeFileSync(path, bad);
    assert.throws(() => readConfigCache(path, KEY), CacheError, `byte ${at}`);
  }
  const badMagic = Buffer.from(good);
  badMagic[0] ^= 0x20;
  writeFileSync(path, badMagic);
  rejected(path, KEY, /bad magic/);
});

test('changing the compressed content of a plain cache is detected', (t) => {
  const dir = scratch(t);
  const path = join(dir, 'config.cache');
  writeConfigCache(path, cached(50), null);
  const good = readFileSync(path);
  for (const at of [30, Math.floor(good.length / 2), good.length - 5]) {
    const bad = Buffer.from(good);
    bad[at] ^= 0x01;
    writeFileSync(path, bad);
    assert.throws(() => readConfigCache(path, null), CacheError, `byte ${at}`);
  }
  const flag = Buffer.from(good);
  flag[8] = 7;
  writeFileSync(path, flag);
  rejected(path, null, /unknown format flag 7/);
});

test('a truncated cache is rejected, whatever the cut', (t) => {
  const dir = scratch(t);
  const path = join(dir, 'config.cache');
  for (const key of [null, KEY]) {
    writeConfigCache(path, cached(), key);
    const good = readFileSync(path);
    for (const length of [0, 5, 9, 20, 36, good.length - 20, good.length - 1]) {
      writeFileSync(path, good.subarray(0, length));
      assert.throws(() => readConfigCache(path, key), CacheError, `${key ? 'encrypted' : 'plain'} cut at ${length}`);
    }
  }
});

test('a cache whose configuration does not hash to its recorded hash is rejected', (t) => {
  const dir = scratch(t);
  const path = join(dir, 'config.cache');
  const value = cached();
  writeConfigCache(path, { ...value, hash: 'f'.repeat(32) }, KEY);
  rejected(path, KEY, /hash mismatch/);
  writeConfigCache(path, { ...value, config: { ...value.config, routes: [] } }, null);
  rejected(path, null, /hash mismatch/);
  writeConfigCache(path, { ...value, sequence: -1 }, null);
  rejected(path, null, /sequence/);
  writeConfigCache(path, { ...value, config: { ...value.config, workspaces: [{ id: 'w' }] } as unknown as WireConfig }, null);
  rejected(path, null, /unknown collection "workspaces"/);
});

test('the cache file is private to its owner, even replacing a world-readable one', (t) => {
  const dir = scratch(t);
  const path = join(dir, 'config.cache');
  writeFileSync(path, 'old');
  chmodSync(path, 0o644);
  writeFileSync(`${path}.tmp-${process.pid}`, 'leftover of an earlier process with our pid');
  chmodSync(`${path}.tmp-${process.pid}`, 0o666);
  const umask = process.umask(0);
  try {
    writeConfigCache(path, cached(), null);
  } finally {
    process.umask(umask);
  }
  assert.equal(statSync(path).mode & 0o777, 0o600);
  assert.deepEqual(readdirSync(dir), ['config.cache'], 'no temporary file left behind');
});

test('a cache path that cannot be replaced fails the write without leaving a temporary file', (t) => {
  const dir = scratch(t);
  const path = join(dir, 'config.cache');
  mkdirSync(path);
  assert.throws(() => writeConfigCache(path, cached(), null), /EISDIR|ENOTEMPTY|EEXIST/);
  assert.deepEqual(readdirSync(dir), ['config.cache']);
  rejected(path, null, /cannot read the config cache/);
});

test('a leftover temporary file from a crash is ignored', (t) => {
  const dir = scratch(t);
  const path = join(dir, 'config.cache');
  const value = cached();
  writeConfigCache(path, value, KEY);
  writeFileSync(`${path}.tmp-999999`, readFileSync(path).subarray(0, 30));
  assert.deepEqual(readConfigCache(path, KEY), value);
  writeConfigCache(path, cached(4, 6), KEY);
  assert.equal(readConfigCache(path, KEY)?.sequence, 6);
});

/** Runs a child that writes `value` over `path` and dies (SIGKILL) at the point `crash` names. */
async function crashingWriter(path: string, value: CachedConfig, key: Buffer, crash: 'mid-write' | 'before-rename'): Promise<number> {
  const module = new URL('./config-cache.ts', import.meta.url).href;
  const child = `
    import fs from 'node:fs';
    import { syncBuiltinESMExports } from 'node:module';
    import { writeConfigCache } from ${JSON.stringify(module)};
    const die = () => { process.kill(process.pid, 'SIGKILL'); for (;;); };
    const writeSync = fs.writeSync;
    let writes = 0;
    if (process.argv[2] === 'mid-write') {
      // Header, IV and tag go out whole; the process dies halfway through the ciphertext.
      fs.writeSync = (fd, data, offset, length) => {
        if (++writes < 4) return writeSync(fd, data, offset, length);
        writeSync(fd, data, offset, Math.floor(length / 2));
        die();
      };
    } else {
      fs.renameSync = die;
    }
    syncBuiltinESMExports();
    writeConfigCache(process.argv[1], JSON.parse(process.argv[3]), Buffer.from(process.argv[4], 'hex'));
  `;
  const proc = spawn(process.execPath, ['--input-type=module', '-e', child, path, crash, JSON.stringify(value), key.toString('hex')], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const signal = await new Promise((resolve) => proc.once('close', (_code, sig) => resolve(sig)));
  assert.equal(signal, 'SIGKILL');
  return proc.pid!;
}

test('a writer killed halfway through the file, or just before the rename, leaves the previous cache', async (t) => {
  const dir = scratch(t);
  const path = join(dir, 'config.cache');
  const old = cached(3, 1);
  writeConfigCache(path, old, KEY);
  for (const crash of ['mid-write', 'before-rename'] as const) {
    const pid = await crashingWriter(path, cached(2000, 2), KEY, crash);
    const leftover = `${path}.tmp-${pid}`;
    assert.ok(existsSync(leftover), `${crash}: the child got as far as its temporary file`);
    assert.deepEqual(readConfigCache(path, KEY), old, crash);
    if (crash === 'mid-write') assert.throws(() => readConfigCache(leftover, KEY), CacheError);
    else assert.equal(readConfigCache(leftover, KEY)?.sequence, 2, 'the complete new file was only missing its rename');
  }
  writeConfigCache(path, cached(4, 3), KEY);
  assert.equal(readConfigCache(path, KEY)?.sequence, 3);
});

test('a writer killed at random moments leaves the old or the new cache, never a broken one', async (t) => {
  const dir = scratch(t);
  const path = join(dir, 'config.cache');
  const version = new URL('./config-version.ts', import.meta.url).href;
  const module = new URL('./config-cache.ts', import.meta.url).href;
  const child = `
    import { writeConfigCache } from ${JSON.stringify(module)};
    import { indexConfig } from ${JSON.stringify(version)};
    const names = ${JSON.stringify(ENTITY_ORDER)};
    const make = (tag) => {
      const config = Object.fromEntries(names.map((n) => [n, []]));
      config.routes = Array.from({ length: 20000 }, (_, i) => ({ id: 'r' + i, paths: ['/' + tag + i], tag }));
      return { hash: indexConfig(config).hash, sequence: tag === 'a' ? 1 : 2, savedAt: 0, config };
    };
    const versions = [make('a'), make('b')];
    const key = Buffer.alloc(32, 7);
    console.log(versions.map((v) => v.hash).join(' '));
    for (let i = 0; ; i++) writeConfigCache(process.argv[1], versions[i % 2], key);
  `;
  const key = Buffer.alloc(32, 7);
  for (let round = 0; round < 3; round++) {
    const proc = spawn(process.execPath, ['--input-type=module', '-e', child, path], { stdio: ['ignore', 'pipe', 'inherit'] });
    const hashes = await new Promise<string[]>((resolve) => {
      proc.stdout.setEncoding('utf8').once('data', (line: string) => resolve(line.trim().split(' ')));
    });
    await new Promise((resolve) => setTimeout(resolve, 60 + round * 37));
    proc.kill('SIGKILL');
    await new Promise((resolve) => proc.once('close', resolve));
    if (!existsSync(path)) continue;
    const value = readConfigCache(path, key);
    assert.ok(value !== null && hashes.includes(value.hash), `round ${round}`);
  }
});

test('the key derives from the secret with scrypt and a fixed salt', () => {
  assert.equal(KEY.length, 32);
  assert.deepEqual(cacheKeyFromSetting('correct horse battery staple'), KEY);
  assert.notDeepEqual(OTHER_KEY, KEY);
  assert.deepEqual(KEY, scryptSync('correct horse battery staple', CACHE_KEY_SALT, 32, { N: 16384, r: 8, p: 1 }));
  assert.throws(() => cacheKeyFromSetting(''), CacheError);
});
