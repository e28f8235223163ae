/**
 * hmac-auth's migration (`hmac-auth:000_base_hmac_auth`) on SQLite and PostgreSQL: `bootstrap` runs it after
 * core's, and the table it creates stores credentials with Kong's unique username and consumer cascade.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { registerPlugins } from '../../entities/index.ts';
import { bootstrap, migrationState } from '../../store/index.ts';
import { describeOnEachDatabase } from '../../../test/support/plugin-migrations.ts';
import { enabledPlugins } from '../index.ts';

registerPlugins(enabledPlugins(['hmac-auth']));

describeOnEachDatabase('hmac-auth:000_base_hmac_auth', (harness) => {
  test('bootstrap runs it; credentials are stored, unique by username, removed with their consumer', async () => {
    const db = await harness().emptyDatabase();
    const state = await bootstrap(db.target);
    assert.equal(state.executed.at(-1), 'hmac-auth:000_base_hmac_auth');
    assert.deepEqual((await migrationState(db.target)).pending, []);
    assert.ok(await db.tableExists('hmacauth_credentials_tags'));
    const store = await db.open();
    const owner = await store.insert('consumers', { id: '00000000-0000-4000-8000-000000000001', username: 'ann', custom_id: null, created_at: 1, updated_at: 1, tags: null, type: 0 });
    await store.insert('hmacauth_credentials', { id: '00000000-0000-4000-8000-000000000002', created_at: 1, consumer: { id: owner.id }, username: 'ann-key', secret: 's', tags: ['t'] });
    assert.equal((await store.getBy('hmacauth_credentials', 'username', 'ann-key'))?.id, '00000000-0000-4000-8000-000000000002');
    await assert.rejects(store.insert('hmacauth_credentials', { id: '00000000-0000-4000-8000-000000000003', created_at: 1, consumer: { id: owner.id }, username: 'ann-key', secret: 's2', tags: null }));
    await store.delete('consumers', owner.id);
    assert.equal(await store.getBy('hmacauth_credentials', 'username', 'ann-key'), null, 'the consumer cascade holds');
  });
});
