/** jwt's entity and plugin schema as the registry gives them: Kong's fields, generated values and checks. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { ENTITIES, findEntity, registerPlugins, validateEntity } from '../../entities/index.ts';
import { enabledPlugins, pluginRegistry } from '../index.ts';

registerPlugins(enabledPlugins(['jwt']));
const plugins = pluginRegistry(['jwt']);

const CONSUMER = { id: '4b1b701d-de2b-5588-9aa2-3b97061d9f52' };
const RSA_PEM = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
const CONDITIONAL = ["failed conditional validation given value of field 'algorithm'"];

test("jwt_secrets: Kong's Admin API names and endpoint key, owned by jwt", () => {
  const meta = ENTITIES.jwt_secrets;
  assert.equal(meta.plugin, 'jwt');
  assert.equal(meta.adminApiName, 'jwts');
  assert.equal(meta.adminApiNestedName, 'jwt');
  assert.equal(meta.endpointKey, 'key');
  assert.deepEqual(meta.foreignKeys, [{ field: 'consumer', reference: 'consumers', onDelete: 'cascade', required: true }]);
  assert.equal(findEntity('jwts')?.name, 'jwt_secrets');
});

test('key and secret generated when omitted; algorithm defaults to HS256; consumer required', () => {
  const ok = validateEntity('jwt_secrets', { consumer: CONSUMER });
  assert.ok(ok.ok);
  assert.match(String(ok.value.key), /^[A-Za-z0-9]{32}$/);
  assert.match(String(ok.value.secret), /^[A-Za-z0-9]{32}$/);
  assert.equal(ok.value.algorithm, 'HS256');
  assert.equal(ok.value.rsa_public_key, null);
  assert.deepEqual(validateEntity('jwt_secrets', { key: 'k' }), { ok: false, errors: { consumer: 'required field missing' } });
});

test("algorithm is Kong's enum", () => {
  const bad = validateEntity('jwt_secrets', { consumer: CONSUMER, algorithm: 'none' });
  assert.equal(bad.ok, false);
  assert.match(JSON.stringify(!bad.ok && bad.errors), /"algorithm":"expected one of: HS256, HS384, HS512, RS256, RS384, RS512, ES256, ES384, ES512, PS256, PS384, PS512, EdDSA"/);
});

test('RS*, PS* and EdDSA need a readable PEM rsa_public_key, with Kong\'s errors', () => {
  for (const algorithm of ['RS256', 'RS512', 'PS384', 'EdDSA']) {
    assert.deepEqual(validateEntity('jwt_secrets', { consumer: CONSUMER, algorithm }), {
      ok: false,
      errors: { rsa_public_key: 'required field missing', '@entity': CONDITIONAL },
    }, algorithm);
  }
  assert.deepEqual(validateEntity('jwt_secrets', { consumer: CONSUMER, algorithm: 'RS256', rsa_public_key: 'not a key' }), {
    ok: false,
    errors: { rsa_public_key: 'invalid key', '@entity': CONDITIONAL },
  });
  assert.ok(validateEntity('jwt_secrets', { consumer: CONSUMER, algorithm: 'RS256', rsa_public_key: RSA_PEM }).ok);
  const ed = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();
  assert.ok(validateEntity('jwt_secrets', { consumer: CONSUMER, algorithm: 'EdDSA', rsa_public_key: ed }).ok);
});

test('ES* may be stored without a key, as in Kong (its tokens then fail with "Invalid key/secret")', () => {
  assert.ok(validateEntity('jwt_secrets', { consumer: CONSUMER, algorithm: 'ES256' }).ok);
});

test("plugin config: Kong's defaults", () => {
  const result = validateEntity('plugins', { name: 'jwt' }, { plugins });
  assert.ok(result.ok);
  assert.deepEqual(result.value.config, {
    uri_param_names: ['jwt'],
    cookie_names: [],
    key_claim_name: 'iss',
    secret_is_base64: false,
    claims_to_verify: null,
    anonymous: null,
    run_on_preflight: true,
    maximum_expiration: 0,
    header_names: ['authorization'],
    realm: null,
  });
  assert.deepEqual(result.value.protocols, ['grpc', 'grpcs', 'http', 'https']);
});

test('plugin config: claims_to_verify only exp/nbf; maximum_expiration bounded and needs exp verified', () => {
  const claims = validateEntity('plugins', { name: 'jwt', config: { claims_to_verify: ['iat'] } }, { plugins });
  assert.equal(claims.ok, false);
  assert.deepEqual(!claims.ok && (claims.errors.config as Record<string, unknown>).claims_to_verify, ['expected one of: exp, nbf']);
  const range = validateEntity('plugins', { name: 'jwt', config: { maximum_expiration: 31536001, claims_to_verify: ['exp'] } }, { plugins });
  assert.deepEqual(range, { ok: false, errors: { config: { maximum_expiration: 'value should be between 0 and 31536000' } } });
  const nbfOnly = validateEntity('plugins', { name: 'jwt', config: { maximum_expiration: 60, claims_to_verify: ['nbf'] } }, { plugins });
  assert.deepEqual(nbfOnly, {
    ok: false,
    errors: { config: { claims_to_verify: 'expected to contain: exp' }, '@entity': ["failed conditional validation given value of field 'config.maximum_expiration'"] },
  });
  assert.ok(validateEntity('plugins', { name: 'jwt', config: { maximum_expiration: 60, claims_to_verify: ['exp'] } }, { plugins }).ok);
  const scoped = validateEntity('plugins', { name: 'jwt', consumer: CONSUMER }, { plugins });
  assert.deepEqual(scoped, { ok: false, errors: { consumer: 'value must be null' } });
});
