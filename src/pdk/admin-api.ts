/**
 * Admin API endpoints a plugin adds (Kong's `kong/plugins/<name>/api.lua`): paths with `{param}` placeholders
 * and a handler per method. They run in the process that serves the Admin API (the supervisor), which owns
 * the node's shared state: `node` reaches the same counters and cache the proxy workers use.
 */
import type { NodeServices } from './shared-state.ts';

export type PluginApiMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** A plugin entity as an endpoint reads it. */
export interface PluginApiEntity {
  readonly id: string;
  readonly name: string;
  readonly config: Readonly<Record<string, unknown>>;
}

/** One request to a plugin's endpoint. */
export interface PluginApiRequest {
  /** Path parameters by name, percent-decoded. */
  readonly params: Readonly<Record<string, string>>;
  /** Every plugin entity of the plugin that owns the endpoint, in the configuration being served or stored. */
  entities(): Promise<PluginApiEntity[]>;
  /** One plugin entity of that plugin by id; null when there is none (or it is another plugin's). */
  entity(id: string): Promise<PluginApiEntity | null>;
  /** The node's shared state; null on a node without one (a control plane serves no traffic). */
  readonly node: NodeServices | null;
}

/** The answer: a status and an optional JSON body (none: an empty body, as Kong's `kong.response.exit(404)`). */
export interface PluginApiReply {
  readonly status: number;
  readonly body?: unknown;
}

export type PluginApiHandler = (request: PluginApiRequest) => Promise<PluginApiReply>;

export interface PluginApiEndpoint {
  /** A path such as `/proxy-cache/{cache_key}`. */
  readonly path: string;
  readonly methods: Partial<Record<PluginApiMethod, PluginApiHandler>>;
}
