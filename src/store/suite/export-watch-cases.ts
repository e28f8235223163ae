/** Store suite: the export the proxy compiles, and the change feed. */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { it } from 'node:test';
import { exportDeclarative, loadDeclarative } from '../../declarative/index.ts';
import { ENTITIES } from '../../entities/index.ts';
import {
  caCertificate,
  certificate,
  consumer,
  entity,
  keyAuth,
  plugin,
  ref,
  route,
  service,
  sni,
  TEST_PLUGINS,
  target,
  upstream,
} from './fixtures.ts';
import { RSA_KEY } from '../../entities/test-pem-fixtures.ts';
import type { StoreHarness } from './harness.ts';

async function waitUntil(condition: () => boolean, withinMs: number, what: string): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`${what} did not happen within ${withinMs} ms`);
    await sleep(10);
  }
}

function withoutUpdatedAt(config: object): unknown {
  return Object.fromEntries(
    Object.entries(config).map(([collection, rows]) => [
      collection,
      (rows as Record<string, unknown>[]).map(({ updated_at: _ignored, ...rest }) => rest),
    ]),
  );
}

export function exportWatchCases(harness: () => StoreHarness): void {
  it('exportAll gives every collection as a FlatConfig that loadDeclarative accepts unchanged', async () => {
    const store = await harness().fresh();
    await store.transaction(async (tx) => {
      const cert = await tx.insert('certificates', certificate({ tags: ['edge'] }));
      await tx.insert('snis', sni(cert, 'shop.test'));
      const ca = await tx.insert('ca_certificates', caCertificate());
      const svc = await tx.insert(
        'services',
        service('shop', { protocol: 'https', port: 443, client_certificate: ref(cert), ca_certificates: [ca.id], tags: ['edge'] }),
      );
      const rt = await tx.insert('routes', route(svc, { name: 'shop-route', hosts: ['shop.test'] }));
      const up = await tx.insert('upstreams', upstream('shop-pool.test'));
      await tx.insert('targets', target(up, '10.0.0.1:8000'));
      const buyer = await tx.insert('consumers', consumer('buyer', { custom_id: 'b-1' }));
      await tx.insert('plugins', plugin({ route: rt }, { config: { greeting: 'hi' } }));
      await tx.insert('plugins', plugin({ consumer: buyer }));
      const gold = await tx.insert('consumer_groups', entity('consumer_groups', { name: 'gold', tags: ['tier'] }));
      await tx.insert('consumer_group_consumers', entity('consumer_group_consumers', { consumer_group: ref(gold), consumer: ref(buyer) }));
      await tx.insert('plugins', plugin({ route: rt }, { consumer_group: ref(gold) }));
      await tx.insert('keyauth_credentials', keyAuth(buyer, { key: 'buyer-key' }));
      // A stored password is a hash (here Kong's SHA-1 form), which an exported file keeps as it is.
      await tx.insert('basicauth_credentials', entity('basicauth_credentials', { consumer: ref(buyer), username: 'buyer', password: 'a94a8fe5ccb19ba61c4c0873d391e987982fbbd3' }));
      await tx.insert('acls', entity('acls', { consumer: ref(buyer), group: 'buyers' }));
      await tx.insert('jwt_secrets', entity('jwt_secrets', { consumer: ref(buyer), key: 'buyer-iss', secret: 'buyer-secret', algorithm: 'HS256' }));
      await tx.insert('hmacauth_credentials', entity('hmacauth_credentials', { consumer: ref(buyer), username: 'buyer-hmac', secret: 'buyer-hmac-secret' }));
      await tx.insert('vaults', entity('vaults', { prefix: 'app-env', name: 'env', config: { prefix: 'APP_' } }));
      const set = await tx.insert('key_sets', entity('key_sets', { name: 'signing' }));
      await tx.insert('keys', entity('keys', { set: ref(set), name: 'k1', kid: 'k1', pem: { private_key: RSA_KEY } }));
      const app = await tx.insert('oauth2_credentials', entity('oauth2_credentials', { consumer: ref(buyer), name: 'app', redirect_uris: ['https://a.test/cb'] }));
      // Codes (db_export = false) stay in the database; tokens only go to files (live_config = false).
      await tx.insert('oauth2_authorization_codes', entity('oauth2_authorization_codes', { credential: ref(app) }));
      await tx.insert('oauth2_tokens', entity('oauth2_tokens', { credential: ref(app), expires_in: 7200 }));
    });
    const exported = await store.exportAll();
    for (const [collection, rows] of Object.entries(exported)) {
      if (!ENTITIES[collection].liveConfig) {
        assert.equal((rows as unknown[]).length, 0, `${collection} is not in the live configuration`);
        continue;
      }
      assert.ok((rows as unknown[]).length > 0, `${collection} is exported`);
      const ids = (rows as { id: string }[]).map((row) => row.id);
      assert.deepEqual(ids, [...ids].sort(), `${collection} in id order`);
    }
    const loaded = loadDeclarative(exportDeclarative(exported), { plugins: TEST_PLUGINS });
    assert.ok(loaded.ok, loaded.ok ? '' : loaded.error.message);
    // Loading stamps updated_at with the load time (as any write does); everything else comes back as is.
    assert.deepEqual(withoutUpdatedAt(loaded.config), withoutUpdatedAt(exported));
    const snapshot = await store.exportSnapshot();
    assert.deepEqual(snapshot.config, exported);
    assert.equal(snapshot.version, await store.configVersion());

    // A file export (`config db_export`) adds what Kong exports beyond the live configuration, and loads too.
    const file = await store.exportFile();
    for (const [collection, rows] of Object.entries(file)) {
      const expected = ENTITIES[collection].dbExport ? (ENTITIES[collection].liveConfig ? exported[collection as keyof typeof exported] : 'some') : [];
      if (expected === 'some') assert.ok((rows as unknown[]).length > 0, `${collection} is in the file`);
      else assert.deepEqual(rows, expected, collection);
    }
    const reloaded = loadDeclarative(exportDeclarative(file), { plugins: TEST_PLUGINS });
    assert.ok(reloaded.ok, reloaded.ok ? '' : reloaded.error.message);
    assert.deepEqual(withoutUpdatedAt(reloaded.config), withoutUpdatedAt(file));
  });

  it('watch reports this store\'s writes at once and another connection\'s within a second', async () => {
    const store = await harness().fresh();
    const second = await harness().openSecond();
    const seen: number[] = [];
    // On PostgreSQL the poll is pushed far away: only LISTEN/NOTIFY can deliver within the second.
    const options = harness().kind === 'postgres' ? { pollMs: 60_000 } : {};
    const stop = store.watch((version) => seen.push(version), options);
    try {
      await store.insert('consumers', consumer('local-writer'));
      const local = await store.configVersion();
      await waitUntil(() => seen.includes(local), 100, 'the notification of a local write');

      await second.insert('consumers', consumer('remote-writer'));
      const remote = await second.configVersion();
      assert.equal(remote, local + 1);
      await waitUntil(() => seen.includes(remote), 1000, 'the notification of a write by another connection');
      assert.deepEqual(
        seen.filter((v) => v >= local),
        [local, remote],
        'each version once',
      );

      stop();
      await second.insert('consumers', consumer('unheard'));
      await store.insert('consumers', consumer('unheard-local'));
      await sleep(400);
      assert.equal(seen.at(-1), remote, 'nothing after unsubscribing');
    } finally {
      stop();
      await second.close();
    }
  });
}
