/**
 * Kong's external plugin server settings: `pluginserver_names` plus, per name, `pluginserver_<name>_socket`,
 * `_start_cmd` and `_query_cmd` (keys made from the name, so they cannot sit in the fixed settings table).
 * Tollgate starts no plugin server: a `kong-js-pluginserver --plugins-directory DIR` command tells it which
 * directory of Kong JavaScript plugins to load in-process instead.
 */
import { statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { PluginServerSettings } from './settings-types.ts';

const KEY = /^pluginserver_([a-z0-9_]+)_(socket|start_cmd|query_cmd)$/;

/** The per-server part of a `pluginserver_<name>_<what>` key, or null for any other key. */
export function pluginServerKey(key: string): { server: string; what: 'socket' | 'start_cmd' | 'query_cmd' } | null {
  const match = KEY.exec(key);
  return match === null ? null : { server: match[1], what: match[2] as 'socket' | 'start_cmd' | 'query_cmd' };
}

/** A raw per-server value with where it came from (for messages). */
export interface PluginServerValue {
  readonly text: string;
  readonly source: string;
}

/** Splits a command line into words, honouring single and double quotes. */
export function commandWords(command: string): string[] {
  const words: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (let m = re.exec(command); m !== null; m = re.exec(command)) words.push(m[1] ?? m[2] ?? m[3]);
  return words;
}

/** The `--plugins-directory` (`-d`, `-plugins-directory`, `--plugins-directory=DIR`) of a plugin server command. */
export function pluginsDirectoryOf(command: string): string | null {
  const words = commandWords(command);
  for (let i = 0; i < words.length; i++) {
    const word = words[i];
    if (word === '--plugins-directory' || word === '-plugins-directory' || word === '-d') return words[i + 1] ?? null;
    const eq = /^--?plugins-directory=(.+)$/.exec(word);
    if (eq !== null) return eq[1];
  }
  return null;
}

/**
 * Resolves each listed plugin server to the directory Tollgate loads, with Kong's defaults for unset keys.
 * Reports a value for a server not in `pluginserver_names`, a command without `--plugins-directory`, and a
 * directory that does not exist.
 */
export function resolvePluginServers(
  names: readonly string[],
  values: ReadonlyMap<string, PluginServerValue>,
  prefix: string,
  cwd: string,
  report: (source: string, message: string) => void,
): PluginServerSettings[] {
  const keyNames = new Map(names.map((name) => [name.replace(/-/g, '_'), name]));
  for (const [key, value] of values) {
    const parsed = pluginServerKey(key);
    if (parsed !== null && !keyNames.has(parsed.server)) {
      report(value.source, `'${key}' configures plugin server '${parsed.server}', which is not listed in 'pluginserver_names'; add it there or remove the key`);
    }
  }
  const servers: PluginServerSettings[] = [];
  for (const name of names) {
    const keyName = name.replace(/-/g, '_');
    const get = (what: string): PluginServerValue | undefined => values.get(`pluginserver_${keyName}_${what}`);
    const startCmd = get('start_cmd');
    const queryCmd = get('query_cmd');
    const socket = get('socket')?.text ?? join(prefix, `${name}.socket`);
    const start = startCmd?.text ?? `/usr/local/bin/${name}`;
    const query = queryCmd?.text ?? `/usr/local/bin/query_${name}`;
    const fromStart = startCmd === undefined ? null : pluginsDirectoryOf(startCmd.text);
    const fromQuery = queryCmd === undefined ? null : pluginsDirectoryOf(queryCmd.text);
    const dir = fromStart ?? fromQuery;
    const where = startCmd?.source ?? queryCmd?.source ?? 'pluginserver_names';
    if (dir === null) {
      report(
        where,
        `plugin server '${name}': Tollgate runs Kong JavaScript plugins in-process and needs their directory; set ` +
          `pluginserver_${keyName}_start_cmd = kong-js-pluginserver --plugins-directory DIR (other plugin servers, such as Go or Python, are not supported)`,
      );
      continue;
    }
    const pluginsDirectory = resolve(cwd, dir);
    let isDirectory = false;
    try {
      isDirectory = statSync(pluginsDirectory).isDirectory();
    } catch {
      // reported below
    }
    if (!isDirectory) {
      report(where, `plugin server '${name}': its --plugins-directory ${pluginsDirectory} is not an existing directory`);
      continue;
    }
    servers.push(Object.freeze({ name, socket, startCmd: start, queryCmd: query, pluginsDirectory }));
  }
  return servers;
}
