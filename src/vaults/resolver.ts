/**
 * Resolves vault references for one process, with Kong's caching rules: a secret read is kept for its
 * vault's `ttl` (default 60 seconds, Kong's rotation interval), a failed read is retried after `neg_ttl`,
 * and a secret the backend stops returning keeps its last value for `resurrect_ttl`. `refresh()` re-reads
 * what is due and says whether any value changed: the caller then recompiles its configuration, so a
 * rotated secret takes effect without a restart. Values live only in this cache, never in configuration.
 */
import { isVaultBackend, readSecret, type Environment, type SecretRead, type VaultBackendConfig, type VaultNodeDefaults } from '../core/vault-backends.ts';
import { parseReference } from '../core/vault-reference.ts';

/** The fields of a vault entity the resolver reads. */
export interface VaultEntityFields {
  readonly prefix: string;
  readonly name: string;
  readonly config?: Readonly<Record<string, unknown>> | null;
}

const DEFAULT_TTL_S = 60;
const DEFAULT_RESURRECT_TTL_S = 100_000_000;

interface Entry {
  read: SecretRead;
  /** When the entry is read again (ms since the epoch), or Infinity (ttl 0: kept until the vault changes). */
  dueAt: number;
  /** The last successful value and when it stops being used once reads fail. */
  lastGood: { value: string; until: number } | null;
  /** Asked for since the last configuration: entries nobody asks for any more are dropped. */
  used: boolean;
}

function seconds(config: Readonly<Record<string, unknown>> | null | undefined, field: string): number | null {
  const value = config?.[field];
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : null;
}

export class VaultResolver {
  readonly #env: Environment;
  readonly #now: () => number;
  #vaults = new Map<string, VaultEntityFields>();
  #fingerprint = '';
  readonly #cache = new Map<string, Entry>();
  #nodeDefaults: VaultNodeDefaults = {};

  constructor(env: Environment, now: () => number = Date.now) {
    this.#env = env;
    this.#now = now;
  }

  /** The node's `vaults` and `vault_env_prefix` settings (set once, before any secret is read). */
  setNodeDefaults(defaults: VaultNodeDefaults): void {
    this.#nodeDefaults = defaults;
    this.#cache.clear();
  }

  /** The vault entities of the current configuration; a change to any of them drops every cached secret. */
  setVaults(vaults: readonly VaultEntityFields[]): void {
    const fingerprint = JSON.stringify(vaults.map((v) => [v.prefix, v.name, v.config ?? null]));
    if (fingerprint !== this.#fingerprint) this.#cache.clear();
    this.#fingerprint = fingerprint;
    this.#vaults = new Map(vaults.map((v) => [v.prefix, v]));
  }

  /** Marks every cached secret unused; `resolve` marks those still referenced, `dropUnused` forgets the rest. */
  beginPass(): void {
    for (const entry of this.#cache.values()) entry.used = false;
  }

  dropUnused(): void {
    for (const [reference, entry] of this.#cache) if (!entry.used) this.#cache.delete(reference);
  }

  /** The secret a reference names (cached), or an error naming the reference. */
  resolve(reference: string): SecretRead {
    let entry = this.#cache.get(reference);
    if (entry === undefined) {
      entry = { read: { ok: false, error: '' }, dueAt: 0, lastGood: null, used: true };
      this.#read(reference, entry);
      this.#cache.set(reference, entry);
    }
    entry.used = true;
    return entry.read;
  }

  /** Re-reads the secrets that are due; true when a value changed (or started or stopped resolving). */
  refresh(): boolean {
    const now = this.#now();
    let changed = false;
    for (const [reference, entry] of this.#cache) {
      if (entry.dueAt > now) continue;
      const before = entry.read;
      this.#read(reference, entry);
      const after = entry.read;
      if (before.ok !== after.ok || (before.ok && after.ok && before.value !== after.value)) changed = true;
    }
    return changed;
  }

  /** When the next cached secret is due to be read again (ms since the epoch), or null when none is. */
  nextDue(): number | null {
    let next = Infinity;
    for (const entry of this.#cache.values()) next = Math.min(next, entry.dueAt);
    return Number.isFinite(next) ? next : null;
  }

  #read(reference: string, entry: Entry): void {
    const now = this.#now();
    const parsed = parseReference(reference);
    if (typeof parsed === 'string') {
      entry.read = { ok: false, error: parsed };
      entry.dueAt = Infinity;
      return;
    }
    const vault = this.#vaults.get(parsed.vault);
    let backend: string;
    let config: Readonly<Record<string, unknown>> | null | undefined;
    if (vault !== undefined) {
      backend = vault.name;
      config = vault.config;
    } else if (isVaultBackend(parsed.vault)) {
      backend = parsed.vault;
      config = null;
    } else {
      entry.read = { ok: false, error: `could not find vault (${parsed.vault}) [${reference}]` };
      // The vault may be created later: that is a configuration change, which clears this cache.
      entry.dueAt = Infinity;
      return;
    }
    const ttl = seconds(config, 'ttl') ?? DEFAULT_TTL_S;
    const negTtl = seconds(config, 'neg_ttl') ?? ttl;
    const resurrectTtl = seconds(config, 'resurrect_ttl') ?? DEFAULT_RESURRECT_TTL_S;
    const read = readSecret(backend, (config ?? {}) as VaultBackendConfig, parsed, this.#env, this.#nodeDefaults);
    if (read.ok) {
      entry.read = read;
      entry.lastGood = { value: read.value, until: now + (ttl + resurrectTtl) * 1000 };
      entry.dueAt = ttl === 0 ? Infinity : now + ttl * 1000;
      return;
    }
    // Kong resurrects the last value for a while when the backend stops answering.
    entry.read = entry.lastGood !== null && entry.lastGood.until > now ? { ok: true, value: entry.lastGood.value } : read;
    entry.dueAt = negTtl === 0 ? Infinity : now + negTtl * 1000;
  }
}
