import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gunzipSync, gzipSync } from 'node:zlib';
import { ENTITY_ORDER, type EntityName } from '../entities/index.ts';
import type { WireConfig, WireEntity } from './config-version.ts';
import {
  decodeConfigMessage,
  encodeConfigMessage,
  PayloadError,
  type DeltaConfigMessage,
  type FullConfigMessage,
  type PayloadErrorCode,
} from './payload.ts';

const HASH = 'a'.repeat(32);
const MAX = 1 << 20;

function wire(parts: Partial<Record<EntityName, WireEntity[]>> = {}): WireConfig {
  return Object.fromEntries(ENTITY_ORDER.map((n) => [n, parts[n] ?? []])) as unknown as WireConfig;
}

const full: FullConfigMessage = {
  type: 'full',
  hash: HASH,
  sequence: 3,
  created_at: 1_700_000_000_000,
  config: wire({ services: [{ id: 's1', host: 'example.com', tags: null }], routes: [{ id: 'r1', service: { id: 's1' } }] }),
};

const delta: DeltaConfigMessage = {
  type: 'delta',
  base: 'b'.repeat(32),
  hash: HASH,
  sequence: 4,
  created_at: 1_700_000_000_500,
  upserts: { routes: [{ id: 'r2', paths: ['/x'] }] },
  deletes: { routes: ['r1'], consumers: ['c1'] },
};

const raw = (value: unknown): Buffer => gzipSync(JSON.stringify(value));

function rejects(b: Buffer, code: PayloadErrorCode, message: RegExp, max = MAX): void {
  assert.throws(
    () => decodeConfigMessage(b, max),
    (err: unknown) => {
      assert.ok(err instanceof PayloadError, String(err));
      assert.equal(err.code, code, err.message);
      assert.match(err.message, message);
      return true;
    },
  );
}

test('full and delta messages survive encoding as gzip', () => {
  const b = encodeConfigMessage(full);
  assert.equal(b[0], 0x1f);
  assert.equal(b[1], 0x8b);
  assert.deepEqual(JSON.parse(gunzipSync(b).toString()), full);
  assert.deepEqual(decodeConfigMessage(b, MAX), full);
  assert.deepEqual(decodeConfigMessage(encodeConfigMessage(delta), MAX), delta);
  const empty = { ...delta, upserts: {}, deletes: {} };
  assert.deepEqual(decodeConfigMessage(encodeConfigMessage(empty), MAX), empty);
});

test('the compressed size is limited', () => {
  const b = encodeConfigMessage(full);
  assert.doesNotThrow(() => decodeConfigMessage(b, b.length));
  rejects(b, 'too-large', new RegExp(`${b.length} bytes exceeds the limit of ${b.length - 1}`), b.length - 1);
});

test('a small gzip bomb cannot inflate past the limit', () => {
  const padding = ' '.repeat(50 * 1024 * 1024);
  const bomb = gzipSync(`{"type":"full"${padding}}`, { level: 9 });
  assert.ok(bomb.length < 100_000, `bomb is ${bomb.length} bytes`);
  rejects(bomb, 'inflated-too-large', /inflates beyond 1600000 bytes/, 100_000);
  assert.throws(
    () => decodeConfigMessage(encodeConfigMessage(full), MAX, { maxInflatedBytes: 100 }),
    (err: unknown) => err instanceof PayloadError && err.code === 'inflated-too-large',
  );
});

test('bad gzip and bad JSON are told apart', () => {
  rejects(Buffer.from('{"type":"full"}'), 'bad-gzip', /not valid gzip/);
  const truncated = encodeConfigMessage(full);
  rejects(truncated.subarray(0, truncated.length - 6), 'bad-gzip', /not valid gzip/);
  rejects(gzipSync('{"type":'), 'bad-json', /not valid JSON/);
});

test('top-level fields are checked', () => {
  rejects(raw([]), 'bad-shape', /message must be an object/);
  rejects(raw({ ...full, type: 'reconfigure' }), 'bad-shape', /type must be/);
  rejects(raw({ ...full, hash: 'A'.repeat(32) }), 'bad-shape', /hash must be 32 lowercase hex/);
  rejects(raw({ ...full, hash: undefined }), 'bad-shape', /hash must be/);
  rejects(raw({ ...full, sequence: 1.5 }), 'bad-shape', /sequence/);
  rejects(raw({ ...full, sequence: -1 }), 'bad-shape', /sequence/);
  rejects(raw({ ...full, sequence: '3' }), 'bad-shape', /sequence/);
  rejects(raw({ ...full, created_at: 'now' }), 'bad-shape', /created_at/);
  rejects(raw({ ...delta, base: 'x' }), 'bad-shape', /base must be/);
});

test('a full configuration must have every collection as an array of objects with string ids', () => {
  const without: Partial<Record<EntityName, unknown>> = { ...full.config };
  delete without.snis;
  rejects(raw({ ...full, config: without }), 'bad-shape', /config\.snis is missing/);
  rejects(raw({ ...full, config: { ...full.config, workspaces: [{ id: 'w' }] } }), 'bad-shape', /unknown collection "workspaces"/);
  rejects(raw({ ...full, config: [] }), 'bad-shape', /config must be an object/);
  rejects(raw({ ...full, config: { ...full.config, routes: {} } }), 'bad-shape', /config\.routes must be an array/);
  rejects(raw({ ...full, config: { ...full.config, routes: [null] } }), 'bad-shape', /config\.routes\[0\] must be an object/);
  rejects(raw({ ...full, config: { ...full.config, routes: [['r']] } }), 'bad-shape', /config\.routes\[0\] must be an object/);
  rejects(raw({ ...full, config: { ...full.config, routes: [{ id: 7 }] } }), 'bad-shape', /routes\[0\]\.id must be a non-empty string/);
  rejects(raw({ ...full, config: { ...full.config, routes: [{ name: 'x' }] } }), 'bad-shape', /id must be/);
  rejects(raw({ ...full, config: { ...full.config, routes: [{ id: 'r' }, { id: 'r' }] } }), 'bad-shape', /id r twice/);
});

test('a delta names known collections, with entities to upsert and string ids to delete', () => {
  rejects(raw({ ...delta, upserts: { workspaces: [{ id: 'w' }] } }), 'bad-shape', /upserts has an unknown collection "workspaces"/);
  rejects(raw({ ...delta, deletes: { nope: ['x'] } }), 'bad-shape', /deletes has an unknown collection/);
  rejects(raw({ ...delta, upserts: [] }), 'bad-shape', /upserts must be an object/);
  rejects(raw({ ...delta, upserts: undefined }), 'bad-shape', /upserts must be an object/);
  rejects(raw({ ...delta, upserts: { routes: [{ id: 1 }] } }), 'bad-shape', /upserts\.routes\[0\]\.id/);
  rejects(raw({ ...delta, deletes: { routes: [1] } }), 'bad-shape', /deletes\.routes\[0\] must be a non-empty string/);
  rejects(raw({ ...delta, deletes: { routes: 'r1' } }), 'bad-shape', /deletes\.routes must be an array/);
  rejects(raw({ ...delta, deletes: { routes: ['r1', 'r1'] } }), 'bad-shape', /id r1 twice/);
  rejects(raw({ ...delta, deletes: { routes: ['r2'] } }), 'bad-shape', /routes r2 is both upserted and deleted/);
});

test('a full message type-checks as the configuration the replica expects', () => {
  const decoded = decodeConfigMessage(encodeConfigMessage(full), MAX);
  assert.equal(decoded.type, 'full');
  const config: WireConfig = decoded.type === 'full' ? decoded.config : wire();
  assert.equal(config.routes[0].id, 'r1');
});
