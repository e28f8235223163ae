import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { ENTITY_ORDER, type EntityName } from '../entities/index.ts';
import {
  collectionDigest,
  EMPTY_CONFIG_HASH,
  EntityHashTable,
  entityHash,
  hashFromIndex,
  indexConfig,
  patchCollection,
  type CollectionDigest,
  type WireConfig,
  type WireEntity,
} from './config-version.ts';

const md5 = (s: string): string => createHash('md5').update(s).digest('hex');

function wire(parts: Partial<Record<EntityName, readonly WireEntity[]>>): WireConfig {
  return Object.fromEntries(ENTITY_ORDER.map((n) => [n, parts[n] ?? []])) as unknown as WireConfig;
}

const service = { id: 'b-service', name: 'svc', host: 'example.com', port: 80 };
const routeA = { id: 'a-route', name: 'a', paths: ['/a'], service: { id: 'b-service' } };
const routeB = { id: 'c-route', name: 'b', paths: ['/b'], service: { id: 'b-service' } };
const consumer = { id: 'd-consumer', username: 'alice' };

test('entityHash is the md5 of the JSON, keeping the key order it was given', () => {
  assert.equal(entityHash(routeA), md5(JSON.stringify(routeA)));
  const reordered = { name: 'a', id: 'a-route', paths: ['/a'], service: { id: 'b-service' } };
  assert.notEqual(entityHash(reordered), entityHash(routeA));
  assert.equal(entityHash(JSON.parse(JSON.stringify(routeA)) as WireEntity), entityHash(routeA));
});

test('a configuration without entities hashes to 32 zeros', () => {
  const index = indexConfig(wire({}));
  assert.equal(index.hash, EMPTY_CONFIG_HASH);
  assert.equal(index.hash, '0'.repeat(32));
  assert.equal(index.groups.routes, md5('routes\n'));
  assert.equal(hashFromIndex(index.entities), EMPTY_CONFIG_HASH);
  assert.equal(hashFromIndex(new Map()), EMPTY_CONFIG_HASH);
});

test('the configuration hash is the md5 of every collection in dependency order, ids sorted', () => {
  const config = wire({ routes: [routeB, routeA], services: [service], consumers: [consumer] });
  const lines = (e: WireEntity): string => `${e.id}:${md5(JSON.stringify(e))}\n`;
  const text = ENTITY_ORDER.map((name) => {
    if (name === 'routes') return 'routes\n' + lines(routeA) + lines(routeB);
    if (name === 'services') return 'services\n' + lines(service);
    if (name === 'consumers') return 'consumers\n' + lines(consumer);
    return name + '\n';
  }).join('');
  const index = indexConfig(config);
  assert.equal(index.hash, md5(text));
  assert.equal(index.groups.routes, md5('routes\n' + lines(routeA) + lines(routeB)));
  assert.equal(index.groups.services, md5('services\n' + lines(service)));
  assert.equal(index.groups.plugins, md5('plugins\n'));
  const rest = ENTITY_ORDER.filter((n) => !['routes', 'services', 'plugins', 'upstreams', 'targets'].includes(n))
    .map((n) => (n === 'consumers' ? 'consumers\n' + lines(consumer) : n + '\n'))
    .join('');
  assert.equal(index.groups.rest, md5(rest));
  assert.equal(index.entities.get('routes')?.get('a-route'), entityHash(routeA));
  assert.equal(index.entities.get('services')?.size, 1);
});

test('order inside a collection does not matter; a JSON round trip keeps the hash', () => {
  const a = indexConfig(wire({ routes: [routeA, routeB], services: [service] }));
  const b = indexConfig(wire({ routes: [routeB, routeA], services: [service] }));
  assert.equal(a.hash, b.hash);
  const roundTrip = JSON.parse(JSON.stringify(wire({ routes: [routeA, routeB], services: [service] }))) as WireConfig;
  assert.equal(indexConfig(roundTrip).hash, a.hash);
});

test('group hashes tell which part changed', () => {
  const before = indexConfig(wire({ routes: [routeA, routeB], services: [service], consumers: [consumer] }));
  const routeChanged = indexConfig(
    wire({ routes: [routeA, { ...routeB, paths: ['/c'] }], services: [service], consumers: [consumer] }),
  );
  assert.notEqual(routeChanged.hash, before.hash);
  assert.notEqual(routeChanged.groups.routes, before.groups.routes);
  assert.equal(routeChanged.groups.services, before.groups.services);
  assert.equal(routeChanged.groups.rest, before.groups.rest);
  const consumerChanged = indexConfig(
    wire({ routes: [routeA, routeB], services: [service], consumers: [{ ...consumer, username: 'bob' }] }),
  );
  assert.equal(consumerChanged.groups.routes, before.groups.routes);
  assert.notEqual(consumerChanged.groups.rest, before.groups.rest);
  // Moving an entity between collections changes the hash even though the id:hash lines are the same.
  const moved = indexConfig(wire({ routes: [routeA, routeB], services: [], consumers: [consumer], upstreams: [service] }));
  assert.notEqual(moved.hash, indexConfig(wire({ routes: [routeA, routeB], services: [service], consumers: [consumer] })).hash);
});

test('hashFromIndex recomputes the hash from entity hashes alone', () => {
  const index = indexConfig(wire({ routes: [routeA, routeB], services: [service], consumers: [consumer] }));
  assert.equal(hashFromIndex(index.entities), index.hash);
  const patched = new Map(index.entities);
  patched.set('routes', new Map([...index.entities.get('routes')!, ['c-route', entityHash({ ...routeB, paths: ['/c'] })]]));
  assert.equal(
    hashFromIndex(patched),
    indexConfig(wire({ routes: [routeA, { ...routeB, paths: ['/c'] }], services: [service], consumers: [consumer] })).hash,
  );
});

test('a collection holding an id twice is rejected', () => {
  assert.throws(() => indexConfig(wire({ routes: [routeA, { ...routeA, name: 'x' }] })), /duplicate ids in routes/);
});

test('ids of mixed lengths sort by id, not by line', () => {
  // 'r1:' sorts after 'r10' as a line (':' > '0'), but 'r1' comes first as an id.
  const entities = [{ id: 'r10' }, { id: 'r1' }, { id: 'r2' }];
  const index = indexConfig(wire({ routes: entities }));
  const line = (id: string): string => `${id}:${entityHash({ id })}\n`;
  assert.equal(index.groups.routes, md5('routes\n' + line('r1') + line('r10') + line('r2')));
  assert.deepEqual([...index.entities.get('routes')!.keys()], ['r1', 'r10', 'r2']);
});

test('an entity hash table reads like a Map in id order', () => {
  const table = new EntityHashTable(['a', 'c', 'e'], ['1', '3', '5']);
  assert.equal(table.size, 3);
  assert.equal(table.get('c'), '3');
  assert.equal(table.get('b'), undefined);
  assert.equal(table.has('e'), true);
  assert.equal(table.has('f'), false);
  assert.equal(table.find('a'), 0);
  assert.equal(table.find('0'), -1);
  assert.equal(table.find('d'), -3);
  assert.equal(table.find('z'), -4);
  assert.deepEqual([...table], [['a', '1'], ['c', '3'], ['e', '5']]);
  assert.deepEqual([...table.keys()], ['a', 'c', 'e']);
  assert.deepEqual([...table.values()], ['1', '3', '5']);
  assert.deepEqual(new Map(table), new Map([['a', '1'], ['c', '3'], ['e', '5']]));
  const seen: string[] = [];
  table.forEach((hash, id, map) => {
    assert.equal(map, table);
    seen.push(id + hash);
  });
  assert.deepEqual(seen, ['a1', 'c3', 'e5']);
  assert.equal(new EntityHashTable([], []).find('x'), -1);
});

function same(actual: CollectionDigest, expected: CollectionDigest, message: string): void {
  assert.equal(actual.text, expected.text, message);
  assert.equal(actual.hash, expected.hash, message);
  assert.deepEqual(actual.table.ids, expected.table.ids, message);
  assert.deepEqual(actual.table.hashes, expected.table.hashes, message);
  assert.equal(actual.lineLength, expected.lineLength, message);
}

function randomEdits(makeId: (n: number) => string, seed: number): void {
  let s = seed;
  const random = (): number => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  // Mostly md5 hex, sometimes another length: lines of one length are then no longer guaranteed.
  const h = (n: number): string => (n < 0.03 ? 'short' : md5(String(n)));
  let current = new Map<string, string>();
  let digest = collectionDigest('routes', current);
  for (let round = 0; round < 300; round++) {
    const upserts = new Map<string, string>();
    const deletes = new Set<string>();
    const ids = [...current.keys()];
    const edits = Math.floor(random() * 5);
    for (let e = 0; e < edits; e++) {
      const roll = random();
      if (roll < 0.45 || ids.length === 0) upserts.set(makeId(Math.floor(random() * 400)), h(random()));
      else if (roll < 0.75) upserts.set(ids[Math.floor(random() * ids.length)], h(random()));
      else deletes.add(ids[Math.floor(random() * ids.length)]);
    }
    if (random() < 0.1) deletes.add(makeId(999_999)); // unknown ids are ignored
    if (random() < 0.05) for (const id of ids) deletes.add(id); // everything goes
    for (const id of upserts.keys()) deletes.delete(id);
    const next = new Map(current);
    for (const id of deletes) next.delete(id);
    for (const [id, hash] of upserts) next.set(id, hash);
    digest = patchCollection('routes', digest, upserts, deletes);
    same(digest, collectionDigest('routes', next), `seed ${seed}, round ${round}`);
    current = next;
  }
}

test('patching a collection gives exactly what digesting it from scratch gives', () => {
  // One id length: the text is spliced at computed offsets.
  randomEdits((n) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`, 1);
  // Mixed lengths: the text is rebuilt.
  randomEdits((n) => `r${n}`, 2);
  // Both, as ids of one length turn mixed and back.
  randomEdits((n) => (n % 7 === 0 ? `x${n}` : `id-${String(n).padStart(4, '0')}`), 3);
});

test('patching returns a new digest and leaves the old one alone', () => {
  const base = collectionDigest('routes', new Map([['a', md5('1')], ['b', md5('2')]]));
  const text = base.text;
  const patched = patchCollection('routes', base, new Map([['a', md5('9')]]), new Set(['b']));
  assert.deepEqual([...patched.table.keys()], ['a']);
  assert.equal(base.text, text);
  assert.deepEqual([...base.table.keys()], ['a', 'b']);
});
