import { existsSync, writeFileSync } from 'node:fs';
import type { Settings } from '../config/settings-types.ts';
import { exportDeclarative } from '../declarative/index.ts';
import { readDeclarativeFile } from './declarative-file.ts';
import { loadNodePlugins } from '../plugins/external/node-plugins.ts';
import { ENTITY_ORDER, registerPlugins } from '../entities/index.ts';
import type { Row } from '../store/index.ts';
import { openConfiguredStore } from '../runtime/database.ts';

function fail(message: string): number {
  process.stderr.write(`Error: ${message}\n`);
  return 1;
}

/**
 * `tollgate config db_import FILE`: validates the whole file first, then writes every entity in one
 * transaction, so that a file with one bad entity changes nothing.
 */
export async function dbImport(settings: Settings, file: string | undefined): Promise<number> {
  if (settings.database === 'off') return fail("db_import needs a database; with database = off, load the file with declarative_config or POST /config");
  if (file === undefined) return fail('usage: tollgate config db_import FILE');
  let plugins;
  try {
    const loaded = await loadNodePlugins(settings);
    registerPlugins(loaded.enabled);
    plugins = loaded.registry;
  } catch (err) {
    return fail((err as Error).message);
  }
  const result = readDeclarativeFile(file, plugins);
  if (!result.ok) return fail(result.unreadable ? result.problem : `Failed parsing:\n${result.problem}`);
  const store = await openConfiguredStore(settings);
  try {
    let count = 0;
    await store.transaction(async (tx) => {
      for (const name of ENTITY_ORDER) {
        for (const row of result.config[name] as unknown as Row[]) {
          await tx.upsert(name, row);
          count++;
        }
      }
    });
    process.stdout.write(`parse successful\nimport successful: ${count} entities\n`);
    return 0;
  } catch (err) {
    return fail(`import failed, nothing was changed: ${(err as Error).message}`);
  } finally {
    await store.close();
  }
}

/** `tollgate config db_export [FILE]`: the database as a declarative file (stdout without FILE). */
export async function dbExport(settings: Settings, file: string | undefined): Promise<number> {
  if (settings.database === 'off') return fail('db_export needs a database; with database = off, GET /config on the Admin API exports the configuration');
  if (file !== undefined && existsSync(file)) return fail(`${file} already exists.\nWill not overwrite it.`);
  try {
    registerPlugins((await loadNodePlugins(settings)).enabled);
  } catch (err) {
    return fail((err as Error).message);
  }
  const store = await openConfiguredStore(settings);
  try {
    const text = exportDeclarative(await store.exportFile());
    if (file === undefined) process.stdout.write(text);
    else {
      // The export holds credentials (key-auth keys in clear): owner-only, like the database it comes from.
      writeFileSync(file, text, { mode: 0o600 });
      process.stdout.write(`${file} written\n`);
    }
    return 0;
  } finally {
    await store.close();
  }
}
