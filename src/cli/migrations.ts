import { bootstrap, finish, migrationState, MigrationError, reset, up } from '../store/index.ts';
import type { Settings } from '../config/settings-types.ts';
import { migrationTarget } from '../runtime/database.ts';
import { registerPlugins } from '../entities/index.ts';
import { loadNodePlugins } from '../plugins/external/node-plugins.ts';

const USAGE = 'usage: tollgate migrations bootstrap | up | finish | list | reset [--yes] [-c CONF] [-p PREFIX]';

function out(text: string): void {
  process.stdout.write(`${text}\n`);
}

/** `tollgate migrations <command>`, like `kong migrations`; returns the exit status. */
export async function runMigrations(command: string | undefined, settings: Settings, flags: ReadonlySet<string>): Promise<number> {
  if (settings.database === 'off') {
    process.stderr.write('Error: database = off: there is nothing to migrate (set database = sqlite or postgres)\n');
    return 1;
  }
  // The enabled plugins' migrations run (and are listed) with core's, under each plugin's name.
  try {
    registerPlugins((await loadNodePlugins(settings)).enabled);
  } catch (err) {
    process.stderr.write(`Error: ${(err as Error).message}\n`);
    return 1;
  }
  const target = migrationTarget(settings);
  const where = settings.database === 'sqlite' ? `SQLite database ${'sqlite' in target ? target.sqlite : ''}` : `PostgreSQL database '${settings.pg_database}' on ${settings.pg_host}:${settings.pg_port}`;
  try {
    switch (command) {
      case 'bootstrap': {
        const state = await bootstrap(target);
        out(`bootstrapped the ${where}: ${state.executed.length} migration(s) executed`);
        return 0;
      }
      case 'up': {
        const ran = await up(target);
        out(ran.length === 0 ? `the ${where} is up to date` : `executed ${ran.length} migration(s) on the ${where}: ${ran.join(', ')}`);
        return 0;
      }
      case 'finish': {
        const ran = await finish(target);
        out(ran.length === 0 ? `no migration is waiting to be finished on the ${where}` : `finished: ${ran.join(', ')}`);
        return 0;
      }
      case 'list': {
        const state = await migrationState(target);
        if (!state.bootstrapped) {
          out(`the ${where} is not bootstrapped; run 'tollgate migrations bootstrap'`);
          return 3;
        }
        out(`executed migrations:\n${state.executed.map((m) => `  ${m}`).join('\n') || '  (none)'}`);
        if (state.pending.length > 0) out(`pending migrations (run 'tollgate migrations up'):\n${state.pending.map((m) => `  ${m}`).join('\n')}`);
        if (state.awaitingFinish.length > 0) out(`migrations to finish (run 'tollgate migrations finish'):\n${state.awaitingFinish.map((m) => `  ${m}`).join('\n')}`);
        if (state.pending.length === 0 && state.awaitingFinish.length === 0) out('the database is up to date');
        // Kong's exit codes: 0 up to date, 3 not bootstrapped, 4 waiting for finish, 5 pending.
        return state.pending.length > 0 ? 5 : state.awaitingFinish.length > 0 ? 4 : 0;
      }
      case 'reset': {
        if (!flags.has('yes') && !flags.has('y')) {
          process.stderr.write(`Error: reset deletes every entity in the ${where}; run again with --yes to confirm\n`);
          return 1;
        }
        const done = await reset(target);
        out(done ? `the ${where} was reset` : `the ${where} had nothing to reset`);
        return 0;
      }
      default:
        process.stderr.write(`Error: unknown migrations command '${command ?? ''}'\n${USAGE}\n`);
        return 1;
    }
  } catch (err) {
    process.stderr.write(`Error: ${err instanceof MigrationError ? err.message : (err as Error).message}\n`);
    return 1;
  }
}
