/**
 * The migrations Tollgate knows: `core`, plus those of the registered plugins, each under the plugin's name
 * (`<plugin>:000_base_<plugin>`), as Kong records them.
 */
import { base000 } from './core-000-base.ts';
import { auditLog001 } from './core-001-audit-log.ts';
import { clusteringDataPlanes002 } from './core-002-clustering-data-planes.ts';
import { clusteringTelemetry003 } from './core-003-clustering-telemetry.ts';
import { auditLogBounds004 } from './core-004-audit-log-bounds.ts';
import { vaultsKeys005 } from './core-005-vaults-keys.ts';
import { consumerGroups006 } from './core-006-consumer-groups.ts';
import { registeredPlugins } from '../../entities/index.ts';
import { MigrationError, type MigrationRegistry, type MigrationSubsystem } from './types.ts';

export const CORE_MIGRATIONS: MigrationSubsystem = { name: 'core', migrations: [base000, auditLog001, clusteringDataPlanes002, clusteringTelemetry003, auditLogBounds004, vaultsKeys005, consumerGroups006] };

const MIGRATION_NAME = /^[0-9]{3}_[a-z0-9_]+$/;
const PLUGIN_SUBSYSTEM = /^[a-z0-9][a-z0-9-_]*$/;

/**
 * The registry to migrate with: `core` first, then the plugin subsystems in the given order. Throws a
 * MigrationError (`invalid_registry`) for duplicate or malformed names.
 */
export function migrationRegistry(plugins: readonly MigrationSubsystem[] = []): MigrationRegistry {
  const registry = [CORE_MIGRATIONS, ...plugins];
  const subsystems = new Set<string>();
  const tables = new Map<string, string>();
  for (const subsystem of registry) {
    if (subsystem !== CORE_MIGRATIONS && (!PLUGIN_SUBSYSTEM.test(subsystem.name) || subsystem.name === 'core')) {
      throw new MigrationError('invalid_registry', `migration subsystem '${subsystem.name}' must be named after its plugin (lower-case letters, digits, '-' and '_'; not 'core')`);
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

/** The migrations of the registered plugins (see `registerPlugins`), one subsystem per plugin that has some. */
export function pluginMigrations(): MigrationSubsystem[] {
  return registeredPlugins()
    .filter((plugin) => (plugin.migrations ?? []).length > 0)
    .map((plugin) => ({ name: plugin.schema.name, migrations: plugin.migrations ?? [] }));
}

/** What this process migrates with: core, then the migrations of the plugins it registered. */
export function defaultMigrations(): MigrationRegistry {
  return migrationRegistry(pluginMigrations());
}
