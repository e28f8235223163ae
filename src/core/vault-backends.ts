/**
 * The bundled vault backends, reading one secret: `env` (Kong's: `<prefix><name>` upper-cased with `-` as
 * `_`, version 2 from `<NAME>_PREVIOUS`) and `file` (Tollgate's: `<base_path>/<name>`, for secrets mounted
 * as files, e.g. by Kubernetes). A reference's `<key>` then picks one field of a JSON secret. Errors name
 * the reference, never the secret.
 */
import { readFileSync, realpathSync } from 'node:fs';
import { isAbsolute, resolve, sep } from 'node:path';
import type { VaultReference } from './vault-reference.ts';

/** A backend's configuration as vault entities (or reference query options) give it. */
export interface VaultBackendConfig {
  readonly prefix?: string | null;
  readonly base_path?: string | null;
}

export type SecretRead = { readonly ok: true; readonly value: string } | { readonly ok: false; readonly error: string };

export type Environment = Readonly<Record<string, string | undefined>>;

const BACKENDS = new Set(['env', 'file']);

/** Whether a backend of that name is bundled. */
export function isVaultBackend(name: string): boolean {
  return BACKENDS.has(name);
}

/** The environment variable an `env` reference reads (Kong's mapping). */
export function envVariableName(config: VaultBackendConfig, resource: string, version: number | null): string {
  const name = `${config.prefix ?? ''}${resource}`.replaceAll('-', '_').toUpperCase();
  return version === 2 ? `${name}_PREVIOUS` : name;
}

function readEnv(config: VaultBackendConfig, ref: VaultReference, env: Environment): SecretRead {
  const value = env[envVariableName(config, ref.resource, ref.version)];
  return value === undefined ? { ok: false, error: `could not get value from external vault (no value found) [${ref.reference}]` } : { ok: true, value };
}

/** One trailing line break is dropped: files written by editors and `echo` end with one; secrets rarely do. */
function withoutFinalNewline(text: string): string {
  if (text.endsWith('\r\n')) return text.slice(0, -2);
  if (text.endsWith('\n')) return text.slice(0, -1);
  return text;
}

function readFile(config: VaultBackendConfig, ref: VaultReference): SecretRead {
  const base = config.base_path;
  if (typeof base !== 'string' || !isAbsolute(base)) {
    return { ok: false, error: `the file vault needs an absolute config.base_path (create a vault entity with name 'file') [${ref.reference}]` };
  }
  if (ref.version !== null) return { ok: false, error: `the file vault has no versions [${ref.reference}]` };
  const name = ref.resource;
  // Only names inside the directory: no parent segments, no absolute paths, no NUL.
  if (name.includes('\0') || isAbsolute(name) || name.split(/[\\/]/).some((part) => part === '..')) {
    return { ok: false, error: `secret name leaves the vault's base_path [${ref.reference}]` };
  }
  try {
    const root = realpathSync(base);
    // Symbolic links are followed (Kubernetes mounts are links into `..data`), but must stay inside the directory.
    const path = realpathSync(resolve(root, name));
    if (!path.startsWith(root.endsWith(sep) ? root : root + sep)) {
      return { ok: false, error: `secret name leaves the vault's base_path [${ref.reference}]` };
    }
    return { ok: true, value: withoutFinalNewline(readFileSync(path, 'utf8')) };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'read error';
    return { ok: false, error: `could not get value from external vault (${code}) [${ref.reference}]` };
  }
}

/** Picks `ref.key` from a JSON secret (numbers and booleans as text). */
function pickKey(secret: string, ref: VaultReference): SecretRead {
  if (ref.key === null) return { ok: true, value: secret };
  let parsed: unknown;
  try {
    parsed = JSON.parse(secret);
  } catch {
    return { ok: false, error: `could not decode secret as JSON to read key '${ref.key}' [${ref.reference}]` };
  }
  const value = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>)[ref.key] : undefined;
  if (typeof value === 'string') return { ok: true, value };
  if (typeof value === 'number' || typeof value === 'boolean') return { ok: true, value: String(value) };
  return { ok: false, error: `could not find key '${ref.key}' in secret [${ref.reference}]` };
}

/**
 * The node's vault settings: the backends it may read (Kong's `vaults`; unset: all bundled ones) and the `env`
 * vault's prefix when neither the vault entity nor the reference sets one (Kong's `vault_env_prefix`).
 */
export interface VaultNodeDefaults {
  readonly enabled?: readonly string[];
  readonly envPrefix?: string | null;
}

/** The backends a `vaults` setting enables: `bundled` is every bundled backend, `off` none. */
export function enabledVaultBackends(setting: readonly string[]): string[] {
  if (setting.includes('off')) return [];
  return [...new Set(setting.flatMap((name) => (name === 'bundled' ? [...BACKENDS] : [name])))];
}

/** Reads the secret a reference names from a bundled backend with the given configuration. */
export function readSecret(backend: string, config: VaultBackendConfig, ref: VaultReference, env: Environment, defaults: VaultNodeDefaults = {}): SecretRead {
  if (defaults.enabled !== undefined && !defaults.enabled.includes(backend)) {
    return { ok: false, error: `vault '${backend}' is not enabled on this node (add it to the vaults setting) [${ref.reference}]` };
  }
  // Query options (`?prefix=X_`) override the vault's configuration for this reference, as in Kong; the node's
  // vault_env_prefix applies when neither sets a prefix.
  let merged: VaultBackendConfig = { ...config, ...ref.config };
  if (backend === 'env' && (merged.prefix === undefined || merged.prefix === null) && defaults.envPrefix) {
    merged = { ...merged, prefix: defaults.envPrefix };
  }
  let read: SecretRead;
  if (backend === 'env') read = readEnv(merged, ref, env);
  else if (backend === 'file') read = readFile(merged, ref);
  else return { ok: false, error: `could not find vault (${backend}) [${ref.reference}]` };
  return read.ok ? pickKey(read.value, ref) : read;
}
