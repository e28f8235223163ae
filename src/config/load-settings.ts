/**
 * Loads a node's settings once at start: defaults, then `tollgate.conf`, then `TOLLGATE_<KEY>` environment
 * variables, then explicit overrides (highest). Every value is validated here, so the rest of Tollgate
 * reads typed values and never re-checks them. Unknown keys stop the start: a typo must not silently
 * fall back to a default.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { useRouterFlavor } from '../entities/registry.ts';
import { parseConfText } from './conf-file.ts';
import { checkAcrossKeys } from './cross-checks.ts';
import { SETTING_DEFINITIONS, SETTINGS_BY_NAME } from './definitions.ts';
import { KONG_TRACING_ALIASES } from './kong-internal-definitions.ts';
import type { AnySettingDefinition } from './definitions.ts';
import { resolveDownstreamHeaders, resolveUpstreamHeaders } from './headers.ts';
import { parseListenAddresses } from './listeners.ts';
import { parseStreamListenAddresses } from './stream-listeners.ts';
import { SettingsError } from './settings-error.ts';
import { pluginServerKey, resolvePluginServers, type PluginServerValue } from './plugin-servers.ts';
import type { ListenAddress, SettingName, SettingValues, Settings } from './settings-types.ts';
import { InvalidValue, sizeInBytes } from './value-parsers.ts';
import { isReference, parseReference } from '../core/vault-reference.ts';
import { enabledVaultBackends, isVaultBackend, readSecret, type Environment, type VaultNodeDefaults } from '../core/vault-backends.ts';
import type { ParseContext } from './value-parsers.ts';

export interface LoadSettingsOptions {
  /** Configuration file (`-c`); it must exist. Without it, the first of {@link DEFAULT_CONF_PATHS} that exists is read. */
  confPath?: string;
  /** Overrides `prefix` (`-p`), above every other source. */
  prefix?: string;
  /** Environment to read `TOLLGATE_*` variables from; defaults to `process.env`. */
  env?: Record<string, string | undefined>;
  /** Values by key, above the file and the environment (e.g. from command-line flags). */
  overrides?: Record<string, string>;
}

/** Where the configuration file is looked for when none is given. */
export const DEFAULT_CONF_PATHS: readonly string[] = ['/etc/tollgate/tollgate.conf'];

/** Prefix of environment variables that set configuration keys (`TOLLGATE_LOG_LEVEL` sets `log_level`). */
export const ENV_PREFIX = 'TOLLGATE_';

/**
 * `TOLLGATE_*` variables that are not settings (process plumbing and tooling). Every other `TOLLGATE_*`
 * variable must name a key; add new plumbing variables here.
 */
export const NON_SETTING_ENV_VARIABLES: ReadonlySet<string> = new Set(['TOLLGATE_CPU_PROF_DIR', 'TOLLGATE_WORKER_INDEX']);

const DEFAULT_SOURCE = 'built-in default';

interface RawValue {
  text: string;
  /** Where the text came from, as shown in messages: `path:line`, `TOLLGATE_X`, `override`, the default. */
  source: string;
  /** Resolved from a vault reference: a secret, never shown in messages. */
  secret?: boolean;
}

/**
 * Picks the configuration file: the given path (resolved against the current directory), else the first
 * candidate that exists, else null.
 */
export function findConfFile(confPath: string | undefined, candidates: readonly string[] = DEFAULT_CONF_PATHS): string | null {
  if (confPath !== undefined) return resolve(confPath);
  return candidates.find((candidate) => existsSync(candidate)) ?? null;
}

/**
 * Kong's names for settings Tollgate names otherwise: Kong's `nginx_worker_processes` (and the
 * `nginx_main_worker_processes` directive it becomes) is `worker_processes`; its deprecated `opentelemetry_tracing` and
 * `opentelemetry_tracing_sampling_rate` are `tracing_instrumentations` and `tracing_sampling_rate`.
 */
const KONG_ALIASES: ReadonlyMap<string, SettingName> = new Map<string, SettingName>([
  ['nginx_worker_processes', 'worker_processes'],
  ['nginx_main_worker_processes', 'worker_processes'],
  ...KONG_TRACING_ALIASES,
]);

/**
 * Kong's injected nginx directives (`nginx_<block>_<directive>` for the blocks of Kong's nginx template) and its
 * settings for nginx itself (`nginx_user`, `nginx_daemon`, `nginx_optimizations`). Settings
 * Tollgate defines under such a name (`nginx_admin_client_max_body_size`) are read as settings first.
 */
const INJECTED_NGINX_DIRECTIVE = /^nginx_((main|events|http|proxy|upstream|status|admin|stream|sproxy|supstream)_[a-z0-9_]+|user|daemon|optimizations)$/;

/** Kong's deprecated settings: the setting that replaces one (null: none), and a deprecated value. */
interface Deprecation {
  replacement: string | null;
  value?: string;
}
const DEPRECATED: ReadonlyMap<string, Deprecation> = new Map<string, Deprecation>([
  ['worker_consistency', { replacement: null, value: 'strict' }],
  ...KONG_TRACING_ALIASES.map(([name, replacement]): [string, Deprecation] => [name, { replacement }]),
]);

/** Kong's warnings for a deprecated setting that was given, in Kong's words. */
function deprecationWarnings(key: string, value: string): string[] {
  const deprecated = DEPRECATED.get(key);
  if (deprecated === undefined) return [];
  const out: string[] = [];
  if (deprecated.value !== undefined && value === deprecated.value) {
    out.push(`the configuration value '${deprecated.value}' for configuration property '${key}' is deprecated`);
  }
  out.push(deprecated.replacement === null
    ? `the '${key}' configuration property is deprecated`
    : `the '${key}' configuration property is deprecated, use '${deprecated.replacement}' instead`);
  return out;
}

/** The env variable that sets `key`. */
export function envVariableFor(key: string): string {
  return ENV_PREFIX + key.toUpperCase();
}

/**
 * Reads and validates the node's settings. Throws a {@link SettingsError} listing every problem (unknown
 * keys, bad values, broken rules between keys) with its source.
 */
export function loadSettings(options: LoadSettingsOptions = {}): Settings {
  const problems: string[] = [];
  const raw = new Map<SettingName, RawValue>();
  // `pluginserver_<name>_*` keys are named after the servers in `pluginserver_names`, checked once it is known.
  const pluginServerValues = new Map<string, PluginServerValue>();
  for (const definition of SETTING_DEFINITIONS) raw.set(definition.name, { text: definition.default, source: DEFAULT_SOURCE });

  const ignoredNginxDirectives: string[] = [];
  const deprecations: string[] = [];
  function setFrom(key: string, text: string, source: string): void {
    deprecations.push(...deprecationWarnings(key, text.trim()));
    const definition = SETTINGS_BY_NAME.get(KONG_ALIASES.get(key) ?? key);
    if (definition === undefined && pluginServerKey(key) !== null) {
      pluginServerValues.set(key, { text: text.trim(), source });
      return;
    }
    if (definition === undefined && INJECTED_NGINX_DIRECTIVE.test(key)) {
      ignoredNginxDirectives.push(`${source}: ${key}`);
      return;
    }
    if (definition === undefined) {
      problems.push(`${source}: unknown configuration property '${key}'${suggestionFor(key)}`);
      return;
    }
    raw.set(definition.name, { text: text.trim(), source });
  }

  const confPath = findConfFile(options.confPath);
  // A missing file is reported by the path as it was given (Kong's `no file at: foobar.conf`).
  if (confPath !== null) readConfFile(confPath, options.confPath ?? confPath, setFrom, problems);

  const env = options.env ?? process.env;
  for (const name of Object.keys(env).sort()) {
    const value = env[name];
    if (!name.startsWith(ENV_PREFIX) || value === undefined || NON_SETTING_ENV_VARIABLES.has(name)) continue;
    setFrom(name.slice(ENV_PREFIX.length).toLowerCase(), value, name);
  }

  for (const [key, value] of Object.entries(options.overrides ?? {})) setFrom(key, value, 'override');
  if (options.prefix !== undefined) setFrom('prefix', options.prefix, 'prefix option');

  const unresolved = new Set<SettingName>();
  const settingReferences = resolveReferences(raw, env, problems, unresolved);

  const context: ParseContext = { cwd: process.cwd() };
  const values: Partial<Record<SettingName, unknown>> = {};
  for (const definition of SETTING_DEFINITIONS) {
    if (unresolved.has(definition.name)) continue;
    const { text, source, secret } = raw.get(definition.name) as RawValue;
    try {
      values[definition.name] = definition.parse(text, context);
    } catch (error) {
      if (!(error instanceof InvalidValue)) throw error;
      problems.push(invalidValueMessage(source, definition, secret === true ? '******' : text, error.reason));
    }
  }
  if (problems.length > 0) throw new SettingsError(problems);

  const settingValues = values as SettingValues;
  // `database` left at its default follows what the rest of the settings say: a node given a declarative
  // file, or a data plane, runs DB-less; otherwise the embedded SQLite store. An explicit value is kept
  // (and checked against the rest below).
  const databaseRaw = raw.get('database') as RawValue;
  if (databaseRaw.source === DEFAULT_SOURCE) {
    const dbless = settingValues.role === 'data_plane' || settingValues.declarative_config !== null || settingValues.declarative_config_string !== null;
    if (dbless) settingValues.database = 'off';
  }
  // Telemetry goes to the same control planes as the configuration unless told otherwise: a data plane
  // pointed at a remote control plane should not report to its own loopback.
  if ((raw.get('cluster_telemetry_endpoint') as RawValue).source === DEFAULT_SOURCE && (raw.get('cluster_control_plane') as RawValue).source !== DEFAULT_SOURCE) {
    settingValues.cluster_telemetry_endpoint = settingValues.cluster_control_plane.map((endpoint) => `${endpoint.slice(0, endpoint.lastIndexOf(':'))}:8006`);
  }
  // A data plane takes its configuration from its control plane, so it has no Admin API unless asked
  // (Kong's data planes have none at all); an explicit admin_listen gives the read-only one.
  if (settingValues.role === 'data_plane' && (raw.get('admin_listen') as RawValue).source === DEFAULT_SOURCE) {
    settingValues.admin_listen = ['off'];
  }
  const listeners = {
    proxy: listenersOf(settingValues.proxy_listen),
    admin: listenersOf(settingValues.admin_listen),
    status: listenersOf(settingValues.status_listen),
    adminGui: listenersOf(settingValues.admin_gui_listen),
    cluster: listenersOf(settingValues.cluster_listen),
    clusterTelemetry: listenersOf(settingValues.cluster_telemetry_listen),
  };
  const sourceOf = (key: SettingName): string => (raw.get(key) as RawValue).source;
  checkAcrossKeys(settingValues, listeners, sourceOf, (key, reason) => {
    const { text, source, secret } = raw.get(key) as RawValue;
    problems.push(invalidValueMessage(source, SETTINGS_BY_NAME.get(key) as AnySettingDefinition, secret === true ? '******' : text, reason));
  });
  const pluginServers = resolvePluginServers(settingValues.pluginserver_names, pluginServerValues, settingValues.prefix, context.cwd, (source, message) =>
    problems.push(`${source}: ${message}`),
  );
  if (problems.length > 0) throw new SettingsError(problems);

  const streamListeners = parseStreamListenAddresses(settingValues.stream_listen.join(','));
  const settings: Settings = {
    ...settingValues,
    proxy_listeners: listeners.proxy,
    stream_listeners: streamListeners,
    stream_proxy_ssl_enabled: streamListeners.some((l) => l.ssl),
    admin_listeners: listeners.admin,
    status_listeners: listeners.status,
    admin_gui_listeners: listeners.adminGui,
    cluster_listeners: listeners.cluster,
    cluster_telemetry_listeners: listeners.clusterTelemetry,
    proxy_ssl_enabled: listeners.proxy.some((l) => l.ssl),
    admin_ssl_enabled: listeners.admin.some((l) => l.ssl),
    status_ssl_enabled: listeners.status.some((l) => l.ssl),
    admin_gui_ssl_enabled: listeners.adminGui.some((l) => l.ssl),
    headersDownstream: resolveDownstreamHeaders(settingValues.headers),
    headersUpstream: resolveUpstreamHeaders(settingValues.headers_upstream),
    memCacheSizeBytes: sizeInBytes(settingValues.mem_cache_size),
    pluginServers,
    confPath,
    settingReferences,
    ignoredNginxDirectives,
    deprecations: [...new Set(deprecations)],
  };
  // The routes schema depends on the router flavor (Kong reads it from its configuration when the schema
  // loads); every process that validates entities loads its settings first.
  useRouterFlavor(settings.router_flavor);
  return deepFreeze(settings);
}

/**
 * Settings given as vault references (`pg_password = {vault://env/pg-password}`) are resolved once, here,
 * before their values are parsed: vault entities live in the database these settings open, so only the
 * bundled backends (`env`, `file` with `?base_path=`) can serve them, as in Kong. Messages name the
 * reference, never the secret.
 */
function resolveReferences(raw: Map<SettingName, RawValue>, env: Environment, problems: string[], unresolved: Set<SettingName>): Record<string, string> {
  const references: Record<string, string> = {};
  const defaults = vaultDefaultsFrom(raw);
  for (const [key, { text, source }] of raw) {
    if (!isReference(text)) continue;
    // Kong's wording, `failed to dereference '{vault://...}'`; the unresolved text is then not parsed, so that
    // it is not also reported as an invalid value of the setting.
    const failed = (why: string) => {
      problems.push(`${source}: ${key}: failed to dereference '${text}': ${why}`);
      unresolved.add(key);
    };
    const ref = parseReference(text);
    if (typeof ref === 'string') {
      failed(ref);
      continue;
    }
    if (!isVaultBackend(ref.vault)) {
      failed(`only the env and file vaults can be used in settings (vault '${ref.vault}')`);
      continue;
    }
    const read = readSecret(ref.vault, {}, ref, env, defaults);
    if (!read.ok) {
      failed(read.error);
      continue;
    }
    raw.set(key, { text: read.value.trim(), source: `${source} (${text})`, secret: true });
    references[key] = text;
  }
  return references;
}

/**
 * `vaults` and `vault_env_prefix` as references in other settings need them, read before the rest is parsed; a bad
 * value of either is reported when it is parsed in turn, and meanwhile leaves the bundled defaults.
 */
function vaultDefaultsFrom(raw: Map<SettingName, RawValue>): VaultNodeDefaults {
  const parsed = (key: 'vaults' | 'vault_env_prefix'): unknown => {
    const definition = SETTINGS_BY_NAME.get(key) as AnySettingDefinition;
    try {
      return definition.parse((raw.get(key) as RawValue).text, { cwd: process.cwd() });
    } catch {
      return undefined;
    }
  };
  const vaults = parsed('vaults');
  const prefix = parsed('vault_env_prefix');
  return {
    ...(Array.isArray(vaults) ? { enabled: enabledVaultBackends(vaults as string[]) } : {}),
    envPrefix: typeof prefix === 'string' ? prefix : null,
  };
}

function readConfFile(path: string, given: string, setFrom: (key: string, text: string, source: string) => void, problems: string[]): void {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    problems.push(
      code === 'ENOENT' ? `no file at: ${given} (give an existing settings file with -c/--conf)` : `${path}: cannot read the configuration file (${code ?? String(error)})`,
    );
    return;
  }
  const parsed = parseConfText(text);
  for (const problem of parsed.problems) problems.push(`${path}:${problem.line}: ${problem.message}`);
  for (const entry of parsed.entries) setFrom(entry.key, entry.value, `${path}:${entry.line}`);
}

function listenersOf(entries: readonly string[]): ListenAddress[] {
  return parseListenAddresses(entries.join(','));
}

const MAX_SHOWN_VALUE = 80;

/** The value as a message shows it: secrets hidden, long or multi-line text shortened. */
function shownValue(definition: AnySettingDefinition, text: string): string {
  if (definition.secret && text !== '') return '******';
  const oneLine = text.replace(/\r?\n/g, '\\n');
  return oneLine.length > MAX_SHOWN_VALUE ? `${oneLine.slice(0, MAX_SHOWN_VALUE)}...` : oneLine;
}

function invalidValueMessage(source: string, definition: AnySettingDefinition, text: string, reason: string): string {
  return `${source}: invalid value for '${definition.name}' ('${shownValue(definition, text)}'): ${reason}`;
}

/** ` (did you mean 'x'?)` when a known key is close to the unknown one, else ''. */
function suggestionFor(unknown: string): string {
  const wanted = unknown.toLowerCase();
  let best: string | null = null;
  // Short names are close to too many others; allow one edit per four characters, two at most.
  let bestDistance = Math.min(2, Math.floor(wanted.length / 4)) + 1;
  for (const definition of SETTING_DEFINITIONS) {
    const distance = editDistance(wanted, definition.name, bestDistance);
    if (distance < bestDistance) {
      best = definition.name;
      bestDistance = distance;
    }
  }
  if (best === null && wanted.startsWith('nginx_')) {
    const stripped = wanted.slice('nginx_'.length);
    if (SETTINGS_BY_NAME.has(stripped)) best = stripped;
  }
  return best === null ? '' : ` (did you mean '${best}'?)`;
}

/** Levenshtein distance, giving up (returning `limit`) once it cannot be below `limit`. */
function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) >= limit) return limit;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost);
      rowMin = Math.min(rowMin, current[j]);
    }
    if (rowMin >= limit) return limit;
    previous = current;
  }
  return Math.min(previous[b.length], limit);
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
