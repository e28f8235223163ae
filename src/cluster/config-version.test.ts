import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { ENTITY_ORDER, type EntityName } from '../entities/index.ts';
import {
  EMPTY_CONFIG_HASH,
  entityHash,
  hashFromIndex,
  indexConfig,
  type WireConfig,
  type WireEntity,
} from './config-version.ts';

const md5 = (s: string): string => createHash('md5').update(s).digest('hex');

function wire(parts: Partial<Record<EntityName, WireEntity[]>>): WireConfig {
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
