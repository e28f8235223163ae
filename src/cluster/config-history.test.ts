import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { ENTITY_ORDER, type EntityName } from '../entities/index.ts';
import { EMPTY_CONFIG_HASH, indexConfig, type WireConfig, type WireEntity } from './config-version.ts';
import { ConfigHistory, type SyncPlan } from './config-history.ts';
import { ConfigReplica } from './config-replica.ts';
import { decodeConfigMessage, type DeltaConfigMessage, type FullConfigMessage } from './payload.ts';
import { registerPlugins } from '../entities/index.ts';
import { BUNDLED_PLUGINS } from '../plugins/index.ts';

// Plugins' entities (key-auth's credentials) exercise the generic behaviour, as on a node that enables them.
registerPlugins(BUNDLED_PLUGINS);

const MAX = 64 << 20;

function wire(parts: Partial<Record<EntityName, readonly WireEntity[]>>): WireConfig {
  return Object.fromEntries(ENTITY_ORDER.map((n) => [n, parts[n] ?? []])) as unknown as WireConfig;
}

const uuid = (kind: number, n: number): string =>
  `${kind.toString(16).padStart(8, '0')}-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
const svc = (n: number): WireEntity => ({ id: uuid(1, n), name: `svc-${n}`, host: `h${n}.example`, port: 80, tags: null });
const route = (n: number, path = `/r${n}`): WireEntity => ({
  id: uuid(2, n),
  name: `route-${n}`,
  paths: [path],
  methods: null,
  strip_path: true,
  service: { id: uuid(1, n) },
});

function sized(n: number): WireConfig {
  const services: WireEntity[] = [];
  const routes: WireEntity[] = [];
  for (let i = 0; i < n; i++) {
    services.push(svc(i));
    routes.push(route(i));
  }
  return wire({ services, routes });
}

function withRoutes(config: WireConfig, routes: readonly WireEntity[]): WireConfig {
  return wire({ ...config, routes });
}

function decoded(plan: SyncPlan): FullConfigMessage | DeltaConfigMessage {
  assert.notEqual(plan.kind, 'none');
  return decodeConfigMessage((plan as { payload: Buffer }).payload, MAX);
}

function asDelta(plan: SyncPlan): DeltaConfigMessage {
  assert.equal(plan.kind, 'delta', JSON.stringify({ ...plan, payload: undefined }));
  const m = decoded(plan);
  assert.equal(m.type, 'delta');
  return m as DeltaConfigMessage;
}

function fullReason(plan: SyncPlan): string {
  assert.equal(plan.kind, 'full');
  const m = decoded(plan);
  assert.equal(m.type, 'full');
  return (plan as { reason: string }).reason;
}

function replicaAt(config: WireConfig, sequence: number): ConfigReplica {
  return ConfigReplica.fromFull({ type: 'full', hash: indexConfig(config).hash, sequence, created_at: 0, config });
}

test('versions get increasing sequences; an unchanged configuration is not a new version', () => {
  const h = new ConfigHistory();
  assert.equal(h.current(), null);
  const v1 = h.publish(sized(3), 1000)!;
  assert.equal(v1.sequence, 1);
  assert.equal(v1.createdAt, 1000);
  assert.equal(v1.hash, indexConfig(sized(3)).hash);
  assert.equal(v1.entityCount, 6);
  assert.equal(h.publish(JSON.parse(JSON.stringify(sized(3))) as WireConfig, 2000), null);
  const v2 = h.publish(sized(4), 3000)!;
  assert.equal(v2.sequence, 2);
  assert.equal(h.current(), v2);
  const before = Date.now();
  const v3 = h.publish(sized(5))!;
  assert.ok(v3.createdAt >= before && v3.createdAt <= Date.now());
  assert.equal(h.metrics().currentSequence, 3);
});

test('a DP with the current hash gets nothing; one without config gets the full snapshot', () => {
  const h = new ConfigHistory();
  assert.deepEqual(h.planFor(null), { kind: 'none' }, 'nothing published yet');
  const v1 = h.publish(sized(3), 1)!;
  assert.deepEqual(h.planFor(v1.hash), { kind: 'none' });
  assert.equal(fullReason(h.planFor(null)), 'no-base');
  assert.equal(fullReason(h.planFor(EMPTY_CONFIG_HASH)), 'no-base');
  const m = decoded(h.planFor(null)) as FullConfigMessage;
  assert.deepEqual(m, { type: 'full', hash: v1.hash, sequence: 1, created_at: 1, config: sized(3) });
  assert.equal(replicaAt(m.config, 1).hash, v1.hash);
});

test('an empty current config and a DP with the empty hash: nothing to send', () => {
  const h = new ConfigHistory();
  const v1 = h.publish(wire({}))!;
  assert.equal(v1.hash, EMPTY_CONFIG_HASH);
  assert.deepEqual(h.planFor(EMPTY_CONFIG_HASH), { kind: 'none' });
  assert.equal(fullReason(h.planFor(null)), 'no-base');
});

test('one changed route travels as a one-entity delta that a replica applies', () => {
  const h = new ConfigHistory();
  const c1 = sized(200);
  const v1 = h.publish(c1, 1)!;
  const routes = [...c1.routes];
  routes[17] = route(17, '/changed');
  const c2 = withRoutes(c1, routes);
  const v2 = h.publish(c2, 2)!;
  const plan = h.planFor(v1.hash);
  assert.equal(plan.kind === 'delta' && plan.changes, 1);
  const d = asDelta(plan);
  assert.deepEqual(d, {
    type: 'delta',
    base: v1.hash,
    hash: v2.hash,
    sequence: 2,
    created_at: 2,
    upserts: { routes: [route(17, '/changed')] },
    deletes: {},
  });
  assert.equal(replicaAt(c1, 1).applyDelta(d).hash, v2.hash);
});

test('a delta over several versions composes them: added then removed, changed then reverted cancel out', () => {
  const h = new ConfigHistory();
  const c1 = sized(50);
  const v1 = h.publish(c1)!;
  const c2 = withRoutes(c1, [...c1.routes, route(900)]); // add r900
  h.publish(c2);
  const c3 = withRoutes(c2, c2.routes.map((r) => (r.id === uuid(2, 3) ? route(3, '/tmp') : r))); // change r3
  h.publish(c3);
  const c4 = wire({ ...c3, routes: c3.routes.filter((r) => r.id !== uuid(2, 900) && r.id !== uuid(2, 5)), services: [...c3.services, svc(77)] });
  const v4 = h.publish(c4)!; // remove r900 (added since v1) and r5; add a service
  const c5 = withRoutes(c4, c4.routes.map((r) => (r.id === uuid(2, 3) ? route(3) : r))); // revert r3
  const v5 = h.publish(c5)!;
  const d = asDelta(h.planFor(v1.hash));
  assert.deepEqual(d.upserts, { services: [svc(77)] });
  assert.deepEqual(d.deletes, { routes: [uuid(2, 5)] });
  assert.equal(replicaAt(c1, 1).applyDelta(d).hash, v5.hash);
  const d4 = asDelta(h.planFor(v4.hash));
  assert.deepEqual(d4.upserts, { routes: [route(3)] });
  assert.deepEqual(d4.deletes, {});
  assert.equal(h.versionsBehind(v1.hash), 4);
  assert.equal(h.versionsBehind(v4.hash), 1);
  assert.equal(h.versionsBehind(v5.hash), 0);
  assert.equal(h.versionsBehind('f'.repeat(32)), null);
});

test('deltas keep collections in dependency order', () => {
  const h = new ConfigHistory();
  const c1 = sized(20);
  const v1 = h.publish(c1)!;
  h.publish(wire({ ...c1, consumers: [{ id: 'c1', username: 'u' }], routes: [...c1.routes, route(500)], services: [...c1.services, svc(500)], certificates: [{ id: 'cert', cert: 'x' }] }));
  const d = asDelta(h.planFor(v1.hash));
  assert.deepEqual(Object.keys(d.upserts), ['certificates', 'services', 'routes', 'consumers']);
});

test('a base the history does not know gets the full snapshot, and is not cached per hash', () => {
  const h = new ConfigHistory();
  h.publish(sized(10));
  const plan = h.planFor('1'.repeat(32));
  assert.equal(fullReason(plan), 'unknown-base');
  const again = h.planFor('2'.repeat(32));
  assert.equal(plan.kind === 'full' && again.kind === 'full' && plan.payload === again.payload, true, 'one full payload per version');
  const noBase = h.planFor(null);
  assert.equal(noBase.kind === 'full' && plan.kind === 'full' && noBase.payload === plan.payload, true);
  assert.equal(h.metrics().cachedDeltas, 0);
});

test('payloads are encoded once per version and per base', () => {
  const h = new ConfigHistory();
  const c1 = sized(100);
  const v1 = h.publish(c1)!;
  const c2 = withRoutes(c1, [...c1.routes, route(101)]);
  const v2 = h.publish(c2)!;
  h.publish(withRoutes(c2, [...c2.routes, route(102)]));
  const a = h.planFor(v1.hash);
  const b = h.planFor(v1.hash);
  const c = h.planFor(v2.hash);
  assert.equal(a.kind === 'delta' && b.kind === 'delta' && a.payload === b.payload, true);
  assert.equal(a.kind === 'delta' && c.kind === 'delta' && a.payload !== c.payload, true);
  assert.equal(h.metrics().cachedDeltas, 2);
  h.publish(withRoutes(c2, [...c2.routes, route(103)]));
  assert.equal(h.metrics().cachedDeltas, 0, 'a new version starts with no cached deltas');
  const d = h.planFor(v1.hash);
  assert.equal(a.kind === 'delta' && d.kind === 'delta' && d.payload !== a.payload, true);
});

test('when more than half of the entities changed, the full snapshot is sent without encoding a delta', () => {
  const h = new ConfigHistory();
  // Heavy services, light routes: a delta of every route stays small next to the full payload.
  const services = sized(10).services.map((s) => ({ ...s, ca: randomBytes(3000).toString('base64') }));
  const c1 = wire({ services, routes: sized(10).routes });
  const v1 = h.publish(c1)!;
  const allRoutes = c1.routes.map((_r, i) => route(i, `/new${i}`));
  h.publish(withRoutes(c1, allRoutes));
  const half = h.planFor(v1.hash);
  assert.equal(half.kind === 'delta' && half.changes, 10, 'exactly half of the entities is still a delta');
  const deltaBytes = h.metrics().lastDeltaPayloadBytes;
  h.publish(wire({ services: [{ ...services[0], port: 81 }, ...services.slice(1)], routes: allRoutes }));
  assert.equal(fullReason(h.planFor(v1.hash)), 'delta-too-large');
  assert.equal(h.metrics().lastDeltaPayloadBytes, deltaBytes, 'no delta was encoded for that decision');
  h.publish(wire({}));
  assert.equal(fullReason(h.planFor(v1.hash)), 'delta-too-large', 'everything deleted');
  assert.equal(h.metrics().lastDeltaPayloadBytes, deltaBytes);
});

test('a delta larger than half the full payload is replaced by the full payload', () => {
  const h = new ConfigHistory();
  const blob = (): string => randomBytes(30_000).toString('base64');
  const base = wire({ ...sized(4), certificates: [{ id: 'cert', cert: blob() }] });
  const v1 = h.publish(base)!;
  const v2 = h.publish(wire({ ...base, certificates: [{ id: 'cert', cert: blob() }] }))!;
  assert.equal(fullReason(h.planFor(v1.hash)), 'delta-too-large');
  const m = decoded(h.planFor(v1.hash)) as FullConfigMessage;
  assert.equal(m.hash, v2.hash);
});

test('a clearly small delta is sent without ever encoding the full payload', () => {
  const h = new ConfigHistory();
  const c1 = sized(1000);
  const v1 = h.publish(c1)!;
  h.publish(withRoutes(c1, [...c1.routes.slice(1), route(0, '/x')]));
  assert.equal(h.planFor(v1.hash).kind, 'delta');
  const m = h.metrics();
  assert.equal(m.lastFullPayloadBytes, null);
  assert.equal(m.lastFullEncodeMs, null);
  assert.ok(m.lastDeltaPayloadBytes! > 0 && m.lastDeltaPayloadBytes! < 1000);
  h.planFor(null);
  assert.ok(h.metrics().lastFullPayloadBytes! > 10_000);
  assert.ok(h.metrics().lastFullEncodeMs! >= 0);
});

test('only the last `keep` versions can be deltas bases', () => {
  const h = new ConfigHistory({ keep: 3 });
  const configs: WireConfig[] = [];
  const hashes: string[] = [];
  let c = sized(20);
  for (let i = 0; i < 5; i++) {
    c = withRoutes(c, [...c.routes, route(100 + i)]);
    configs.push(c);
    hashes.push(h.publish(c)!.hash);
  }
  assert.equal(h.metrics().versions, 3);
  assert.equal(h.versionsBehind(hashes[0]), null);
  assert.equal(h.versionsBehind(hashes[1]), null);
  assert.equal(h.versionsBehind(hashes[2]), 2);
  assert.equal(fullReason(h.planFor(hashes[1])), 'unknown-base');
  const d = asDelta(h.planFor(hashes[2]));
  assert.deepEqual(d.upserts, { routes: [route(103), route(104)] });
  assert.equal(replicaAt(configs[2], 3).applyDelta(d).hash, hashes[4]);
  assert.throws(() => new ConfigHistory({ keep: 0 }), RangeError);
});

test('a configuration that returns to an earlier state is a new version; bases use the latest one', () => {
  const h = new ConfigHistory();
  const a = sized(5);
  const b = sized(6);
  const va = h.publish(a)!;
  const vb = h.publish(b)!;
  const va2 = h.publish(a)!;
  assert.equal(va2.sequence, 3);
  assert.equal(va2.hash, va.hash);
  assert.equal(h.versionsBehind(va.hash), 0);
  assert.equal(h.versionsBehind(vb.hash), 1);
  assert.deepEqual(h.planFor(va.hash), { kind: 'none' });
  const d = asDelta(h.planFor(vb.hash));
  assert.deepEqual(d.deletes, { services: [uuid(1, 5)], routes: [uuid(2, 5)] });
});

test('older versions do not keep their configuration alive', async () => {
  setFlagsFromString('--expose-gc');
  const collectGarbage = runInNewContext('gc') as () => void;
  const h = new ConfigHistory();
  const refs: WeakRef<WireConfig>[] = [];
  const hashes: string[] = [];
  for (let i = 0; i < 3; i++) {
    const config = sized(50 + i);
    refs.push(new WeakRef(config));
    hashes.push(h.publish(config)!.hash);
    h.planFor(null);
    if (i > 0) h.planFor(hashes[i - 1]);
  }
  // WeakRefs only clear after the job that created them.
  await new Promise((resolve) => setImmediate(resolve));
  collectGarbage();
  assert.equal(refs[0].deref(), undefined);
  assert.equal(refs[1].deref(), undefined);
  assert.notEqual(refs[2].deref(), undefined, 'the current version keeps its configuration');
  assert.equal(asDelta(h.planFor(hashes[0])).hash, hashes[2], 'older versions are still delta bases');
});

/** Small deterministic PRNG so a failure can be replayed. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('random edits: from every kept version, the plan brings a replica to the current hash', () => {
  const random = prng(42);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)];
  const names: EntityName[] = ['services', 'routes', 'plugins', 'consumers', 'keyauth_credentials'];
  const h = new ConfigHistory({ keep: 8 });
  let config = wire({});
  const kept: { config: WireConfig; sequence: number; hash: string }[] = [];
  let next = 0;
  const kinds = new Set<string>();
  for (let round = 0; round < 40; round++) {
    const edits = 1 + Math.floor(random() * 6);
    const parts: Record<string, WireEntity[]> = Object.fromEntries(ENTITY_ORDER.map((n) => [n, [...config[n]]]));
    for (let e = 0; e < edits; e++) {
      const name = pick(names);
      const list = parts[name];
      const roll = random();
      if (roll < 0.5 || list.length === 0) list.push({ id: `${name}-${next++}`, value: random() });
      else if (roll < 0.8) {
        const i = Math.floor(random() * list.length);
        list[i] = { ...list[i], value: random() };
      }
      else list.splice(Math.floor(random() * list.length), 1);
    }
    config = wire(parts as Partial<Record<EntityName, WireEntity[]>>);
    const v = h.publish(config);
    if (v === null) continue;
    kept.push({ config, sequence: v.sequence, hash: v.hash });
    for (const old of kept.slice(-8)) {
      const plan = h.planFor(old.hash);
      if (old.hash === v.hash) {
        assert.deepEqual(plan, { kind: 'none' });
        continue;
      }
      const m = decoded(plan);
      kinds.add(m.type);
      const replica = m.type === 'full' ? ConfigReplica.fromFull(m) : replicaAt(old.config, old.sequence).applyDelta(m);
      assert.equal(replica.hash, v.hash, `round ${round}, from version ${old.sequence}`);
      assert.equal(replica.sequence, v.sequence);
      if (m.type === 'delta') assert.deepEqual(changeSet(m), naiveDiff(old.config, config), `round ${round}, from version ${old.sequence}`);
    }
  }
  assert.deepEqual([...kinds].sort(), ['delta', 'full']);
});

/** The exact changes between two configurations, computed the slow obvious way. */
function naiveDiff(from: WireConfig, to: WireConfig): string[] {
  const out: string[] = [];
  for (const name of ENTITY_ORDER) {
    const was = new Map(from[name].map((e) => [e.id, JSON.stringify(e)]));
    const is = new Set(to[name].map((e) => e.id));
    for (const e of to[name]) if (was.get(e.id) !== JSON.stringify(e)) out.push(`upsert ${name} ${e.id}`);
    for (const id of was.keys()) if (!is.has(id)) out.push(`delete ${name} ${id}`);
  }
  return out.sort();
}

function changeSet(d: DeltaConfigMessage): string[] {
  const out: string[] = [];
  for (const [name, list] of Object.entries(d.upserts)) for (const e of list ?? []) out.push(`upsert ${name} ${e.id}`);
  for (const [name, ids] of Object.entries(d.deletes)) for (const id of ids ?? []) out.push(`delete ${name} ${id}`);
  return out.sort();
}
