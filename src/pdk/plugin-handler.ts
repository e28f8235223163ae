/**
 * The contract between a plugin and the gateway, as Kong has it: a handler object with a static priority and
 * phase methods, each of which may return nothing or a promise (the runner awaits only promises, so a
 * synchronous plugin pays no promise per request), and the configuration-time data a plugin may index.
 */
import type { Kong } from './kong.ts';
import type { NodeServices } from './shared-state.ts';

/** A consumer as plugins see it (the fields Kong's auth plugins read). */
export interface PluginConsumer {
  readonly id: string;
  readonly username: string | null;
  readonly custom_id: string | null;
}

/** A consumer group as plugins see it (`kong.client.getConsumerGroups()`). */
export interface PluginConsumerGroup {
  readonly id: string;
  readonly name: string;
}

/**
 * A credential as plugins see it: its id (sent upstream as X-Credential-Identifier) and its consumer. A
 * credential that stands for no consumer (ldap-auth's, a directory user) has none.
 */
export interface PluginCredential {
  readonly id: string;
  readonly consumer?: { readonly id: string } | null;
}

/** A credential together with the consumer it authenticates, found in one lookup. */
export interface CredentialMatch<C extends PluginCredential = PluginCredential> {
  readonly credential: C;
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
  /** The groups of a consumer, by id, ordered by name (Kong's order); empty for a consumer in none. */
  consumerGroups(consumerId: string): readonly PluginConsumerGroup[];
}

/**
 * The plugin entity `prepare` is called for: its id and the ids of the route, service, consumer and
 * consumer group it is scoped to.
 */
export interface PluginEntityScope {
  readonly id: string;
  readonly route: string | null;
  readonly service: string | null;
  readonly consumer: string | null;
  /** Absent from scopes built before consumer groups existed: read it as null. */
  readonly consumer_group?: string | null;
}

/** Every per-request phase, in the order a request meets them. */
export const PLUGIN_PHASES = ['certificate', 'rewrite', 'access', 'response', 'header_filter', 'body_filter', 'log'] as const;
export type PluginPhase = (typeof PLUGIN_PHASES)[number];

/** What a phase method returns: nothing, or a promise the runner awaits before the next plugin. */
export type PhaseResult = void | Promise<void>;

/** A phase method: the request's PDK and the value `prepare` returned for this plugin entity. */
export type PhaseMethod<Conf> = (kong: Kong, conf: Conf) => PhaseResult;

/**
 * A plugin's runtime half. Phase methods run with the value `prepare` returned for that plugin entity (or its
 * validated `config` when there is no `prepare`).
 *
 * - `certificate` and `rewrite` run for global plugin entities only (no route is known yet).
 * - `access` may answer the request (`kong.response.exit`/`error`); later access handlers are skipped but the
 *   later phases of every plugin still run.
 * - `response` sees the whole upstream response, buffered (`kong.service.response.getRawBody()`); defining it
 *   turns buffering on for the routes the plugin runs on, as in Kong.
 * - `body_filter` runs per chunk of the response body (`kong.response.getChunk()`/`setChunk()`); a route with
 *   body filters is answered chunked, since a filter may change the length.
 * - `log` runs after the client has its answer, off the response path.
 */
export interface PluginHandler<Conf = unknown, Config = Readonly<Record<string, unknown>>> {
  /** The plugin name, as in `plugins[].name`. */
  readonly name: string;
  /** Run order: higher first in every phase; equal priorities by name, descending (Kong's order). */
  readonly priority: number;
  /** The plugin's version, shown by the Admin API (`GET /plugins/enabled` and `/`). */
  readonly version?: string;
  /**
   * The plugin's `body_filter` reads chunks but never changes them (Tollgate addition): on a route whose body
   * filters all say so, responses keep their Content-Length instead of being sent chunked.
   */
  readonly bodyFilterKeepsLength?: boolean;
  /** Once per worker, before the first configuration: open clients, register metrics. */
  init_worker?(node: NodeServices): void | Promise<void>;
  /**
   * Config time, once per plugin entity and snapshot: precompute what the phases need. `entity` says which
   * plugin entity this is and what it is scoped to (Kong's `conf.route_id`, `conf.service_id`, `__plugin_id`).
   */
  prepare?(config: Config, data: PluginConfigData, entity?: PluginEntityScope): Conf;
  // Method syntax (not function-typed properties) keeps a handler of a specific Conf assignable to
  // PluginHandler<unknown>, which is how chains hold them.
  certificate?(kong: Kong, conf: Conf): PhaseResult;
  rewrite?(kong: Kong, conf: Conf): PhaseResult;
  access?(kong: Kong, conf: Conf): PhaseResult;
  response?(kong: Kong, conf: Conf): PhaseResult;
  header_filter?(kong: Kong, conf: Conf): PhaseResult;
  body_filter?(kong: Kong, conf: Conf): PhaseResult;
  log?(kong: Kong, conf: Conf): PhaseResult;
}
