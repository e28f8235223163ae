/** oauth2's entities and migration: Kong's names and fields, the tables the store derives, hashed secrets. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ENTITIES, registerPlugins, validateEntity } from '../../entities/index.ts';
import { assertCreatesLayout } from '../../../test/support/plugin-migrations.ts';
import { enabledPlugins } from '../index.ts';
import { baseOauth2000 } from './migrations/000-base-oauth2.ts';
import { verifySecret } from './secret.ts';

registerPlugins(enabledPlugins(['oauth2']));

test('oauth2 entities: Kong\'s Admin API names, endpoint keys, ttls; tokens exported to files, codes not; neither live', () => {
  const credentials = ENTITIES.oauth2_credentials;
  assert.equal(credentials.plugin, 'oauth2');
  assert.equal(credentials.adminApiName, 'oauth2');
  assert.equal(credentials.adminApiNestedName, 'oauth2');
  assert.equal(credentials.endpointKey, 'client_id');
  assert.equal(credentials.dbExport, true);
  assert.equal(ENTITIES.oauth2_tokens.endpointKey, 'access_token');
  assert.equal(ENTITIES.oauth2_tokens.secretEndpointKey, true);
  assert.equal(ENTITIES.oauth2_tokens.ttl, true);
  assert.equal(ENTITIES.oauth2_tokens.dbExport, true, 'Kong exports tokens (db_export unset)');
  assert.equal(ENTITIES.oauth2_tokens.liveConfig, false, 'written per request: no configuration rebuild per token');
  assert.equal(credentials.liveConfig, true);
  assert.equal(ENTITIES.oauth2_authorization_codes.ttl, true);
  assert.equal(ENTITIES.oauth2_authorization_codes.dbExport, false, 'Kong: db_export = false');
  assert.equal(ENTITIES.oauth2_authorization_codes.liveConfig, false);
  assert.equal(ENTITIES.oauth2_authorization_codes.generateAdminApi, false, 'no Admin API for codes, as in Kong');
  assert.equal(ENTITIES.oauth2_tokens.generateAdminApi, true);
  assert.deepEqual(ENTITIES.oauth2_tokens.foreignKeys.map((fk) => [fk.field, fk.reference, fk.onDelete]), [
    ['service', 'services', 'cascade'],
    ['credential', 'oauth2_credentials', 'cascade'],
  ]);
});

test('000_base_oauth2 creates what the store layout expects, on both dialects', () => {
  assertCreatesLayout(baseOauth2000, ['oauth2_credentials', 'oauth2_authorization_codes', 'oauth2_tokens']);
});

test('credentials: generated client id and secret, defaults, Kong\'s redirect URI rules', () => {
  const consumer = { id: '4b1b701d-de2b-5588-9aa2-3b97061d9f52' };
  const ok = validateEntity('oauth2_credentials', { consumer, name: 'app', redirect_uris: ['https://a.test/cb?x=1'] });
  assert.ok(ok.ok);
  assert.match(String(ok.value.client_id), /^[A-Za-z0-9]{32}$/);
  assert.match(String(ok.value.client_secret), /^[A-Za-z0-9]{32}$/);
  assert.equal(ok.value.client_type, 'confidential');
  assert.equal(ok.value.hash_secret, false);
  assert.deepEqual(validateEntity('oauth2_credentials', { consumer, name: 'app', redirect_uris: ['/relative', 'http://a.test/#f'] }), {
    ok: false,
    errors: { redirect_uris: ["cannot parse '/relative'", "fragment not allowed in 'http://a.test/#f'"] },
  });
});

test('hash_secret stores the secret as a PBKDF2 hash, once', () => {
  const step = ENTITIES.oauth2_credentials.schema.transformations![0];
  const hashed = step.on_write({ hash_secret: true, client_secret: 's3cret' }, { transform: true }).client_secret as string;
  assert.match(hashed, /^\$pbkdf2-sha512\$i=10000,l=32\$/);
  assert.ok(verifySecret('s3cret', hashed));
  assert.ok(!verifySecret('other', hashed));
  assert.deepEqual(step.on_write({ hash_secret: true, client_secret: hashed }, { transform: true }), {}, 'a hash is not hashed again');
  assert.deepEqual(step.on_write({ hash_secret: false, client_secret: 's3cret' }, { transform: true }), {});
});
