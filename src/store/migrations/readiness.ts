/** Whether a store may open on a database in a given migration state, with the command that fixes it. */
import { MigrationError, type MigrationState } from './types.ts';

/**
 * Throws a MigrationError naming the database and the command to run when the schema is missing
 * (`tollgate migrations bootstrap`) or behind (`tollgate migrations up`). Teardowns waiting for
 * `finish` do not stop a store: `up` keeps the schema usable by old and new nodes alike.
 */
export function assertSchemaReady(state: MigrationState, database: string): void {
  if (!state.bootstrapped) {
    throw new MigrationError(
      'not_bootstrapped',
      `${database} has no Tollgate schema yet; run \`tollgate migrations bootstrap\` to create it`,
    );
  }
  if (state.pending.length > 0) {
    const count = state.pending.length;
    throw new MigrationError(
      'pending_migrations',
      `${database} is ${count} migration${count === 1 ? '' : 's'} behind (${state.pending.join(', ')}); ` +
        'run `tollgate migrations up` to apply them',
    );
  }
}
