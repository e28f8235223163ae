/**
 * Keys: one public/private key, as a JWK (a JSON string) or a PEM pair, identified by `kid`, optionally in
 * a key set (Kong's `keys`; nested Admin API path `/key-sets/{set}/keys`). Exactly one of `jwk` and `pem`.
 * The Admin API masks private parts (see `admin/keys-dao.ts`).
 */
import { defineEntity, defineField, typedefs, type EntityType, type EntityView } from '../schema/index.ts';
import { jwkProblem, pemProblem } from './key-material.ts';

function validatePem(value: never): string | null {
  return pemProblem(value as { private_key?: unknown; public_key?: unknown });
}

/** Kong's `typedefs.pem`: a PEM public and/or private key; referenceable. */
const pem = defineField({
  type: 'record',
  required: false,
  fields: {
    private_key: { type: 'string', required: false, referenceable: true, encrypted: true },
    public_key: { type: 'string', required: false, referenceable: true },
  },
  entity_checks: [{ at_least_one_of: ['private_key', 'public_key'] }],
  custom_validator: validatePem,
  description:
    'A pair of PEM-encoded public and private keys, which can be either a string or a reference to a credential in a vault. ' +
    'If provided as strings, they must be valid PEM-encoded keys.',
});

function keyMaterialProblem(entity: EntityView): string | null {
  if (typeof entity.jwk === 'string') return jwkProblem(entity.jwk, entity.kid);
  const value = entity.pem as { private_key?: unknown; public_key?: unknown } | null | undefined;
  if (value !== null && typeof value === 'object' && value.private_key == null && value.public_key == null) {
    return 'need to supply a PEM formatted public and/or private key.';
  }
  return null;
}

export const keysSchema = defineEntity({
  name: 'keys',
  primary_key: ['id'],
  cache_key: ['kid', 'set'],
  endpoint_key: 'name',
  workspaceable: true,
  fields: {
    id: typedefs.uuid,
    set: {
      type: 'foreign',
      reference: 'key_sets',
      required: false,
      on_delete: 'cascade',
      description: 'The id of the Key Set with which to associate the key.',
    },
    name: { type: 'string', required: false, unique: true, description: 'The name to associate with the given keys.' },
    kid: { type: 'string', required: true, unique: false, description: 'A unique identifier for a key.' },
    jwk: { type: 'string', referenceable: true, encrypted: true, description: 'A JSON Web Key represented as a string.' },
    pem,
    tags: typedefs.tags,
    created_at: typedefs.auto_timestamp_s,
    updated_at: typedefs.auto_timestamp_s,
  },
  entity_checks: [
    { mutually_exclusive: ['jwk', 'pem'] },
    { at_least_one_of: ['jwk', 'pem'] },
    { custom_entity_check: { field_sources: ['jwk', 'pem', 'kid'], fn: keyMaterialProblem } },
  ],
});

export type Key = EntityType<typeof keysSchema>;
