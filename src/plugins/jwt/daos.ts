/**
 * jwt's own entity: `jwt_secrets`, the keys a consumer signs its tokens with (Kong's fields: `key` names the
 * credential in the token's `iss` claim, `secret` for HS*, `rsa_public_key` for the asymmetric algorithms).
 * Registered with the entity registry when the plugin is enabled, which gives it storage, Admin API routes
 * (`/jwts`, `/consumers/{c}/jwt`), declarative nesting under consumers, export and hybrid push.
 */
import { createPublicKey } from 'node:crypto';
import { defineEntity, typedefs, type EntityType } from '../../schema/index.ts';

/** Kong's algorithm enum, in its order. */
export const JWT_ALGORITHMS = [
  'HS256', 'HS384', 'HS512',
  'RS256', 'RS384', 'RS512',
  'ES256', 'ES384', 'ES512',
  'PS256', 'PS384', 'PS512',
  'EdDSA',
] as const;
export type JwtAlgorithm = (typeof JWT_ALGORITHMS)[number];

/** Whether `pem` is a key OpenSSL can read a public key from (a public key, a certificate or a private key). */
export function validatePublicKeyPem(pem: string): string | null {
  try {
    createPublicKey(pem);
    return null;
  } catch {
    return 'invalid key';
  }
}

export const jwtSecretsSchema = defineEntity({
  name: 'jwt_secrets',
  primary_key: ['id'],
  endpoint_key: 'key',
  cache_key: ['key'],
  workspaceable: true,
  admin_api_name: 'jwts',
  admin_api_nested_name: 'jwt',
  fields: {
    id: typedefs.uuid,
    created_at: typedefs.auto_timestamp_s,
    consumer: { type: 'foreign', reference: 'consumers', required: true, on_delete: 'cascade' },
    key: { type: 'string', required: false, unique: true, auto: true, description: "Identifies the credential: the value of the token's key claim (`iss` by default); random when omitted." },
    secret: { type: 'string', auto: true, description: 'The HMAC secret for HS256/HS384/HS512 (random when omitted).' },
    rsa_public_key: { type: 'string', description: 'The PEM public key for RS*, PS*, ES* and EdDSA.' },
    algorithm: { type: 'string', default: 'HS256', one_of: JWT_ALGORITHMS, description: 'The algorithm tokens of this credential must be signed with.' },
    tags: typedefs.tags,
  },
  entity_checks: [
    {
      // Kong's rule: ES* is not in the list, so an ES* credential may be stored without a key (its tokens then
      // fail with "Invalid key/secret").
      conditional: {
        if_field: 'algorithm',
        if_match: { match_any: { patterns: ['^RS256$', '^RS384$', '^RS512$', '^PS256$', '^PS384$', '^PS512$', '^EdDSA$'] } },
        then_field: 'rsa_public_key',
        then_match: { required: true, custom_validator: validatePublicKeyPem },
      },
    },
  ],
});

export type JwtSecret = EntityType<typeof jwtSecretsSchema>;

/** The entities jwt owns. */
export const jwtDaos = [jwtSecretsSchema] as const;
