/**
 * JWT secrets: the key (matched against a token claim) and the secret or public key that verifies
 * tokens of a consumer. Asymmetric algorithms need `rsa_public_key`.
 */
import { createPublicKey } from 'node:crypto';
import { defineEntity, typedefs, type EntityType } from '../schema/index.ts';

function validatePublicKey(pem: string): string | null {
  try {
    createPublicKey(pem);
    return null;
  } catch {
    return 'invalid key';
  }
}

export const JWT_ALGORITHMS = [
  'HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512', 'PS256', 'PS384', 'PS512', 'EdDSA',
] as const;

export const jwtSecretsSchema = defineEntity({
  name: 'jwt_secrets',
  primary_key: ['id'],
  cache_key: ['key'],
  endpoint_key: 'key',
  workspaceable: true,
  admin_api_name: 'jwts',
  admin_api_nested_name: 'jwt',
  fields: {
    id: typedefs.uuid,
    created_at: typedefs.auto_timestamp_s,
    consumer: { type: 'foreign', reference: 'consumers', required: true, on_delete: 'cascade' },
    key: { type: 'string', required: false, unique: true, auto: true, description: 'Token key claim (random when omitted).' },
    secret: { type: 'string', auto: true, description: 'HMAC secret (random when omitted).' },
    rsa_public_key: { type: 'string', description: 'PEM public key for asymmetric algorithms.' },
    algorithm: { type: 'string', default: 'HS256', one_of: JWT_ALGORITHMS },
    tags: typedefs.tags,
  },
  entity_checks: [
    {
      conditional: {
        if_field: 'algorithm',
        if_match: { match_any: { patterns: ['^RS256$', '^RS384$', '^RS512$', '^PS256$', '^PS384$', '^PS512$', '^EdDSA$'] } },
        then_field: 'rsa_public_key',
        then_match: { required: true, custom_validator: validatePublicKey },
      },
    },
  ],
});

export type JwtSecret = EntityType<typeof jwtSecretsSchema>;
