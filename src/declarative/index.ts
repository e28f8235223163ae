/**
 * Declarative configuration: parse, validate, flatten and export declarative files (Kong's format,
 * versions 1.1, 2.1 and 3.0). The flat configuration is what every configuration source produces.
 */
export { loadDeclarative } from './load.ts';
export { patchFlatConfig, type ConfigPatch, type PatchOptions, type PatchResult } from './patch.ts';
export { exportDeclarative } from './export.ts';
export { formatErrorTree } from './errors.ts';
export { emptyFlatConfig } from './types.ts';
export type {
  DeclarativeError,
  FlatConfig,
  FlattenedEntityError,
  FlattenedError,
  FlattenedFieldError,
  LoadOptions,
  LoadResult,
} from './types.ts';
export { deriveEntityId, uuidV5 } from './ids.ts';
export { EXAMPLE_DECLARATIVE_CONFIG } from './example.ts';
