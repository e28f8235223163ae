/**
 * Node-wide shared state (Kong's `lua_shared_dict`): counters, a bounded cache and metrics that every worker
 * of a node sees. The supervisor runs a `SharedStateServer`; each proxy worker creates one client at start,
 * and code in the worker (the proxy, the PDK, plugins' `init_worker`) reaches it through `nodeServices()`.
 */
import type { NodeServices } from '../pdk/shared-state.ts';
import { SharedStateClient, type SharedStateClientOptions } from './client.ts';

export { SharedStateClient, SharedStateUnavailableError } from './client.ts';
export { SharedStateServer, socketPathFor } from './server.ts';
export { LocalMetricsRegistry } from './metrics-registry.ts';
export { MetricsStore } from './metrics-store.ts';

let current: NodeServices | null = null;

/**
 * This process's node services: in a proxy worker, the client connected to its supervisor (created when the
 * worker started). Throws when called in a process that has none (before the worker's init message, or in
 * the supervisor, which uses `SharedStateServer.localServices()`).
 */
export function nodeServices(): NodeServices {
  if (current === null) {
    throw new Error('node services are not available in this process: they exist in proxy workers once the supervisor has sent them their init message');
  }
  return current;
}

/** The node services, or null when this process has none yet. */
export function maybeNodeServices(): NodeServices | null {
  return current;
}

/** Connects this worker to its node's shared state, once; later calls return the first client. */
export function startWorkerNodeServices(options: SharedStateClientOptions): SharedStateClient {
  if (current instanceof SharedStateClient) return current;
  const client = new SharedStateClient(options);
  current = client;
  return client;
}

/** A worker stopping: pushes its last metrics and closes the connection (nothing when it has no client). */
export function stopWorkerNodeServices(): void {
  if (current instanceof SharedStateClient) current.close();
}

/** Installs node services made elsewhere (the supervisor's local ones, a test's); null removes them. */
export function setNodeServices(services: NodeServices | null): void {
  current = services;
}
