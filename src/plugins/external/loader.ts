/**
 * Loads the plugins a node's `plugins` setting names but Tollgate does not bundle, from directories: the
 * `plugin_paths` setting, then the `--plugins-directory` of Kong JavaScript plugin servers. The supervisor
 * (validation, Admin API schemas) and every worker (handlers) call this with the same settings, so they
 * load the same plugins.
 *
 * A plugin `my-plugin` is a folder `my-plugin/` (its `index.ts`, `index.js`, `index.mjs`, `index.cjs` or
 * package.json `main`) or a module `my-plugin.js` (`.mjs`, `.cjs`, `.ts`, `.mts`, `.cts`), in Tollgate's
 * format (`{ schema, handler }`) or Kong's JavaScript plugin format (`Plugin`, `Schema`, ...). A Kong
 * module whose `Name` differs from its file name is found by scanning the directories, as Kong's plugin
 * server names it. Anything wrong stops the start with the plugin, the file and the reason.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { adaptKongJsPlugin, isKongJsModule, kongJsName } from './kong-js-plugin.ts';
import { checkNativePlugin, isNativeModule, type PluginModule } from './native-plugin.ts';

/** Module file extensions tried after the plugin name, in order. */
export const MODULE_EXTENSIONS = ['.js', '.mjs', '.cjs', '.ts', '.mts', '.cts'] as const;
const FOLDER_ENTRIES = ['index.ts', 'index.js', 'index.mjs', 'index.cjs'] as const;

/** A directory plugins are loaded from, with the setting that named it (for messages). */
export interface PluginDirectory {
  readonly path: string;
  /** `plugin_paths`, or `pluginserver_js_start_cmd` for a Kong plugin server's directory. */
  readonly setting: string;
}

/** An external plugin, ready to register: schema and handler, plus where it came from. */
export interface ExternalPlugin extends PluginModule {
  readonly file: string;
  readonly format: 'tollgate' | 'kong-js';
}

/** A plugin that cannot be loaded: the message names the plugin, the file (when there is one) and the reason. */
export class PluginLoadError extends Error {
  readonly plugin: string;
  readonly file: string | null;
  readonly reason: string;
  constructor(plugin: string, file: string | null, reason: string) {
    super(file === null ? `plugin '${plugin}': ${reason}` : `plugin '${plugin}' (${file}): ${reason}`);
    this.plugin = plugin;
    this.file = file;
    this.reason = reason;
  }
}

/**
 * Loads every name in `enabled` that is not `bundled`, `off` or in `bundled`, from `directories`. Throws
 * {@link PluginLoadError} for the first plugin that is missing or bad.
 */
export async function loadExternalPlugins(
  enabled: readonly string[],
  bundled: ReadonlySet<string>,
  directories: readonly PluginDirectory[],
): Promise<ExternalPlugin[]> {
  const wanted = enabled.filter((name) => name !== 'bundled' && name !== 'off' && !bundled.has(name));
  const plugins: ExternalPlugin[] = [];
  let scanned: ScanResult | null = null;
  for (const name of wanted) {
    const file = findPluginFile(name, directories);
    if (file !== null) {
      plugins.push(await loadPluginFile(name, file));
      continue;
    }
    // Not found by file name: a Kong JavaScript plugin may name itself (`Name: 'hello'` in ts-hello.ts).
    scanned ??= await scanDirectories(directories);
    const entry = scanned.get(name);
    if (entry !== undefined) {
      plugins.push(await loadPluginFile(name, entry));
      continue;
    }
    throw notFound(name, directories, scanned, bundled);
  }
  return plugins;
}

/** Loads one plugin module and adapts it; `name` is the name it is enabled under. */
export async function loadPluginFile(name: string, found: PluginFile): Promise<ExternalPlugin> {
  const { file, stem } = found;
  const exports = await importModule(name, file);
  for (const candidate of exportCandidates(exports)) {
    if (isKongJsModule(candidate)) {
      const declared = kongJsName(candidate, stem);
      if (declared !== name) {
        throw new PluginLoadError(name, file, `this Kong JavaScript plugin names itself '${declared}'${candidate.Name === undefined ? ' (its file name)' : ' (its Name export)'}; enable it as '${declared}' in the plugins setting`);
      }
      try {
        return { ...adaptKongJsPlugin(name, candidate), file, format: 'kong-js' } as ExternalPlugin;
      } catch (err) {
        throw new PluginLoadError(name, file, (err as Error).message);
      }
    }
    if (isNativeModule(candidate)) {
      try {
        return { ...checkNativePlugin(name, candidate as unknown as Record<string, unknown>), file, format: 'tollgate' };
      } catch (err) {
        throw new PluginLoadError(name, file, (err as Error).message);
      }
    }
  }
  const keys = Object.keys(exports as object).filter((k) => k !== 'module.exports');
  throw new PluginLoadError(
    name,
    file,
    `the module exports neither { schema, handler } (Tollgate's format, e.g. export default definePlugin({ schema, handler })) ` +
      `nor a Plugin class (Kong's JavaScript format); it exports ${keys.length === 0 ? 'nothing' : keys.map((k) => `'${k}'`).join(', ')}`,
  );
}

/** The module namespace and its default export (CommonJS `module.exports`, or `export default`). */
function exportCandidates(ns: unknown): unknown[] {
  const candidates: unknown[] = [ns];
  const def = (ns as { default?: unknown }).default;
  if (def !== undefined && def !== null) candidates.unshift(def);
  return candidates;
}

async function importModule(name: string, file: string): Promise<unknown> {
  try {
    return await import(pathToFileURL(file).href);
  } catch (err) {
    throw new PluginLoadError(name, file, `could not be loaded: ${importFailure(err, file)}`);
  }
}

/** The reason an import failed, with a hint for the common mix-up of CommonJS code in an ES module scope. */
function importFailure(err: unknown, file: string): string {
  if (!(err instanceof Error)) return String(err);
  let reason = `${err.name}: ${err.message.split('\n')[0]}`;
  // Syntax errors: Node puts the location on the first line of the stack.
  if (err instanceof SyntaxError && typeof err.stack === 'string') {
    const location = err.stack.split('\n')[0];
    if (location.includes(file) || location.startsWith('file:')) reason = `${reason} at ${location}`;
  }
  if (/module is not defined in ES module scope|exports is not defined in ES module scope|require is not defined in ES module scope/.test(err.message)) {
    reason +=
      '. The file is CommonJS (module.exports), but Node.js loads it as an ES module: a package.json above it says "type": "module". ' +
      'Rename it to .cjs, or add a package.json with {"type": "commonjs"} to the plugin directory';
  }
  return reason;
}

/** A plugin module and the name its file or folder gives it (`js-hello.js` → `js-hello`). */
export interface PluginFile {
  readonly file: string;
  readonly stem: string;
}

/** The module file for `name` in the first directory that has one, or null. */
export function findPluginFile(name: string, directories: readonly PluginDirectory[]): PluginFile | null {
  for (const dir of directories) {
    const folder = join(dir.path, name);
    if (isDirectory(folder)) {
      const entry = folderEntry(folder);
      if (entry === null) {
        throw new PluginLoadError(name, folder, `the folder has no ${FOLDER_ENTRIES.join(', ')} and no package.json "main"`);
      }
      return { file: entry, stem: name };
    }
    for (const ext of MODULE_EXTENSIONS) {
      const file = join(dir.path, name + ext);
      if (isFile(file)) return { file, stem: name };
    }
  }
  return null;
}

/** A plugin folder's entry module: package.json `main`, else the first index file. */
function folderEntry(folder: string): string | null {
  const pkg = join(folder, 'package.json');
  if (isFile(pkg)) {
    let main: unknown;
    try {
      main = (JSON.parse(readFileSync(pkg, 'utf8')) as { main?: unknown }).main;
    } catch {
      main = undefined;
    }
    if (typeof main === 'string' && main !== '') {
      const target = resolve(folder, main);
      if (isFile(target)) return target;
      for (const ext of MODULE_EXTENSIONS) if (isFile(target + ext)) return target + ext;
      if (isDirectory(target)) for (const entry of FOLDER_ENTRIES) if (isFile(join(target, entry))) return join(target, entry);
    }
  }
  for (const entry of FOLDER_ENTRIES) {
    const file = join(folder, entry);
    if (isFile(file)) return file;
  }
  return null;
}

/** What a directory scan found: Kong JavaScript plugins by their declared name, and files that failed. */
interface ScanResult extends Map<string, PluginFile> {
  failures?: string[];
}

/**
 * Loads every module in the directories (as Kong's plugin server does with its plugins directory) and
 * indexes the Kong JavaScript plugins by their `Name`. Modules that fail are remembered for the message.
 */
async function scanDirectories(directories: readonly PluginDirectory[]): Promise<ScanResult> {
  const found: ScanResult = new Map();
  found.failures = [];
  for (const dir of directories) {
    let names: string[];
    try {
      names = readdirSync(dir.path).sort();
    } catch {
      continue;
    }
    for (const entryName of names) {
      if (entryName.startsWith('.') || entryName === 'node_modules' || entryName === 'package.json') continue;
      const path = join(dir.path, entryName);
      let file: string | null = null;
      let stem = entryName;
      if (isDirectory(path)) file = folderEntry(path);
      else if ((MODULE_EXTENSIONS as readonly string[]).includes(extname(entryName)) && !/\.d\.[cm]?ts$/.test(entryName)) {
        file = path;
        stem = entryName.slice(0, entryName.length - extname(entryName).length);
      }
      if (file === null) continue;
      try {
        const ns = await import(pathToFileURL(file).href);
        for (const candidate of exportCandidates(ns)) {
          if (!isKongJsModule(candidate)) continue;
          const name = kongJsName(candidate, stem);
          if (!found.has(name)) found.set(name, { file, stem });
          break;
        }
      } catch (err) {
        found.failures.push(`${file} (${importFailure(err, file)})`);
      }
    }
  }
  return found;
}

function notFound(name: string, directories: readonly PluginDirectory[], scanned: ScanResult, bundled: ReadonlySet<string>): PluginLoadError {
  if (directories.length === 0) {
    return new PluginLoadError(
      name,
      null,
      `it is not a bundled plugin (bundled: ${[...bundled].join(', ')}) and no plugin directories are set; put it in a directory listed ` +
        `in 'plugin_paths', or remove it from the 'plugins' setting`,
    );
  }
  const where = directories.map((d) => `${d.path} (${d.setting})`).join(', ');
  let reason =
    `not found: looked for a folder '${name}/' or a module '${name}${MODULE_EXTENSIONS.join(`', '${name}`)}', and for a Kong ` +
    `JavaScript plugin with Name '${name}', in ${where}; check the 'plugins' and 'plugin_paths' settings`;
  if (scanned.failures !== undefined && scanned.failures.length > 0) reason += `. These modules failed to load: ${scanned.failures.join('; ')}`;
  return new PluginLoadError(name, null, reason);
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
