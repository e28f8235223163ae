/**
 * Vaults: a named secret backend with its configuration (Kong's `vaults`, table `sm_vaults`). References
 * name a vault by its `prefix` (`{vault://my-env/secret}`) or a backend directly (`{vault://env/secret}`).
 * Backends: `env` (environment variables, Kong's) and `file` (one file per secret under `base_path`, e.g.
 * Kubernetes-mounted secrets; a Tollgate addition). The runtime side lives in `src/vaults/`.
 */
import { defineEntity, defineField, typedefs, type EntityType, type FieldsDef, type SubschemaDef } from '../schema/index.ts';

/** The bundled backends: valid `name`s, and words a `prefix` may not take (a reference would be ambiguous). */
export const VAULT_BACKENDS = ['env', 'file'] as const;
export type VaultBackendName = (typeof VAULT_BACKENDS)[number];
/** The backends Kong OSS bundles, whose names its prefix rule lists. */
const KONG_VAULT_BACKENDS = ['env'] as const;

/** Caching fields every backend's config has (Kong's vault `ttl`, `neg_ttl`, `resurrect_ttl`). */
const cacheFields = {
  ttl: defineField({
    type: 'integer',
    required: false,
    gt: -1,
    description: 'Seconds a resolved secret is used before it is read again (rotation). Unset: every 60 seconds.',
  }),
  neg_ttl: defineField({
    type: 'integer',
    required: false,
    gt: -1,
    description: 'Seconds before a secret that could not be read is tried again. Unset: as `ttl`.',
  }),
  resurrect_ttl: defineField({
    type: 'integer',
    required: false,
    gt: -1,
    description: 'Seconds a secret keeps its last value once the backend stops returning it. Unset: 100000000.',
  }),
} satisfies FieldsDef;

const envConfig = defineField({
  type: 'record',
  required: true,
  fields: {
    prefix: {
      type: 'string',
      match: '^[A-Za-z_-][A-Za-z0-9_-]*$',
      description: 'Prepended to the secret name before it is looked up in the environment.',
    },
    ...cacheFields,
  },
});

const fileConfig = defineField({
  type: 'record',
  required: true,
  fields: {
    base_path: {
      type: 'string',
      required: true,
      starts_with: '/',
      description: 'The directory holding one file per secret (`{vault://<prefix>/<file name>}`).',
    },
    ...cacheFields,
  },
});

/** Each backend's `config` record, by backend name (`GET /schemas/vaults/{name}` shows them). */
export const VAULT_SUBSCHEMAS: Readonly<Record<VaultBackendName, SubschemaDef & { readonly fields: { readonly config: typeof envConfig | typeof fileConfig } }>> = {
  env: { name: 'env', fields: { config: envConfig } },
  file: { name: 'file', fields: { config: fileConfig } },
};

export const vaultsSchema = defineEntity({
  name: 'vaults',
  primary_key: ['id'],
  cache_key: ['prefix'],
  endpoint_key: 'prefix',
  workspaceable: true,
  subschema_key: 'name',
  subschema_error: "vault '%s' is not installed",
  admin_api_name: 'vaults',
  fields: {
    id: typedefs.uuid,
    // The prefix is the host part of a reference URL: lower-case letters, digits and dashes.
    prefix: {
      type: 'string',
      required: true,
      unique: true,
      unique_across_ws: true,
      match: '^[a-z][a-z0-9-]*[a-z0-9]$',
      // Kong's rule, with Kong's message: its only bundled backend is `env`. Tollgate's own `file` backend is
      // refused by the validator, so clients that compare Kong's exact text (Kong Manager's suite) agree.
      not_one_of: KONG_VAULT_BACKENDS,
      custom_validator: (prefix: string) => (VAULT_BACKENDS.includes(prefix as VaultBackendName) ? `must not be '${prefix}': it names a bundled vault backend` : null),
      description: 'The unique prefix (or identifier) for this Vault configuration.',
    },
    name: { type: 'string', required: true, description: "The vault backend: 'env' or 'file'." },
    description: { type: 'string', required: false, description: 'The description of the Vault entity.' },
    config: { type: 'record', abstract: true, description: 'The configuration of the backend (see GET /schemas/vaults/{name}).' },
    created_at: typedefs.auto_timestamp_s,
    updated_at: typedefs.auto_timestamp_s,
    tags: typedefs.tags,
  },
  subschemas: VAULT_SUBSCHEMAS,
});

export type Vault = EntityType<typeof vaultsSchema>;
