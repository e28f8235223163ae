/**
 * The declarative loader's public types: the flat configuration every configuration source produces,
 * and the error object (Kong's code 14) a rejected file yields.
 */
import { ENTITY_ORDER } from '../entities/index.ts';
import type {
  CaCertificate,
  Certificate,
  Consumer,
  Plugin,
  PluginSchemaRegistry,
  Route,
  Service,
  Sni,
  Target,
  Upstream,
} from '../entities/index.ts';

/**
 * Every entity fully validated, defaults filled, foreign keys as `{id}` or null; one array per registered
 * collection (core ones typed, plugins' as records), in load order.
 */
export interface FlatConfig {
  services: Service[];
  routes: Route[];
  upstreams: Upstream[];
  targets: Target[];
  consumers: Consumer[];
  plugins: Plugin[];
  certificates: Certificate[];
  snis: Sni[];
  ca_certificates: CaCertificate[];
  /** Collections of plugins' entities, by name. */
  [collection: string]: (Record<string, unknown> & { id: string })[];
}

/** A configuration with no entities: an empty array for every registered collection. */
export function emptyFlatConfig(): FlatConfig {
  const config: Record<string, unknown[]> = {};
  for (const name of ENTITY_ORDER) config[name] = [];
  return config as unknown as FlatConfig;
}

export interface LoadOptions {
  /** Decides the parser: `*.json` is JSON, `*.yml`/`*.yaml` YAML; without a name JSON is tried, then YAML. */
  filename?: string;
  /** Also report `flattened_errors` (one entry per failing entity), as `POST /config?flatten_errors=1`. */
  flattenErrors?: boolean;
  /** Enabled plugins; plugin entities naming anything else are rejected. Default: none. */
  plugins?: PluginSchemaRegistry;
  /** Load time in milliseconds since the epoch (default `Date.now()`): every entity's created_at/updated_at. */
  now?: number;
}

export type LoadResult = { ok: true; config: FlatConfig } | { ok: false; error: DeclarativeError };

export interface FlattenedFieldError {
  type: 'field';
  /** Dotted path inside the entity; array positions are 1-based (`paths.2`). */
  field: string;
  message: string;
}

export interface FlattenedEntityError {
  type: 'entity';
  message: string;
}

export interface FlattenedError {
  /** Singular collection name: `route`, `ca_certificate`. */
  entity_type: string;
  entity_name?: string;
  entity_id?: string;
  entity_tags?: string[];
  /** The entity as submitted, nested children removed, parent reference added when known. */
  entity: Record<string, unknown>;
  errors: (FlattenedFieldError | FlattenedEntityError)[];
}

export interface DeclarativeError {
  code: 14;
  name: 'invalid declarative configuration';
  /** `declarative config is invalid: <the fields as a Lua table>`. */
  message: string;
  /** The error tree mirroring the input (`{services: [{host: "required field missing"}]}`). */
  fields: unknown;
  flattened_errors?: FlattenedError[];
}
