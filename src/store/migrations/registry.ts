/** The migrations Tollgate knows: `core`, plus what plugins contribute (`plugin:<name>`). */
import { base000 } from './core-000-base.ts';
import { auditLog001 } from './core-001-audit-log.ts';
import { clusteringDataPlanes002 } from './core-002-clustering-data-planes.ts';
import { clusteringTelemetry003 } from './core-003-clustering-telemetry.ts';
import { MigrationError, type MigrationRegistry, type MigrationSubsystem } from './types.ts';

export const CORE_MIGRATIONS: MigrationSubsystem = { name: 'core', migrations: [base000, auditLog001, clusteringDataPlanes002, clusteringTelemetry003] };

const MIGRATION_NAME = /^[0-9]{3}_[a-z0-9_]+$/;
const PLUGIN_SUBSYSTEM = /^plugin:[a-z0-9][a-z0-9-_]*$/;

/**
 * The registry to migrate with: `core` first, then the plugin subsystems in the given order. Throws a
 * MigrationError (`invalid_registry`) for duplicate or malformed names.
 */
export function migrationRegistry(plugins: readonly MigrationSubsystem[] = []): MigrationRegistry {
  const registry = [CORE_MIGRATIONS, ...plugins];
  const subsystems = new Set<string>();
  const tables = new Map<string, string>();
  for (const subsystem of registry) {
    if (subsystem !== CORE_MIGRATIONS && !PLUGIN_SUBSYSTEM.test(subsystem.name)) {
      throw new MigrationError('invalid_registry', `migration subsystem '${subsystem.name}' must be named 'plugin:<plugin name>'`);
    }
    if (subsystems.has(subsystem.name)) {
      throw new MigrationError('invalid_registry', `migration subsystem '${subsystem.name}' is registered twice`);
    }
    subsystems.add(subsystem.name);
    const names = new Set<string>();
    for (const migration of subsystem.migrations) {
      if (!MIGRATION_NAME.test(migration.name) || names.has(migration.name)) {
        throw new MigrationError(
          'invalid_registry',
          `migration '${subsystem.name}:${migration.name}' needs a unique name like '001_add_things' (three digits, underscore, lower-case words)`,
        );
      }
      names.add(migration.name);
      for (const table of migration.tables) {
        const owner = tables.get(table);
        if (owner !== undefined) {
          throw new MigrationError('invalid_registry', `table '${table}' is created by both ${owner} and ${subsystem.name}:${migration.name}`);
        }
        tables.set(table, `${subsystem.name}:${migration.name}`);
      }
    }
  }
  return registry;
}

/** Core migrations only. */
export const DEFAULT_MIGRATIONS: MigrationRegistry = migrationRegistry();
