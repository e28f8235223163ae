/**
 * The store: entities in SQLite (embedded, the default for traditional mode) or PostgreSQL (shared by
 * several nodes), behind one interface, with migrations in Kong's style.
 */
export { DatabaseUnavailableError, StoreError } from './types.ts';
export type {
  AuditBounds,
  AuditListOptions,
  AuditPage,
  AuditRecord,
  ListOptions,
  Page,
  PostgresSettings,
  Row,
  Store,
  StoreErrorKind,
  StoreErrorSubject,
  StoreOps,
  TagFilter,
  TagPage,
  TagRow,
} from './types.ts';
export { openSqliteStore } from './sqlite/index.ts';
export { openPostgresStore } from './postgres/index.ts';
export type { StoreOpenOptions } from './sqlite/index.ts';
export { encodeOffset, decodeOffset } from './offset.ts';
export {
  bootstrap,
  finish,
  migrationState,
  reset,
  up,
  migrationRegistry,
  MigrationError,
  CORE_MIGRATIONS,
  defaultMigrations,
  pluginMigrations,
  type MigrationTarget,
  type MigrationState,
  type MigrationRegistry,
  type MigrationSubsystem,
  type Migration,
} from './migrations/index.ts';
