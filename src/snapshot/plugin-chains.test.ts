import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { PluginHandler } from '../pdk/index.ts';
import { buildConfigData, groupsByConsumer, PluginChainBuilder } from './plugin-chains.ts';
import type { PluginFields, SnapshotInput } from './types.ts';

const handler = (name: string, priority: number, phases: ('access' | 'header_filter' | 'log' | 'rewrite' | 'response' | 'body_filter')[]): PluginHandler => {
  const h: { -readonly [K in keyof PluginHandler]: PluginHandler[K] } = { name, priority };
  for (const p of phases) h[p] = () => {};
  return h;
};

const HANDLERS = new Map<string, PluginHandler>([
  ['auth', handler('auth', 1250, ['access'])],
  ['cors', handler('cors', 2000, ['access', 'header_filter'])],
  ['logger', handler('logger', 9, ['log'])],
  ['aaa', handler('aaa', 1250, ['access'])],
]);

let seq = 0;
function plugin(name: string, scope: { route?: string; service?: string; consumer?: string; group?: string } = {}, extra: Partial<PluginFields> = {}): PluginFields {
  return {
    id: `p${seq++}`,
    name,
    route: scope.route === undefined ? null : { id: scope.route },
    service: scope.service === undefined ? null : { id: scope.service },
    consumer: scope.consumer === undefined ? null : { id: scope.consumer },
    consumer_group: scope.group === undefined ? null : { id: scope.group },
    config: { tag: `${name}:${scope.route ?? '-'}:${scope.service ?? '-'}${scope.group === undefined ? '' : `:${scope.group}`}` },
    protocols: ['http', 'https'],
    enabled: true,
    ...extra,
  };
}

const EMPTY: SnapshotInput = { services: [], routes: [], upstreams: [], targets: [], plugins: [], consumers: [] };

const build = (plugins: PluginFields[]) => new PluginChainBuilder(plugins, HANDLERS, buildConfigData(EMPTY));

describe('plugin chains', () => {
  test('no plugins: every route gets null', () => {
    assert.equal(build([]).chainFor('r1', 's1'), null);
  });

  test('precedence: route+service > route > service > global', () => {
    const b = build([
      plugin('auth'),
      plugin('auth', { service: 's1' }),
      plugin('auth', { route: 'r2' }),
      plugin('auth', { route: 'r3', service: 's1' }),
      plugin('auth', { route: 'r3' }),
    ]);
    const tag = (r: string, s: string | null) => (b.chainFor(r, s)!.access![0].conf as { tag: string }).tag;
    assert.equal(tag('r0', 's0'), 'auth:-:-');
    assert.equal(tag('r1', 's1'), 'auth:-:s1');
    assert.equal(tag('r2', 's1'), 'auth:r2:-');
    assert.equal(tag('r3', 's1'), 'auth:r3:s1');
    assert.equal(tag('r0', null), 'auth:-:-');
    assert.equal(b.chainFor('r1', 's1')!.access!.length, 1);
  });

  test('phases sorted by priority (ties by name descending); phases no plugin has are null', () => {
    const chain = build([plugin('auth'), plugin('aaa'), plugin('cors'), plugin('logger')]).chainFor('r', 's')!;
    assert.deepEqual(chain.access!.map((s) => s.name), ['cors', 'auth', 'aaa']);
    assert.deepEqual(chain.header_filter!.map((s) => s.name), ['cors']);
    assert.deepEqual(chain.log!.map((s) => s.name), ['logger']);
    const onlyAuth = build([plugin('auth')]).chainFor('r', 's')!;
    assert.equal(onlyAuth.header_filter, null);
    assert.equal(onlyAuth.log, null);
  });

  test('disabled, stream-only and unknown plugins are left out; consumer-scoped ones wait for their consumer', () => {
    const b = build([
      plugin('auth', {}, { enabled: false }),
      plugin('cors', { consumer: 'c1' }),
      plugin('logger', {}, { protocols: ['tcp'] }),
      plugin('unknown'),
    ]);
    assert.equal(b.chainFor('r', 's'), null);
  });

  test("consumer precedence (Kong's OSS order) once a consumer is known; other consumers keep the route's chain", () => {
    const b = build([
      plugin('auth', { route: 'r' }),
      plugin('cors', { route: 'r' }),
      plugin('cors', { consumer: 'c1' }),
      plugin('cors', { service: 's', consumer: 'c2' }),
      plugin('cors', { route: 'r', consumer: 'c3' }),
      plugin('cors', { route: 'r', service: 's', consumer: 'c4' }),
      plugin('logger', { consumer: 'c1' }),
    ]);
    const chain = b.chainFor('r', 's')!;
    const tagFor = (consumer: string) => (chain.forConsumer!(consumer).access!.find((x) => x.name === 'cors')!.conf as { tag: string }).tag;
    assert.equal((chain.access!.find((x) => x.name === 'cors')!.conf as { tag: string }).tag, 'cors:r:-');
    // route+service+consumer > route+consumer > service+consumer > route+service > consumer > route > service > global
    assert.equal(tagFor('c4'), 'cors:r:s');
    assert.equal(tagFor('c3'), 'cors:r:-');
    assert.equal(tagFor('c2'), 'cors:-:s');
    // A consumer-only configuration outranks the route-only one.
    assert.equal(tagFor('c1'), 'cors:-:-');
    assert.deepEqual(chain.forConsumer!('c1').log!.map((x) => x.name), ['logger']);
    assert.equal(chain.forConsumer!('nobody'), chain);
    assert.equal(chain.forConsumer!('c2'), chain.forConsumer!('c2'), 'a lookup after the first time');
  });

  test("consumer-group precedence (Kong 3.4+'s order), folded in at build time; the first group by name wins", () => {
    const memberships = groupsByConsumer({
      // Listed out of name order: lookups follow names, not ids or file order.
      consumer_groups: [
        { id: 'g-z', name: 'zeta' },
        { id: 'g-a', name: 'alpha' },
        { id: 'g-n', name: 'no-plugins' },
      ],
      consumer_group_consumers: [
        { consumer_group: { id: 'g-z' }, consumer: { id: 'both' } },
        { consumer_group: { id: 'g-a' }, consumer: { id: 'both' } },
        { consumer_group: { id: 'g-z' }, consumer: { id: 'zeta-only' } },
        { consumer_group: { id: 'g-z' }, consumer: { id: 'own' } },
        { consumer_group: { id: 'g-n' }, consumer: { id: 'plain' } },
        { consumer_group: { id: 'gone' }, consumer: { id: 'plain' } },
      ],
    });
    assert.deepEqual(memberships.get('both'), ['g-a', 'g-z']);
    assert.deepEqual(memberships.get('plain'), ['g-n'], 'a membership of a group that does not exist is ignored');
    const tagFor = (plugins: PluginFields[], consumer: string, route = 'r', service: string | null = 's') => {
      const chain = new PluginChainBuilder([plugin('auth'), ...plugins], HANDLERS, buildConfigData(EMPTY), memberships).chainFor(route, service)!;
      const step = (chain.forConsumer === null ? chain : chain.forConsumer(consumer)).access?.find((x) => x.name === 'cors');
      return (step?.conf as { tag: string } | undefined)?.tag ?? null;
    };
    // 1 consumer+route+service > 2 group+route+service > 3 consumer+route > 4 consumer+service > 5 group+route >
    // 6 group+service > 7 route+service > 8 consumer > 9 group > 10 route > 11 service > 12 global
    const levels: [PluginFields, string][] = [
      [plugin('cors', { route: 'r', service: 's', consumer: 'own' }), 'cors:r:s'],
      [plugin('cors', { route: 'r', service: 's', group: 'g-z' }), 'cors:r:s:g-z'],
      [plugin('cors', { route: 'r', consumer: 'own' }), 'cors:r:-'],
      [plugin('cors', { service: 's', consumer: 'own' }), 'cors:-:s'],
      [plugin('cors', { route: 'r', group: 'g-z' }), 'cors:r:-:g-z'],
      [plugin('cors', { service: 's', group: 'g-z' }), 'cors:-:s:g-z'],
      [plugin('cors', { route: 'r', service: 's' }), 'cors:r:s'],
      [plugin('cors', { consumer: 'own' }), 'cors:-:-'],
      [plugin('cors', { group: 'g-z' }), 'cors:-:-:g-z'],
      [plugin('cors', { route: 'r' }), 'cors:r:-'],
      [plugin('cors', { service: 's' }), 'cors:-:s'],
      [plugin('cors'), 'cors:-:-'],
    ];
    // Each level wins over every level below it.
    for (let i = 0; i < levels.length; i++) {
      assert.equal(tagFor(levels.slice(i).map(([p]) => p), 'own'), levels[i][1], `level ${i + 1}`);
    }
    assert.equal(tagFor([plugin('cors', { group: 'g-z' }), plugin('cors', { group: 'g-a' })], 'both'), 'cors:-:-:g-a');
    assert.equal(tagFor([plugin('cors', { group: 'g-z' }), plugin('cors', { route: 'r', group: 'g-z' }), plugin('cors', { group: 'g-a' })], 'both'), 'cors:r:-:g-z', 'a more specific level beats group order');
    assert.equal(tagFor([plugin('cors', { group: 'g-z' })], 'zeta-only'), 'cors:-:-:g-z');
    assert.equal(tagFor([plugin('cors', { group: 'g-z' })], 'plain'), null, 'a non-member does not get it');
    assert.equal(tagFor([plugin('cors', { group: 'g-z' })], 'zeta-only', 'other-route', null), 'cors:-:-:g-z', 'a route without a service');
    const chain = new PluginChainBuilder([plugin('auth'), plugin('cors', { group: 'g-z' })], HANDLERS, buildConfigData(EMPTY), memberships).chainFor('r', 's')!;
    assert.equal(chain.forConsumer!('plain'), chain, 'consumers of groups no plugin is scoped to keep the route chain');
    assert.notEqual(chain.forConsumer!('zeta-only'), chain);
  });

  test('prepare learns the consumer group a plugin is scoped to', () => {
    const scopes: unknown[] = [];
    const handlers = new Map<string, PluginHandler>([['p', { name: 'p', priority: 1, prepare: (_c, _d, scope) => scopes.push(scope), access: () => {} }]]);
    new PluginChainBuilder([plugin('p', { group: 'g1' })], handlers, buildConfigData(EMPTY));
    assert.deepEqual(scopes, [{ id: `p${seq - 1}`, route: null, service: null, consumer: null, consumer_group: 'g1' }]);
  });

  test('global plugins give the rewrite phase; route-scoped ones never do', () => {
    const handlers = new Map<string, PluginHandler>([
      ['pre', handler('pre', 1_000_000, ['rewrite', 'access'])],
      ['other', handler('other', 5, ['rewrite'])],
    ]);
    const b = new PluginChainBuilder([plugin('pre'), plugin('other', { route: 'r' })], handlers, buildConfigData(EMPTY));
    assert.deepEqual(b.global.rewrite!.map((x) => x.name), ['pre']);
    assert.equal(b.global.certificate, null);
  });

  test('a disabled route-level plugin does not hide the enabled service-level one', () => {
    const chain = build([plugin('auth', { route: 'r' }, { enabled: false }), plugin('auth', { service: 's' })]).chainFor('r', 's')!;
    assert.equal((chain.access![0].conf as { tag: string }).tag, 'auth:-:s');
  });

  test('routes resolving to the same plugins share one chain; prepare runs once per plugin entity', () => {
    let prepared = 0;
    const handlers = new Map<string, PluginHandler>([['p', { name: 'p', priority: 1, prepare: () => ++prepared, access: () => {} }]]);
    const b = new PluginChainBuilder([plugin('p')], handlers, buildConfigData(EMPTY));
    assert.equal(b.chainFor('r1', 's1'), b.chainFor('r2', 's2'));
    assert.equal(prepared, 1);
  });

  test('config data indexes consumers by id and username, their groups, and any consumer-owned collection by a field, once', () => {
    const tokens = [
      { id: 't1', consumer: { id: 'c1' }, token: 'secret' },
      { id: 't2', consumer: { id: 'gone' }, token: 'orphan' },
      { id: 't3', consumer: { id: 'c1' }, token: null },
    ];
    const data = buildConfigData({
      ...EMPTY,
      consumers: [{ id: 'c1', username: 'ann', custom_id: null }],
      gadget_tokens: tokens,
      consumer_groups: [{ id: 'g2', name: 'silver' }, { id: 'g1', name: 'gold' }],
      consumer_group_consumers: [{ consumer_group: { id: 'g2' }, consumer: { id: 'c1' } }, { consumer_group: { id: 'g1' }, consumer: { id: 'c1' } }],
    });
    assert.deepEqual(data.consumerGroups('c1'), [{ id: 'g1', name: 'gold' }, { id: 'g2', name: 'silver' }], 'by name');
    assert.deepEqual(data.consumerGroups('nobody'), []);
    assert.equal(data.consumer('c1')?.username, 'ann');
    assert.equal(data.consumer('ann')?.id, 'c1');
    assert.equal(data.consumer('bob'), undefined);
    assert.equal(data.entities('gadget_tokens'), tokens);
    assert.deepEqual(data.entities('nothing_here'), []);
    const byToken = data.credentialsBy('gadget_tokens', 'token');
    assert.equal(byToken.get('secret')?.consumer.id, 'c1');
    assert.equal(byToken.get('secret')?.credential.id, 't1');
    assert.equal(byToken.has('orphan'), false, 'an entry whose consumer does not exist is left out');
    assert.equal(byToken.size, 1);
    assert.equal(data.credentialsBy('gadget_tokens', 'token'), byToken, 'built once per snapshot, whoever asks');
    assert.deepEqual([...data.credentialsBy('gadget_tokens', 'id').keys()], ['t1', 't3']);
  });

  test("ordering: Kong's dynamic ordering moves plugins in the access phase only; absent names are ignored and cycles broken", () => {
    const chainOf = (plugins: PluginFields[]) => build(plugins).chainFor('r', 's')!;
    const names = (plugins: PluginFields[]) => chainOf(plugins).access!.map((x) => x.name);
    assert.deepEqual(names([plugin('auth'), plugin('aaa'), plugin('cors')]), ['cors', 'auth', 'aaa']);
    // cors (2000) after auth (1250): auth goes first, then cors, then aaa.
    assert.deepEqual(names([plugin('auth'), plugin('aaa'), plugin('cors', {}, { ordering: { after: { access: ['auth'] } } })]), ['auth', 'cors', 'aaa']);
    // aaa before cors.
    assert.deepEqual(names([plugin('auth'), plugin('aaa', {}, { ordering: { before: { access: ['cors'] } } }), plugin('cors')]), ['aaa', 'cors', 'auth']);
    assert.deepEqual(names([plugin('auth'), plugin('cors', {}, { ordering: { after: { access: ['missing'] } } })]), ['cors', 'auth']);
    const cycle = [plugin('auth', {}, { ordering: { after: { access: ['cors'] } } }), plugin('cors', {}, { ordering: { after: { access: ['auth'] } } })];
    assert.deepEqual(names(cycle), ['auth', 'cors'], 'the cycle is broken where it closes');
    const reordered = chainOf([plugin('cors', {}, { ordering: { after: { access: ['auth'] } } }), plugin('auth')]);
    assert.deepEqual(reordered.header_filter!.map((x) => x.name), ['cors'], 'other phases keep the priority order');
  });
});
