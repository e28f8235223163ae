/**
 * Last phase of a load: apply the write-time transformations (compute CA certificate digests, normalise
 * target addresses, an entity schema's own `transformations`), drop input-only fields, and group entities by
 * collection.
 */
import { ENTITIES, certificateDigest, normalizeTarget } from '../entities/index.ts';
import { emptyFlatConfig, type FlatConfig } from './types.ts';
import type { LoadedEntity } from './walk.ts';

/**
 * Builds the flat configuration. With `transform` false (exported files), given digests are kept.
 */
export function buildFlatConfig(loaded: readonly LoadedEntity[], transform: boolean): FlatConfig {
  const config = emptyFlatConfig();
  for (const item of loaded) {
    const entity = item.entity;
    switch (item.collection) {
      case 'ca_certificates':
        if (transform || entity.cert_digest === null) entity.cert_digest = certificateDigest(entity.cert as string);
        break;
      case 'targets':
        entity.target = normalizeTarget(entity.target as string);
        break;
      case 'certificates':
        // `snis` on a certificate is input-only; SNIs are entities of their own.
        delete entity.snis;
        break;
      default:
        // Entities that declare their own transformations (a plugin's password hashing).
        for (const step of ENTITIES[item.collection]?.schema.transformations ?? []) Object.assign(entity, step.on_write(entity, { transform }));
        break;
    }
    (config[item.collection] as unknown[]).push(entity);
  }
  return config;
}
