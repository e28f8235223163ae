/**
 * The contract between a plugin and the gateway: a handler object with a priority and phase methods, and the
 * configuration-time data a plugin may index (consumers, credentials).
 */
import type { PluginContext } from './context.ts';

/** A consumer as plugins see it (the fields Kong's auth plugins read). */
export interface PluginConsumer {
  readonly id: string;
  readonly username: string | null;
  readonly custom_id: string | null;
}

/** A credential as plugins see it: its id (sent upstream as X-Credential-Identifier) and its consumer. */
export interface PluginCredential {
  readonly id: string;
  readonly consumer: { readonly id: string };
}

/** A credential together with the consumer it authenticates, found in one lookup. */
export interface CredentialMatch {
  readonly credential: PluginCredential;
  readonly consumer: PluginConsumer;
}

/** An entity as configuration data: its validated fields (foreign keys as `{id}`). */
export type EntityRecord = Readonly<Record<string, unknown>>;

/**
 * The configuration handed to `prepare`, indexed once per snapshot, so that no phase searches a list or a
 * database.
 */
export interface PluginConfigData {
  /** A consumer by id, or else by username (Kong's lookup for `anonymous`). */
  consumer(idOrUsername: string): PluginConsumer | undefined;
  /** Every entity of a collection, core or plugin-owned (`keyauth_credentials`); empty when there are none. */
  entities(collection: string): readonly EntityRecord[];
  /**
   * A consumer-owned collection indexed by one of its fields (`keyauth_credentials` by `key`), each entry with
   * its consumer; built once per snapshot and collection/field pair (memoized), whichever plugin asks first.
   * Entries whose consumer does not exist are left out.
   */
  credentialsBy(collection: string, field: string): ReadonlyMap<string, CredentialMatch>;
}

/** The per-request phases a chain is compiled for. */
export const PLUGIN_PHASES = ['access', 'header_filter', 'log'] as const;
export type PluginPhase = (typeof PLUGIN_PHASES)[number];

/**
 * A plugin's runtime half. Phase methods run synchronously on the hot path with the value `prepare`
 * returned for that plugin entity (or its validated `config` when there is no `prepare`).
 */
export interface PluginHandler<Conf = unknown> {
  /** The plugin name, as in `plugins[].name`. */
  readonly name: string;
  /** Run order: higher first in every phase; equal priorities by name, descending (Kong's order). */
  readonly priority: number;
  /** Config time, once per plugin entity and snapshot: precompute what the phases need. */
  prepare?(config: Readonly<Record<string, unknown>>, data: PluginConfigData): Conf;
  /** Before the request is proxied; may answer it with `kong.exit`/`kong.error`. */
  access?(kong: PluginContext, conf: Conf): void;
  /** When the response headers are known (upstream or plugin-generated), before they are sent. */
  header_filter?(kong: PluginContext, conf: Conf): void;
  /** After the client has its answer. */
  log?(kong: PluginContext, conf: Conf): void;
}
