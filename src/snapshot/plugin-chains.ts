/**
 * Config-time resolution of which plugins run on each route, in which order, with which prepared
 * configuration. The hot path only walks the arrays built here.
 */
import type { CredentialMatch, EntityRecord, PluginConfigData, PluginContext, PluginHandler } from '../pdk/index.ts';
import { isHttpProtocol } from '../schema/index.ts';
import type { ConsumerFields, PluginFields, SnapshotInput } from './types.ts';

/** One plugin's turn in a phase: the handler and the configuration its phases read. */
export interface PluginStep {
  readonly name: string;
  readonly handler: PluginHandler;
  readonly conf: unknown;
}

type PhaseMethod = (kong: PluginContext, conf: unknown) => void;

/** A phase's steps with the phase method picked out, so the runner calls it without a lookup. */
export interface PhaseStep extends PluginStep {
  readonly run: PhaseMethod;
}

/** The plugins of one route per phase; a phase no plugin implements is null. */
export interface PluginChain {
  readonly access: readonly PhaseStep[] | null;
  readonly header_filter: readonly PhaseStep[] | null;
  readonly log: readonly PhaseStep[] | null;
}

/** Kong's order: priority descending; equal priorities by name, descending. */
function byPriority(a: PluginStep, b: PluginStep): number {
  if (a.handler.priority !== b.handler.priority) return b.handler.priority - a.handler.priority;
  return a.name < b.name ? 1 : a.name > b.name ? -1 : 0;
}

const NO_ENTITIES: readonly EntityRecord[] = Object.freeze([]);

/**
 * The configuration data of one snapshot for the plugins' `prepare`: consumers indexed at once, any
 * collection by name, and consumer-owned collections indexed by a field on first request (then kept).
 */
export function buildConfigData(input: SnapshotInput): PluginConfigData {
  const byId = new Map<string, ConsumerFields>();
  const byUsername = new Map<string, ConsumerFields>();
  for (const c of input.consumers) {
    byId.set(c.id, c);
    if (c.username !== null) byUsername.set(c.username, c);
  }
  const entities = (collection: string): readonly EntityRecord[] => (input[collection] as readonly EntityRecord[] | undefined) ?? NO_ENTITIES;
  const indexes = new Map<string, ReadonlyMap<string, CredentialMatch>>();
  return {
    consumer: (idOrUsername) => byId.get(idOrUsername) ?? byUsername.get(idOrUsername),
    entities,
    credentialsBy(collection, field) {
      const memo = `${collection}\u0000${field}`;
      let index = indexes.get(memo);
      if (index === undefined) {
        const built = new Map<string, CredentialMatch>();
        for (const entity of entities(collection)) {
          const value = entity[field];
          const owner = entity.consumer as { id?: unknown } | null | undefined;
          const consumer = typeof owner?.id === 'string' ? byId.get(owner.id) : undefined;
          if (consumer === undefined || typeof value !== 'string' || typeof entity.id !== 'string') continue;
          built.set(value, { credential: entity as unknown as CredentialMatch['credential'], consumer });
        }
        index = built;
        indexes.set(memo, index);
      }
      return index;
    },
  };
}

/** The most specific configuration of one plugin name at each scope (Kong's OSS precedence, without consumers). */
interface ScopedConfigs {
  global: PluginStep | null;
  byService: Map<string, PluginStep>;
  byRoute: Map<string, PluginStep>;
  /** Key `routeId serviceId`. */
  byRouteAndService: Map<string, PluginStep>;
}

/**
 * Resolves plugin chains per route. Plugins that are disabled, scoped to a consumer (not supported yet),
 * unknown to `handlers`, or for stream protocols only are left out.
 */
export class PluginChainBuilder {
  readonly #scoped = new Map<string, ScopedConfigs>();
  readonly #chains = new Map<string, PluginChain | null>();

  constructor(plugins: readonly PluginFields[], handlers: ReadonlyMap<string, PluginHandler>, data: PluginConfigData) {
    for (const plugin of plugins) {
      if (!plugin.enabled || plugin.consumer !== null) continue;
      // Kong filters plugins by subsystem only: any HTTP-family protocol makes it run on HTTP requests.
      if (!plugin.protocols.some(isHttpProtocol)) continue;
      const handler = handlers.get(plugin.name);
      if (handler === undefined) continue;
      const conf = handler.prepare === undefined ? plugin.config : handler.prepare(plugin.config, data);
      const step: PluginStep = Object.freeze({ name: plugin.name, handler, conf });
      let scoped = this.#scoped.get(plugin.name);
      if (scoped === undefined) {
        scoped = { global: null, byService: new Map(), byRoute: new Map(), byRouteAndService: new Map() };
        this.#scoped.set(plugin.name, scoped);
      }
      const route = plugin.route?.id ?? null;
      const service = plugin.service?.id ?? null;
      if (route !== null && service !== null) scoped.byRouteAndService.set(`${route} ${service}`, step);
      else if (route !== null) scoped.byRoute.set(route, step);
      else if (service !== null) scoped.byService.set(service, step);
      else scoped.global = step;
    }
  }

  /** The chain of a route (null when no plugin applies); routes with the same plugins share one chain. */
  chainFor(routeId: string, serviceId: string | null): PluginChain | null {
    if (this.#scoped.size === 0) return null;
    const steps: PluginStep[] = [];
    for (const scoped of this.#scoped.values()) {
      const step =
        (serviceId === null ? undefined : scoped.byRouteAndService.get(`${routeId} ${serviceId}`)) ??
        scoped.byRoute.get(routeId) ??
        (serviceId === null ? undefined : scoped.byService.get(serviceId)) ??
        scoped.global;
      if (step !== null) steps.push(step);
    }
    if (steps.length === 0) return null;
    steps.sort(byPriority);
    const key = steps.map(stepId).join(' ');
    let chain = this.#chains.get(key);
    if (chain === undefined) {
      chain = buildChain(steps);
      this.#chains.set(key, chain);
    }
    return chain;
  }
}

const stepIds = new WeakMap<PluginStep, string>();
let nextStepId = 0;

/** A per-step identity, so routes resolving to the same steps share one frozen chain. */
function stepId(step: PluginStep): string {
  let id = stepIds.get(step);
  if (id === undefined) {
    id = String(nextStepId++);
    stepIds.set(step, id);
  }
  return id;
}

function phaseSteps(steps: readonly PluginStep[], method: (h: PluginHandler) => PhaseMethod | undefined): readonly PhaseStep[] | null {
  const out: PhaseStep[] = [];
  for (const step of steps) {
    const run = method(step.handler);
    if (run !== undefined) out.push(Object.freeze({ ...step, run: run.bind(step.handler) }));
  }
  return out.length === 0 ? null : Object.freeze(out);
}

function buildChain(steps: readonly PluginStep[]): PluginChain | null {
  const chain: PluginChain = {
    access: phaseSteps(steps, (h) => h.access as PhaseMethod | undefined),
    header_filter: phaseSteps(steps, (h) => h.header_filter as PhaseMethod | undefined),
    log: phaseSteps(steps, (h) => h.log as PhaseMethod | undefined),
  };
  return chain.access === null && chain.header_filter === null && chain.log === null ? null : Object.freeze(chain);
}
