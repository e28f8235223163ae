/**
 * jwt's own migration (`jwt:000_base_jwt`) on SQLite and PostgreSQL: its SQL creates exactly what the store
 * derives from `daos.ts`, and `bootstrap` runs it after core so that credentials are stored.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { registerPlugins } from '../../entities/index.ts';
import { bootstrap, migrationState } from '../../store/index.ts';
import { assertCreatesLayout, describeOnEachDatabase } from '../../../test/support/plugin-migrations.ts';
import { enabledPlugins } from '../index.ts';
import { baseJwt000 } from './migrations/000-base-jwt.ts';

registerPlugins(enabledPlugins(['jwt']));

test('000_base_jwt creates what the store layout of jwt_secrets expects, on both dialects', () => {
  assertCreatesLayout(baseJwt000, ['jwt_secrets']);
  assert.deepEqual(baseJwt000.tables, ['jwt_secrets', 'jwt_secrets_tags']);
});

describeOnEachDatabase('jwt:000_base_jwt', (harness) => {
  test('bootstrap runs it after core; secrets are stored and cascade with their consumer', async () => {
    const db = await harness().emptyDatabase();
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
