import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyWorkerPatch, proxyRelevantPatch } from './config-patch.ts';
import type { SnapshotInput } from '../snapshot/types.ts';
import { registerPlugins } from '../entities/index.ts';
import { defineEntity, typedefs } from '../schema/index.ts';

const gadgetsSchema = defineEntity({
  name: 'gadgets',
  primary_key: ['id'],
  fields: { id: typedefs.uuid, consumer: { type: 'foreign', reference: 'consumers', required: true, on_delete: 'cascade' } },
});

const base = {
  services: [{ id: 's1', host: 'a' }, { id: 's2', host: 'b' }],
  routes: [{ id: 'r1' }, { id: 'r2' }, { id: 'r3' }],
  upstreams: [],
  targets: [],
  plugins: [],
  consumers: [],
} as unknown as SnapshotInput;

test('a worker patch replaces in place, appends new entities, drops deleted ones and shares the rest', () => {
  const next = applyWorkerPatch(base, {
    upserts: { routes: [{ id: 'r2', paths: ['/x'] } as { id: string }, { id: 'r4' }] },
    deletes: { routes: ['r1'] },
  });
  assert.deepEqual(next.routes, [{ id: 'r2', paths: ['/x'] }, { id: 'r3' }, { id: 'r4' }]);
  assert.equal(next.services, base.services, 'untouched collections are shared');
  assert.equal(next.routes[1], base.routes[2], 'untouched entities are shared');
  assert.equal(base.routes.length, 3, 'the base is not modified');
});

test('only the collections the proxy compiles travel to workers, plugins\' entities included', () => {
  const unknown = proxyRelevantPatch({
    upserts: { routes: [{ id: 'r' }], gadgets: [{ id: 'x' }], snis: [{ id: 'n' }] },
    deletes: { gizmos: ['a'], services: ['s'], certificates: ['c'] },
  });
  assert.deepEqual(unknown, { upserts: { routes: [{ id: 'r' }], snis: [{ id: 'n' }] }, deletes: { services: ['s'], certificates: ['c'] } });
  registerPlugins([{ schema: { name: 'gadget-auth' }, daos: [gadgetsSchema] }]);
  const registered = proxyRelevantPatch({ upserts: { gadgets: [{ id: 'x' }] }, deletes: { gizmos: ['a'] } });
  assert.deepEqual(registered, { upserts: { gadgets: [{ id: 'x' }] }, deletes: {} });
});
