import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { EntityName } from '../entities/index.ts';
import { CA_CRT, RSA_CRT, RSA_KEY } from '../entities/test-pem-fixtures.ts';
import { BUNDLED_PLUGINS, pluginRegistry } from '../plugins/index.ts';
import { loadDeclarative, patchFlatConfig, type ConfigPatch, type FlatConfig } from './index.ts';
import { registerPlugins } from '../entities/index.ts';
import { seededRandom } from '../../test/support/random.ts';

// Plugins' entities (key-auth's credentials) exercise the generic behaviour, as on a node that enables them.
registerPlugins(BUNDLED_PLUGINS);

const plugins = pluginRegistry(['bundled']);
const T0 = 1_700_000_000;

type Entity = Record<string, unknown>;
type Raw = Partial<Record<EntityName, Entity[]>>;

function load(raw: Raw, now: number): FlatConfig {
  const result = loadDeclarative({ _format_version: '3.0', _transform: false, ...raw }, { plugins, now });
  if (!result.ok) throw new Error(result.error.message);
  return result.config;
}

function entitiesOf(config: FlatConfig, name: EntityName): Entity[] {
  return config[name] as unknown as Entity[];
}

/** What a control plane's delta does to the raw configuration: replace in place, append, drop. */
function applyRaw(raw: Raw, patch: ConfigPatch): Raw {
  const out: Raw = { ...raw };
  const names = new Set([...Object.keys(patch.upserts), ...Object.keys(patch.deletes)]) as Set<EntityName>;
  for (const name of names) {
    const upserts = new Map((patch.upserts[name] ?? []).map((e) => [e.id as string, e as Entity]));
    const deletes = new Set(patch.deletes[name] ?? []);
    const list: Entity[] = [];
    for (const e of raw[name] ?? []) {
      if (deletes.has(e.id as string)) continue;
      const next = upserts.get(e.id as string);
      list.push(next ?? e);
      upserts.delete(e.id as string);
    }
    list.push(...upserts.values());
    out[name] = list;
  }
  return out;
}

/** Collections as sets by id, without `updated_at` (a reload restamps every entity, a patch only the upserted). */
function comparable(config: FlatConfig): Record<string, Entity[]> {
  const out: Record<string, Entity[]> = {};
  for (const [name, list] of Object.entries(config) as [string, Entity[]][]) {
    out[name] = list
      .map(({ updated_at: _ignored, ...rest }) => rest)
      .sort((a, b) => String(a.id).localeCompare(String(b.id)));
  }
  return out;
}

function patchOf(upserts: ConfigPatch['upserts'], deletes: ConfigPatch['deletes'] = {}): ConfigPatch {
  return { upserts, deletes };
}

function expectError(result: ReturnType<typeof patchFlatConfig>, pattern: RegExp): void {
  assert.equal(result.ok, false, 'the patch should have been rejected');
  if (!result.ok) assert.match(result.error, pattern);
}

// ---------------------------------------------------------------------------------------------------------
// Randomized differential test: every patch must do what a full reload of the patched raw config does.

const rngFrom = seededRandom;

class Generator {
  readonly rnd: () => number;
  #serial = 0;

  constructor(seed: number) {
    this.rnd = rngFrom(seed);
  }

  int(n: number): number {
    return Math.floor(this.rnd() * n);
  }

  chance(p: number): boolean {
    return this.rnd() < p;
  }

  pick<T>(list: readonly T[]): T | undefined {
    return list.length === 0 ? undefined : list[this.int(list.length)];
  }

  uuid(): string {
    const hex = Array.from({ length: 32 }, () => this.int(16).toString(16)).join('');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20)}`;
  }

  serial(): number {
    return ++this.#serial;
  }

  base(): Entity {
    return { id: this.uuid(), created_at: T0 + this.int(1000) };
  }

  service(certificates: readonly Entity[]): Entity {
    const n = this.serial();
    const e: Entity = { ...this.base(), host: `svc${n}.internal`, port: 8000 + this.int(10), protocol: 'https' };
    if (this.chance(0.8)) e.name = `svc-${n}`;
    const cert = this.chance(0.2) ? this.pick(certificates) : undefined;
    if (cert) e.client_certificate = { id: cert.id };
    return e;
  }

  route(service: Entity | undefined): Entity {
    const n = this.serial();
    const e: Entity = { ...this.base(), paths: [`/r${n}`], service: service ? { id: service.id } : null };
    if (this.chance(0.7)) e.name = `route-${n}`;
    if (this.chance(0.3)) e.methods = ['GET'];
    return e;
  }

  upstream(): Entity {
    return { ...this.base(), name: `up${this.serial()}.internal` };
  }

  target(upstream: Entity): Entity {
    const n = this.serial();
    return { ...this.base(), upstream: { id: upstream.id }, target: `10.0.${n % 250}.${this.int(250)}:8000`, weight: 100 };
  }

  consumer(): Entity {
    const n = this.serial();
    const e: Entity = { ...this.base(), username: `user-${n}` };
    if (this.chance(0.4)) e.custom_id = `cust-${n}`;
    return e;
  }

  keyauth(consumer: Entity): Entity {
    return { ...this.base(), consumer: { id: consumer.id }, key: `key-${this.serial()}` };
  }

  plugin(scope: { route?: Entity; service?: Entity }): Entity {
    const e: Entity = { ...this.base(), name: 'key-auth', config: { key_names: [this.chance(0.5) ? 'apikey' : 'x-key'] } };
    if (scope.route) e.route = { id: scope.route.id };
    if (scope.service) e.service = { id: scope.service.id };
    if (this.chance(0.3)) e.instance_name = `ka-${this.serial()}`;
    return e;
  }

  certificate(): Entity {
    return { ...this.base(), cert: RSA_CRT, key: RSA_KEY };
  }

  sni(certificate: Entity): Entity {
    return { ...this.base(), name: `s${this.serial()}.example.com`, certificate: { id: certificate.id } };
  }
}

/** Which collections reference which (field → collection), to cascade deletes the way a control plane does. */
const REFERENCES: Partial<Record<EntityName, Record<string, EntityName>>> = {
  services: { client_certificate: 'certificates' },
  routes: { service: 'services' },
  targets: { upstream: 'upstreams' },
  plugins: { route: 'routes', service: 'services', consumer: 'consumers' },
  keyauth_credentials: { consumer: 'consumers' },
  snis: { certificate: 'certificates' },
};

function refId(value: unknown): unknown {
  return typeof value === 'object' && value !== null ? (value as Entity).id : undefined;
}

/** Builds one random patch against `raw`: a few operations, now and then one that must be rejected. */
class PatchBuilder {
  readonly g: Generator;
  readonly raw: Raw;
  readonly upserts: Partial<Record<EntityName, Entity[]>> = {};
  readonly deletes: Partial<Record<EntityName, string[]>> = {};
  readonly #touched = new Set<string>();

  constructor(g: Generator, raw: Raw) {
    this.g = g;
    this.raw = raw;
  }

  /** Current entities of a collection: raw minus deletes, with this patch's upserts. */
  live(name: EntityName): Entity[] {
    const gone = new Set(this.deletes[name] ?? []);
    const upserted = this.upserts[name] ?? [];
    const replaced = new Map(upserted.map((e) => [e.id, e]));
    const base = (this.raw[name] ?? []).filter((e) => !gone.has(e.id as string)).map((e) => replaced.get(e.id) ?? e);
    const known = new Set(base.map((e) => e.id));
    return [...base, ...upserted.filter((e) => !known.has(e.id))];
  }

  upsert(name: EntityName, entity: Entity): void {
    const key = `${name}:${String(entity.id)}`;
    if (this.#touched.has(key)) return;
    this.#touched.add(key);
    (this.upserts[name] ??= []).push(entity);
  }

  remove(name: EntityName, id: string): void {
    const key = `${name}:${id}`;
    if (this.#touched.has(key)) return;
    this.#touched.add(key);
    (this.deletes[name] ??= []).push(id);
  }

  untouched(name: EntityName): Entity[] {
    return (this.raw[name] ?? []).filter((e) => !this.#touched.has(`${name}:${String(e.id)}`));
  }

  /** Everything that must go with (name, id), dependents first; `forget` leaves one dependent behind. */
  cascade(name: EntityName, id: string, forget: boolean): void {
    const victims: [EntityName, string][] = [];
    const visit = (n: EntityName, i: string) => {
      for (const [child, fields] of Object.entries(REFERENCES) as [EntityName, Record<string, EntityName>][]) {
        for (const [field, target] of Object.entries(fields)) {
          if (target !== n) continue;
          for (const e of this.live(child)) if (refId(e[field]) === i) visit(child, e.id as string);
        }
      }
      victims.push([n, i]);
    };
    visit(name, id);
    const skip = forget && victims.length > 1 ? this.g.int(victims.length - 1) : -1;
    victims.forEach(([n, i], index) => {
      if (index !== skip && !this.#touched.has(`${n}:${i}`)) this.remove(n, i);
    });
  }

  addSome(): void {
    const g = this.g;
    switch (g.int(9)) {
      case 0:
        this.upsert('services', g.service(this.live('certificates')));
        break;
      case 1:
        this.upsert('routes', g.route(g.pick(this.live('services'))));
        break;
      case 2:
        this.upsert('consumers', g.consumer());
        break;
      case 3: {
        const consumer = g.pick(this.live('consumers'));
        if (consumer) this.upsert('keyauth_credentials', g.keyauth(consumer));
        break;
      }
      case 4: {
        const route = g.chance(0.6) ? g.pick(this.live('routes')) : undefined;
        const service = route ? undefined : g.pick(this.live('services'));
        this.upsert('plugins', g.plugin({ route, service }));
        break;
      }
      case 5:
        this.upsert('upstreams', g.upstream());
        break;
      case 6: {
        const upstream = g.pick(this.live('upstreams'));
        if (upstream) this.upsert('targets', g.target(upstream));
        break;
      }
      case 7:
        this.upsert('certificates', g.certificate());
        break;
      default: {
        const certificate = g.pick(this.live('certificates'));
        if (certificate) this.upsert('snis', g.sni(certificate));
      }
    }
  }

  replaceSome(): void {
    const g = this.g;
    const name = g.pick(['services', 'routes', 'consumers', 'keyauth_credentials', 'plugins', 'targets', 'snis'] as const);
    if (!name) return;
    const old = g.pick(this.untouched(name));
    if (!old) return;
    const e: Entity = { ...old };
    const n = g.serial();
    switch (name) {
      case 'services':
        if (g.chance(0.5)) e.port = 9000 + g.int(100);
        else e.name = `svc-renamed-${n}`;
        break;
      case 'routes':
        if (g.chance(0.5)) e.paths = [`/changed${n}`, `/also${n}`];
        else e.name = g.chance(0.2) ? null : `route-renamed-${n}`;
        if (g.chance(0.2)) {
          const service = g.pick(this.live('services'));
          e.service = service ? { id: service.id } : null;
        }
        break;
      case 'consumers':
        e.custom_id = g.chance(0.5) ? `cust-renamed-${n}` : null;
        break;
      case 'keyauth_credentials':
        e.key = `key-renamed-${n}`;
        break;
      case 'plugins':
        e.enabled = g.chance(0.5);
        e.config = { key_names: [`k${n}`], hide_credentials: true };
        break;
      case 'targets':
        e.weight = g.int(1000);
        break;
      default:
        e.name = `s-renamed-${n}.example.com`;
    }
    this.upsert(name, e);
  }

  /** Two entities trade their unique values: valid only because both change in the same patch. */
  swapNames(): void {
    const [a, b] = [this.g.pick(this.untouched('routes')), this.g.pick(this.untouched('routes'))];
    if (!a || !b || a.id === b.id || typeof a.name !== 'string' || typeof b.name !== 'string') return;
    this.upsert('routes', { ...a, name: b.name });
    this.upsert('routes', { ...b, name: a.name });
  }

  deleteSome(forget: boolean): void {
    const g = this.g;
    const name = g.pick(['services', 'routes', 'consumers', 'upstreams', 'certificates', 'plugins', 'keyauth_credentials', 'targets', 'snis'] as const);
    if (!name) return;
    const victim = g.pick(this.untouched(name));
    if (victim) this.cascade(name, victim.id as string, forget);
  }

  /** An operation a full reload rejects. */
  breakSomething(): void {
    const g = this.g;
    switch (g.int(7)) {
      case 0:
        this.upsert('routes', { ...g.route(g.pick(this.live('services'))), paths: ['no-leading-slash'] });
        break;
      case 1:
        this.upsert('services', { ...g.service([]), port: 'eighty' });
        break;
      case 2:
        this.upsert('routes', { ...g.route(undefined), service: { id: g.uuid() } });
        break;
      case 3: {
        const named = this.live('routes').filter((r) => typeof r.name === 'string');
        const other = g.pick(named);
        if (other) this.upsert('routes', { ...g.route(undefined), name: other.name });
        break;
      }
      case 4: {
        const other = g.pick(this.live('consumers'));
        if (other) this.upsert('consumers', { ...g.consumer(), username: other.username });
        break;
      }
      case 5: {
        const other = g.pick(this.live('keyauth_credentials'));
        const consumer = g.pick(this.live('consumers'));
        if (other && consumer) this.upsert('keyauth_credentials', { ...g.keyauth(consumer), key: other.key });
        break;
      }
      default:
        this.upsert('upstreams', { ...g.upstream(), surprise: true });
    }
  }

  build(): ConfigPatch {
    return { upserts: this.upserts, deletes: this.deletes };
  }
}

function initialRaw(g: Generator): Raw {
  const b = new PatchBuilder(g, {});
  for (let i = 0; i < 3; i++) b.upsert('certificates', g.certificate());
  for (let i = 0; i < 6; i++) b.upsert('services', g.service(b.live('certificates')));
  for (let i = 0; i < 20; i++) b.upsert('routes', g.route(g.pick(b.live('services'))));
  for (let i = 0; i < 3; i++) b.upsert('upstreams', g.upstream());
  for (let i = 0; i < 6; i++) b.upsert('targets', g.target(g.pick(b.live('upstreams')) as Entity));
  for (let i = 0; i < 6; i++) b.upsert('consumers', g.consumer());
  for (let i = 0; i < 8; i++) b.upsert('keyauth_credentials', g.keyauth(g.pick(b.live('consumers')) as Entity));
  for (let i = 0; i < 6; i++) b.upsert('plugins', g.plugin(i % 2 === 0 ? { route: g.pick(b.live('routes')) } : { service: g.pick(b.live('services')) }));
  for (let i = 0; i < 4; i++) b.upsert('snis', g.sni(g.pick(b.live('certificates')) as Entity));
  return applyRaw({}, b.build());
}

function randomPatch(g: Generator, raw: Raw): ConfigPatch {
  const b = new PatchBuilder(g, raw);
  const operations = 1 + g.int(4);
  for (let i = 0; i < operations; i++) {
    const roll = g.rnd();
    if (roll < 0.35) b.addSome();
    else if (roll < 0.6) b.replaceSome();
    else if (roll < 0.8) b.deleteSome(g.chance(0.15));
    else if (roll < 0.85) b.swapNames();
    else if (roll < 0.93) b.breakSomething();
    else b.deleteSome(false);
  }
  return b.build();
}

/** Every entity of `previous` the patch does not name is carried over as the same object. */
function assertSharing(previous: FlatConfig, next: FlatConfig, patch: ConfigPatch): void {
  for (const name of Object.keys(previous) as EntityName[]) {
    const upserted = new Set((patch.upserts[name] ?? []).map((e) => e.id));
    const deleted = new Set(patch.deletes[name] ?? []);
    if (upserted.size === 0 && deleted.size === 0) {
      assert.equal(next[name], previous[name], `${name}: untouched collection is the same array`);
      continue;
    }
    const byId = new Map(entitiesOf(next, name).map((e) => [e.id, e]));
    for (const e of entitiesOf(previous, name)) {
      if (upserted.has(e.id) || deleted.has(e.id as string)) continue;
      assert.equal(byId.get(e.id), e, `${name} ${String(e.id)}: untouched entity is the same object`);
    }
  }
}

test('random patches do what a full reload of the patched configuration does', (t) => {
  let accepted = 0;
  let rejected = 0;
  const kinds: Record<string, number> = {};
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    const g = new Generator(seed);
    let raw = initialRaw(g);
    let config = load(raw, T0 * 1000);
    for (let step = 0; step < 80; step++) {
      const patch = randomPatch(g, raw);
      const now = (T0 + 10 * (step + 1)) * 1000;
      const nextRaw = applyRaw(raw, patch);
      const expected = loadDeclarative({ _format_version: '3.0', _transform: false, ...nextRaw }, { plugins, now });
      const before = JSON.stringify(config);
      const actual = patchFlatConfig(config, patch, { plugins, now });
      const where = `seed ${seed}, step ${step}: ${JSON.stringify(patch)}`;
      assert.equal(JSON.stringify(config), before, `${where}: previous was modified`);
      assert.equal(
        actual.ok,
        expected.ok,
        `${where}\npatch: ${actual.ok ? 'ok' : actual.error}\nreload: ${expected.ok ? 'ok' : expected.error.message}`,
      );
      if (!actual.ok || !expected.ok) {
        rejected++;
        const kind = /which this patch deletes/.test(actual.ok ? '' : actual.error)
          ? 'dangling'
          : /which does not exist/.test(actual.ok ? '' : actual.error)
            ? 'reference'
            : /already used|also upserted/.test(actual.ok ? '' : actual.error)
              ? 'unique'
              : 'schema';
        kinds[kind] = (kinds[kind] ?? 0) + 1;
        continue;
      }
      assert.deepEqual(comparable(actual.config), comparable(expected.config), where);
      assertSharing(config, actual.config, patch);
      accepted++;
      raw = nextRaw;
      config = actual.config;
    }
  }
  t.diagnostic(`accepted ${accepted}, rejected ${rejected} ${JSON.stringify(kinds)}`);
  // Both outcomes, and every kind of rejection, must be well represented, or the test proves little.
  assert.ok(accepted > 200 && rejected > 50, `accepted ${accepted}, rejected ${rejected}`);
  for (const kind of ['dangling', 'reference', 'unique', 'schema']) assert.ok((kinds[kind] ?? 0) >= 5, `${kind}: ${kinds[kind] ?? 0}`);
});

// ---------------------------------------------------------------------------------------------------------
// Explicit cases.

const SVC = '11111111-1111-4111-8111-111111111111';
const SVC2 = '22222222-2222-4222-8222-222222222222';
const ROUTE = '33333333-3333-4333-8333-333333333333';
const ROUTE2 = '44444444-4444-4444-8444-444444444444';
const CONSUMER = '55555555-5555-4555-8555-555555555555';
const KEY = '66666666-6666-4666-8666-666666666666';
const PLUGIN = '77777777-7777-4777-8777-777777777777';
const NEW = '99999999-9999-4999-8999-999999999999';

function baseRaw(): Raw {
  return {
    services: [
      { id: SVC, created_at: T0, name: 'orders', host: 'orders.internal' },
      { id: SVC2, created_at: T0, name: 'billing', host: 'billing.internal' },
    ],
    routes: [
      { id: ROUTE, created_at: T0, name: 'orders-route', paths: ['/orders'], service: { id: SVC } },
      { id: ROUTE2, created_at: T0, name: 'billing-route', paths: ['/billing'], service: { id: SVC2 } },
    ],
    consumers: [{ id: CONSUMER, created_at: T0, username: 'alice', custom_id: 'a-1' }],
    keyauth_credentials: [{ id: KEY, created_at: T0, consumer: { id: CONSUMER }, key: 'secret-1' }],
    plugins: [{ id: PLUGIN, created_at: T0, name: 'key-auth', route: { id: ROUTE } }],
  };
}

const base = load(baseRaw(), T0 * 1000);
const patch = (p: ConfigPatch, now = (T0 + 60) * 1000) => patchFlatConfig(base, p, { plugins, now });

test('a schema error names the collection, the id and the field', () => {
  expectError(
    patch(patchOf({ routes: [{ id: NEW, paths: ['no-slash'], service: { id: SVC } }] })),
    new RegExp(`^routes ${NEW}: in 'paths\\.1': should start with`),
  );
  expectError(patch(patchOf({ services: [{ id: NEW, host: 'x.internal', colour: 'red' }] })), new RegExp(`^services ${NEW}: in 'colour': unknown field`));
  expectError(patch(patchOf({ routes: [{ id: 'not-a-uuid', paths: ['/x'] }] })), /^routes not-a-uuid: in 'id': /);
  expectError(patch(patchOf({ plugins: [{ id: NEW, name: 'no-such-plugin', route: { id: ROUTE } }] })), new RegExp(`^plugins ${NEW}: in 'name': `));
  expectError(patch(patchOf({ plugins: [{ id: NEW, name: 'key-auth', config: { hide_credentials: 'yes' } }] })), new RegExp(`^plugins ${NEW}: in 'config\\.hide_credentials': `));
});

test('a reference to nothing, or to something the patch deletes, is rejected', () => {
  const ghost = randomUUID();
  expectError(
    patch(patchOf({ routes: [{ id: NEW, paths: ['/x'], service: { id: ghost } }] })),
    new RegExp(`^routes ${NEW}: references service ${ghost} which does not exist$`),
  );
  expectError(
    patch(patchOf({ routes: [{ id: NEW, paths: ['/x'], service: { id: SVC2 } }] }, { services: [SVC2], routes: [ROUTE2] })),
    new RegExp(`^routes ${NEW}: references service ${SVC2} which this patch deletes$`),
  );
  expectError(
    patch(patchOf({ routes: [{ id: NEW, paths: ['/x'], service: 'no-such-name' }] })),
    new RegExp(`^routes ${NEW}: references service no-such-name which does not exist$`),
  );
});

test('a delete must not leave an entity pointing at what it removed', () => {
  expectError(patch(patchOf({}, { services: [SVC] })), new RegExp(`routes ${ROUTE}: references service ${SVC} which this patch deletes`));
  // The route goes too, but the plugin on it stays behind.
  expectError(patch(patchOf({}, { services: [SVC], routes: [ROUTE] })), new RegExp(`^plugins ${PLUGIN}: references route ${ROUTE} which this patch deletes$`));
  expectError(patch(patchOf({}, { consumers: [CONSUMER] })), new RegExp(`^keyauth_credentials ${KEY}: references consumer ${CONSUMER} which this patch deletes$`));
  // Replacing the dependent so that it points elsewhere is as good as deleting it.
  const moved = patch(patchOf({ routes: [{ ...baseRaw().routes?.[0], service: { id: SVC2 } }], plugins: [] }, { services: [SVC] }));
  assert.ok(moved.ok, moved.ok ? '' : moved.error);
  assert.deepEqual(moved.config.routes.find((r) => r.id === ROUTE)?.service, { id: SVC2 });
  // With the cascade complete the delete goes through.
  const cascaded = patch(patchOf({}, { services: [SVC], routes: [ROUTE], plugins: [PLUGIN] }));
  assert.ok(cascaded.ok, cascaded.ok ? '' : cascaded.error);
  assert.deepEqual(cascaded.config.services.map((s) => s.id), [SVC2]);
  assert.deepEqual(cascaded.config.routes.map((r) => r.id), [ROUTE2]);
  assert.deepEqual(cascaded.config.plugins, []);
});

test('unique values stay unique, against what stays and within the patch', () => {
  expectError(
    patch(patchOf({ routes: [{ id: NEW, name: 'billing-route', paths: ['/x'] }] })),
    new RegExp(`^routes ${NEW}: name 'billing-route' is already used by routes ${ROUTE2}$`),
  );
  expectError(
    patch(patchOf({ consumers: [{ id: NEW, username: 'bob', custom_id: 'a-1' }] })),
    new RegExp(`^consumers ${NEW}: custom_id 'a-1' is already used by consumers ${CONSUMER}$`),
  );
  expectError(
    patch(patchOf({ keyauth_credentials: [{ id: NEW, consumer: { id: CONSUMER }, key: 'secret-1' }] })),
    new RegExp(`^keyauth_credentials ${NEW}: key 'secret-1' is already used by keyauth_credentials ${KEY}$`),
  );
  const other = randomUUID();
  expectError(
    patch(patchOf({ services: [{ id: NEW, name: 'same', host: 'a.internal' }, { id: other, name: 'same', host: 'b.internal' }] })),
    new RegExp(`^services ${other}: name 'same' is also upserted by services ${NEW}$`),
  );
  // A name freed by a rename or a delete in the same patch may be taken.
  const swapped = patch(
    patchOf({
      routes: [
        { ...baseRaw().routes?.[0], name: 'billing-route' },
        { ...baseRaw().routes?.[1], name: 'orders-route' },
      ],
    }),
  );
  assert.ok(swapped.ok, swapped.ok ? '' : swapped.error);
  const taken = patch(patchOf({ routes: [{ id: NEW, name: 'billing-route', paths: ['/b2'] }] }, { routes: [ROUTE2] }));
  assert.ok(taken.ok, taken.ok ? '' : taken.error);
});

test('patch-only errors: unknown collections, missing ids, deletes of nothing, contradictions, nesting', () => {
  expectError(patchFlatConfig(base, { upserts: { widgets: [{ id: NEW }] } as unknown as ConfigPatch['upserts'], deletes: {} }, { plugins }), /^upserts: unknown collection 'widgets'$/);
  expectError(patchFlatConfig(base, { upserts: {}, deletes: { widgets: [NEW] } as unknown as ConfigPatch['deletes'] }, { plugins }), /^deletes: unknown collection 'widgets'$/);
  expectError(patch(patchOf({}, { routes: [NEW] })), new RegExp(`^routes ${NEW}: cannot be deleted, there is no such entity$`));
  expectError(patch(patchOf({ routes: [{ paths: ['/x'] }] })), /^routes \(upsert 1\): an upserted entity must carry its id$/);
  expectError(patch(patchOf({ routes: ['/x' as unknown as Entity] })), /^routes \(upsert 1\): expected an entity/);
  expectError(patch(patchOf({ routes: [{ id: NEW, paths: ['/x'] }, { id: NEW, paths: ['/y'] }] })), new RegExp(`^routes ${NEW}: upserted twice$`));
  expectError(patch(patchOf({ routes: [{ ...baseRaw().routes?.[0] }] }, { routes: [ROUTE] })), new RegExp(`^routes ${ROUTE}: both upserted and deleted$`));
  expectError(
    patch(patchOf({ services: [{ id: NEW, host: 'x.internal', routes: [{ id: randomUUID(), paths: ['/x'] }] }] })),
    new RegExp(`^services ${NEW}: nested 'routes' are not accepted in a patch`),
  );
  // An empty nested list is harmless, as in a load.
  assert.ok(patch(patchOf({ services: [{ id: NEW, host: 'x.internal', routes: [] }] })).ok);
  expectError(patchFlatConfig(base, { upserts: {} } as ConfigPatch, { plugins }), /needs `upserts` and `deletes`/);
});

test('several problems are reported together', () => {
  const result = patch(patchOf({ routes: [{ id: NEW, paths: ['bad'] }, { id: randomUUID(), paths: ['/ok'], hosts: 7 }] }));
  expectError(result, /routes .*paths.*; routes .*hosts/);
});

test('upserts replace in place, append at the end, and share everything untouched', () => {
  const before = JSON.stringify(base);
  const result = patch(
    patchOf({
      routes: [{ id: NEW, name: 'new', paths: ['/new'], service: 'billing' }, { ...baseRaw().routes?.[0], paths: ['/orders/v2'] }],
    }),
  );
  assert.ok(result.ok, result.ok ? '' : result.error);
  assert.equal(JSON.stringify(base), before);
  const config = result.config;
  assert.deepEqual(config.routes.map((r) => r.id), [ROUTE, ROUTE2, NEW]);
  assert.deepEqual(config.routes[0].paths, ['/orders/v2']);
  assert.equal(config.routes[1], base.routes[1]);
  // A reference by name is resolved to the id, as a load does.
  assert.deepEqual(config.routes[2].service, { id: SVC2 });
  // ...against the patched names: the new one resolves, the one a rename gave up does not.
  const renamed = { id: SVC2, name: 'payments', host: 'billing.internal' };
  const byNewName = patch(patchOf({ services: [renamed], routes: [{ id: NEW, paths: ['/p'], service: 'payments' }] }));
  assert.ok(byNewName.ok, byNewName.ok ? '' : byNewName.error);
  assert.deepEqual(byNewName.config.routes[2].service, { id: SVC2 });
  expectError(
    patch(patchOf({ services: [renamed], routes: [{ id: NEW, paths: ['/p'], service: 'billing' }] })),
    new RegExp(`^routes ${NEW}: references service billing which does not exist$`),
  );
  for (const name of ['services', 'consumers', 'keyauth_credentials', 'plugins', 'targets', 'snis'] as const) {
    assert.equal(config[name], base[name], name);
  }
  // Defaults are filled in exactly as a load fills them.
  const reload = load(applyRaw(baseRaw(), patchOf({ routes: [{ id: NEW, name: 'new', paths: ['/new'], service: 'billing' }] })), (T0 + 60) * 1000);
  const { updated_at: _a, ...patched } = config.routes[2] as unknown as Entity;
  const { updated_at: _b, ...loaded } = reload.routes.find((r) => r.id === NEW) as unknown as Entity;
  assert.deepEqual(patched, loaded);
});

test('upserted entities are stamped with now; untouched ones keep their timestamps', () => {
  const now = (T0 + 3600) * 1000;
  const result = patch(patchOf({ routes: [{ ...baseRaw().routes?.[0], paths: ['/v2'] }, { id: NEW, paths: ['/n'] }] }), now);
  assert.ok(result.ok);
  const [changed, untouched, added] = result.config.routes;
  assert.equal(changed.updated_at, T0 + 3600);
  assert.equal(changed.created_at, T0, 'created_at comes from the entity');
  assert.equal(added.created_at, T0 + 3600, 'created_at defaults to now, as in a load');
  assert.equal(untouched.updated_at, base.routes[1].updated_at);
});

test('transformations follow _transform: false (given digests kept)', () => {
  const raw: Raw = {
    ...baseRaw(),
    ca_certificates: [{ id: randomUUID(), cert: CA_CRT }],
  };
  const upserts = { ca_certificates: raw.ca_certificates };
  const result = patch(patchOf(upserts));
  assert.ok(result.ok, result.ok ? '' : result.error);
  const reload = load(raw, T0 * 1000);
  assert.equal(result.config.ca_certificates[0].cert_digest, reload.ca_certificates[0].cert_digest);
  assert.match(String(result.config.ca_certificates[0].cert_digest), /^[0-9a-f]{64}$/);
  // Targets are normalised the same way too.
  const up = randomUUID();
  const t = patch(patchOf({ upstreams: [{ id: up, name: 'up.internal' }], targets: [{ id: randomUUID(), upstream: { id: up }, target: '10.0.0.1' }] }));
  assert.ok(t.ok, t.ok ? '' : t.error);
  assert.equal(t.config.targets[0].target, '10.0.0.1:8000');
});

// ---------------------------------------------------------------------------------------------------------
// Timing: a one-route change on a large configuration, against reloading all of it.

test('a one-route patch on 100,000 routes costs a small fraction of a reload', (t) => {
  const services: Entity[] = [];
  const routes: Entity[] = [];
  for (let s = 0; s < 1_000; s++) services.push({ id: randomUUID(), created_at: T0, name: `svc-${s}`, host: `h${s}.internal` });
  for (let r = 0; r < 100_000; r++) {
    routes.push({ id: randomUUID(), created_at: T0, name: `route-${r}`, paths: [`/r${r}`], service: { id: services[r % 1_000].id } });
  }
  const raw: Raw = { services, routes };
  let started = performance.now();
  let config = load(raw, T0 * 1000);
  const loadMs = performance.now() - started;

  const changed = { ...routes[50_000], paths: ['/changed'], name: 'renamed' };
  const timings: Record<string, number[]> = { replace: [], add: [], delete: [] };
  for (let i = 0; i < 5; i++) {
    const steps: [string, ConfigPatch][] = [
      ['replace', patchOf({ routes: [{ ...changed, paths: [`/changed${i}`] }] })],
      ['add', patchOf({ routes: [{ id: randomUUID(), name: `extra-${i}`, paths: [`/extra${i}`], service: { id: services[i].id } }] })],
      ['delete', patchOf({}, { routes: [routes[i].id as string] })],
    ];
    for (const [kind, p] of steps) {
      started = performance.now();
      const result = patchFlatConfig(config, p, { plugins });
      timings[kind].push(performance.now() - started);
      assert.ok(result.ok, result.ok ? '' : result.error);
      config = result.config;
    }
  }
  assert.equal(config.routes.length, 100_000);
  assert.deepEqual(config.routes[50_000 - 5].paths, ['/changed4']);
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  t.diagnostic(`loadDeclarative of 100,000 routes + 1,000 services: ${Math.round(loadMs)} ms`);
  for (const [kind, xs] of Object.entries(timings)) {
    t.diagnostic(`one-route ${kind}: median ${median(xs).toFixed(1)} ms (first ${xs[0].toFixed(1)} ms, max ${Math.max(...xs).toFixed(1)} ms)`);
  }
  // Relative, not absolute: both are measured in this process at about the same time, so machine load scales both
  // (the diagnostics show the real figures; 5-15 ms per patch is usual on a quiet machine).
  for (const xs of Object.values(timings)) assert.ok(median(xs) * 20 < loadMs, `median ${median(xs).toFixed(1)} ms against a ${Math.round(loadMs)} ms load`);
});
