import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ENTITY_ORDER, type EntityName } from '../entities/index.ts';
import { EMPTY_CONFIG_HASH, indexConfig, type WireConfig, type WireEntity } from './config-version.ts';
import { ConfigReplica, SyncError, type SyncErrorCode } from './config-replica.ts';
import type { DeltaConfigMessage, FullConfigMessage } from './payload.ts';

function wire(parts: Partial<Record<EntityName, readonly WireEntity[]>>): WireConfig {
  return Object.fromEntries(ENTITY_ORDER.map((n) => [n, parts[n] ?? []])) as unknown as WireConfig;
}

const svc = (n: number): WireEntity => ({ id: `s${n}`, name: `svc-${n}`, host: `h${n}.example`, port: 80 });
const route = (n: number, path = `/r${n}`): WireEntity => ({ id: `r${n}`, paths: [path], service: { id: `s${n}` } });

function fullOf(config: WireConfig, sequence = 1): FullConfigMessage {
  return { type: 'full', hash: indexConfig(config).hash, sequence, created_at: 1, config };
}

function deltaTo(base: ConfigReplica, target: WireConfig, changes: Pick<DeltaConfigMessage, 'upserts' | 'deletes'>): DeltaConfigMessage {
  return { type: 'delta', base: base.hash, hash: indexConfig(target).hash, sequence: base.sequence + 1, created_at: 2, ...changes };
}

/** Collections compared as sets: order inside a collection is not significant. */
function sameConfig(actual: WireConfig, expected: WireConfig): void {
  for (const name of ENTITY_ORDER) {
    const byId = (list: readonly WireEntity[]): WireEntity[] => [...list].sort((a, b) => (a.id < b.id ? -1 : 1));
    assert.deepEqual(byId(actual[name]), byId(expected[name]), name);
  }
}

function syncError(code: SyncErrorCode, message: RegExp): (err: unknown) => boolean {
  return (err: unknown) => {
    assert.ok(err instanceof SyncError, String(err));
    assert.equal(err.code, code);
    assert.match(err.message, message);
    return true;
  };
}

const base = wire({ services: [svc(1), svc(2), svc(3)], routes: [route(1), route(2), route(3)], consumers: [{ id: 'c1', username: 'a' }] });

test('an empty replica has the empty hash and every collection', () => {
  const r = ConfigReplica.empty();
  assert.equal(r.hash, EMPTY_CONFIG_HASH);
  assert.equal(r.sequence, 0);
  for (const name of ENTITY_ORDER) assert.deepEqual(r.config[name], []);
});

test('a full message is accepted only when the config hashes to its hash', () => {
  const r = ConfigReplica.fromFull(fullOf(base, 7));
  assert.equal(r.hash, indexConfig(base).hash);
  assert.equal(r.sequence, 7);
  assert.equal(r.config, base);
  assert.throws(
    () => ConfigReplica.fromFull({ ...fullOf(base), hash: 'f'.repeat(32) }),
    syncError('hash-mismatch', /hash mismatch/),
  );
  const dup = wire({ routes: [route(1), route(1)] });
  assert.throws(() => ConfigReplica.fromFull({ ...fullOf(wire({})), config: dup }), syncError('invalid-message', /duplicate ids/));
});

test('a delta inserts, replaces and deletes, and the result matches a full config', () => {
  const r1 = ConfigReplica.fromFull(fullOf(base));
  const target = wire({
    services: [svc(1), svc(2), svc(3), svc(4)],
    routes: [route(1), route(2, '/changed'), route(4)],
    consumers: [{ id: 'c1', username: 'a' }],
  });
  const d = deltaTo(r1, target, { upserts: { routes: [route(2, '/changed'), route(4)], services: [svc(4)] }, deletes: { routes: ['r3'] } });
  const r2 = r1.applyDelta(d);
  assert.equal(r2.hash, indexConfig(target).hash);
  assert.equal(r2.sequence, 2);
  sameConfig(r2.config, target);
  // An entity kept its position when replaced; new ones are appended.
  assert.deepEqual(r2.config.routes.map((e) => e.id), ['r1', 'r2', 'r4']);
  // Untouched collections are shared, not copied.
  assert.equal(r2.config.consumers, r1.config.consumers);
  // The index is what a full hash of the result gives.
  const full = indexConfig(target);
  assert.deepEqual(r2.index.groups, full.groups);
  for (const name of ENTITY_ORDER) assert.deepEqual(new Map(r2.index.entities.get(name)), new Map(full.entities.get(name)), name);
  // The old replica is untouched.
  assert.equal(r1.hash, indexConfig(base).hash);
  sameConfig(r1.config, base);
  assert.equal(r1.index.entities.get('routes')!.has('r4'), false);
});

test('group hashes of a replica show what a delta changed', () => {
  const r1 = ConfigReplica.fromFull(fullOf(base));
  const target = wire({ services: base.services, routes: [route(1), route(2), route(3, '/x')], consumers: base.consumers });
  const r2 = r1.applyDelta(deltaTo(r1, target, { upserts: { routes: [route(3, '/x')] }, deletes: {} }));
  assert.notEqual(r2.index.groups.routes, r1.index.groups.routes);
  assert.equal(r2.index.groups.services, r1.index.groups.services);
  assert.equal(r2.index.groups.rest, r1.index.groups.rest);
});

test('deleting everything gives the empty hash; deltas also build up from empty', () => {
  const r1 = ConfigReplica.fromFull(fullOf(base));
  const none = r1.applyDelta(
    deltaTo(r1, wire({}), { upserts: {}, deletes: { services: ['s1', 's2', 's3'], routes: ['r1', 'r2', 'r3'], consumers: ['c1'] } }),
  );
  assert.equal(none.hash, EMPTY_CONFIG_HASH);
  const again = none.applyDelta(
    deltaTo(none, base, { upserts: { services: [svc(1), svc(2), svc(3)], routes: [route(1), route(2), route(3)], consumers: [{ id: 'c1', username: 'a' }] }, deletes: {} }),
  );
  assert.equal(again.hash, r1.hash);
  const fromEmpty = ConfigReplica.empty().applyDelta(deltaTo(ConfigReplica.empty(), wire({ routes: [route(9)] }), { upserts: { routes: [route(9)] }, deletes: {} }));
  assert.equal(fromEmpty.hash, indexConfig(wire({ routes: [route(9)] })).hash);
});

test('a delta for another base is refused', () => {
  const r1 = ConfigReplica.fromFull(fullOf(base));
  const d = { ...deltaTo(r1, base, { upserts: {}, deletes: {} }), base: 'e'.repeat(32) };
  assert.throws(() => r1.applyDelta(d), syncError('base-mismatch', /base mismatch/));
});

test('a delta that does not produce the announced hash is refused and the replica keeps its config', () => {
  const r1 = ConfigReplica.fromFull(fullOf(base));
  const target = wire({ services: base.services, routes: [route(1), route(2), route(3, '/x')], consumers: base.consumers });
  // The CP announced the target, but the delta carries a different entity.
  const wrong = deltaTo(r1, target, { upserts: { routes: [route(3, '/y')] }, deletes: {} });
  assert.throws(() => r1.applyDelta(wrong), syncError('hash-mismatch', /hash mismatch/));
  // A delete of an unknown id changes nothing, so the announced hash cannot be reached either.
  const missing = deltaTo(r1, target, { upserts: {}, deletes: { routes: ['r99'] } });
  assert.throws(() => r1.applyDelta(missing), syncError('hash-mismatch', /hash mismatch/));
  assert.equal(r1.hash, indexConfig(base).hash);
  sameConfig(r1.config, base);
  // The same replica still accepts the right delta afterwards.
  assert.equal(r1.applyDelta(deltaTo(r1, target, { upserts: { routes: [route(3, '/x')] }, deletes: {} })).hash, indexConfig(target).hash);
});

test('a delta that upserts an id twice, or upserts and deletes it, is refused', () => {
  const r1 = ConfigReplica.fromFull(fullOf(base));
  assert.throws(
    () => r1.applyDelta(deltaTo(r1, base, { upserts: { routes: [route(1), route(1)] }, deletes: {} })),
    syncError('invalid-message', /twice/),
  );
  assert.throws(
    () => r1.applyDelta(deltaTo(r1, base, { upserts: { routes: [route(1)] }, deletes: { routes: ['r1'] } })),
    syncError('invalid-message', /both upserts and deletes/),
  );
});

test('applying a delta hashes only the changed entities', () => {
  const n = 5_000;
  const services: WireEntity[] = [];
  const routes: WireEntity[] = [];
  for (let i = 0; i < n; i++) {
    services.push(svc(i));
    routes.push(route(i));
  }
  const r1 = ConfigReplica.fromFull(fullOf(wire({ services, routes })));
  const target = wire({ services, routes: [...routes.slice(0, -1), route(n - 1, '/moved'), route(n)] });
  const d = deltaTo(r1, target, { upserts: { routes: [route(n - 1, '/moved'), route(n)] }, deletes: {} });
  const stringify = JSON.stringify;
  let calls = 0;
  JSON.stringify = ((...args: Parameters<typeof stringify>) => {
    calls++;
    return stringify(...args);
  }) as typeof JSON.stringify;
  let r2: ConfigReplica;
  try {
    r2 = r1.applyDelta(d);
  } finally {
    JSON.stringify = stringify;
  }
  assert.equal(calls, 2);
  assert.equal(r2.hash, indexConfig(target).hash);
  assert.equal(r2.config.routes.length, n + 1);
});

test('a chain of deltas ends where a full config of the last version would', () => {
  let config = base;
  let replica = ConfigReplica.fromFull(fullOf(config));
  for (let step = 0; step < 30; step++) {
    const upsert = step % 3 === 2 ? route(100 + step) : route(step % 3 + 1, `/v${step}`);
    const deletes = step % 3 === 2 && step > 2 ? [`r${100 + step - 3}`] : [];
    const routes = [...config.routes.filter((e) => e.id !== upsert.id && !deletes.includes(e.id)), upsert];
    config = wire({ ...config, routes });
    replica = replica.applyDelta(deltaTo(replica, config, { upserts: { routes: [upsert] }, deletes: deletes.length > 0 ? { routes: deletes } : {} }));
  }
  assert.equal(replica.hash, indexConfig(config).hash);
  assert.equal(replica.sequence, 31);
  sameConfig(replica.config, config);
});
