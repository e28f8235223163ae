/**
 * jwt's own migration (`jwt:000_base_jwt`) on SQLite and PostgreSQL: its SQL creates exactly what the store
 * derives from `daos.ts`, and `bootstrap` runs it after core so that credentials are stored.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { registerPlugins } from '../../entities/index.ts';
import { bootstrap, migrationState } from '../../store/index.ts';
import { entityTableDdl } from '../../store/sql/ddl.ts';
import { layoutOf } from '../../store/sql/layout.ts';
import type { StoreHarness } from '../../store/suite/harness.ts';
import { postgresHarness, postgresSkipReason } from '../../store/suite/postgres-harness.ts';
import { sqliteHarness } from '../../store/suite/sqlite-harness.ts';
import { enabledPlugins } from '../index.ts';
import { baseJwt000 } from './migrations/000-base-jwt.ts';

registerPlugins(enabledPlugins(['jwt']));

test('000_base_jwt creates what the store layout of jwt_secrets expects, on both dialects', () => {
  for (const kind of ['sqlite', 'postgres'] as const) {
    const expected = `${entityTableDdl(kind, layoutOf('jwt_secrets')).join(';\n')};`;
    assert.equal(baseJwt000.up[kind].replaceAll(' IF NOT EXISTS', ''), expected, kind);
  }
  assert.deepEqual(baseJwt000.tables, ['jwt_secrets', 'jwt_secrets_tags']);
});

for (const [kind, factory, skip] of [
  ['SQLite', sqliteHarness, null],
  ['PostgreSQL', postgresHarness, postgresSkipReason()],
] as const) {
  describe(`jwt:000_base_jwt on ${kind}`, { skip: skip ?? false }, () => {
    let harness: StoreHarness;
    before(async () => {
      harness = await factory();
    });
    after(() => harness.close());

    test('bootstrap runs it after core; secrets are stored and cascade with their consumer', async () => {
      const db = await harness.emptyDatabase();
      const state = await bootstrap(db.target);
      assert.equal(state.executed.at(-1), 'jwt:000_base_jwt');
      assert.deepEqual((await migrationState(db.target)).pending, []);
      const store = await db.open();
      const owner = await store.insert('consumers', { id: '00000000-0000-4000-8000-000000000001', username: 'ann', custom_id: null, created_at: 1, updated_at: 1, tags: null, type: 0 });
      await store.insert('jwt_secrets', { id: '00000000-0000-4000-8000-000000000002', created_at: 1, consumer: { id: owner.id }, key: 'iss-1', secret: 's', rsa_public_key: null, algorithm: 'HS256', tags: ['t'] });
      assert.equal((await store.getBy('jwt_secrets', 'key', 'iss-1'))?.id, '00000000-0000-4000-8000-000000000002');
      await store.delete('consumers', owner.id);
      assert.equal(await store.getBy('jwt_secrets', 'key', 'iss-1'), null, 'the consumer cascade holds');
    });
  });
}
