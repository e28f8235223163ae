/**
 * Config-time resolution of which plugins run on each route (and, once a consumer is known, for each
 * route and consumer, the consumer's groups folded in), in which order, with which prepared configuration.
 * The hot path only walks the arrays built here; the chain of a (route, consumer) pair is built on its first
 * request and then looked up.
 */
import type { CredentialMatch, EntityRecord, PhaseMethod, PluginConfigData, PluginConsumerGroup, PluginHandler } from '../pdk/index.ts';
import { isHttpProtocol } from '../schema/index.ts';
import type { ConsumerFields, PluginFields, SnapshotInput } from './types.ts';

/** One plugin's turn in a phase: the handler and the configuration its phases read. */
export interface PluginStep {
  readonly name: string;
  readonly handler: PluginHandler;
  readonly conf: unknown;
  /** The plugin entity's id (errors and logs name it). */
  readonly id: string;
  /** Plugin names this one must run before / after in the access phase (dynamic ordering), or null. */
  readonly ordering: { readonly before: readonly string[]; readonly after: readonly string[] } | null;
}

/** A phase's steps with the phase method picked out, so the runner calls it without a lookup. */
export interface PhaseStep extends PluginStep {
  readonly run: PhaseMethod<unknown>;
}

/** The phases that run per route (certificate and rewrite run for global plugins only: see GlobalPhases). */
export const CHAIN_PHASES = ['access', 'response', 'header_filter', 'body_filter', 'log'] as const;
export type ChainPhase = (typeof CHAIN_PHASES)[number];

/** The plugins of one route (and consumer) per phase; a phase no plugin implements is null. */
export interface PluginChain {
  readonly access: readonly PhaseStep[] | null;
  readonly response: readonly PhaseStep[] | null;
  readonly header_filter: readonly PhaseStep[] | null;
  readonly body_filter: readonly PhaseStep[] | null;
  readonly log: readonly PhaseStep[] | null;
  /** No body filter here changes the body's length (each declares `bodyFilterKeepsLength`): Content-Length stays. */
  readonly bodyFilterKeepsLength: boolean;
  /**
   * The chain to go on with once an auth plugin has identified `consumerId` (Kong resolves each plugin's
   * configuration when the access phase reaches it, with the consumer known by then). Returns this chain
   * when no plugin is scoped to that consumer here; null on chains that are already consumer-specific.
   */
  readonly forConsumer: ((consumerId: string) => PluginChain) | null;
}

/** Global plugins' phases that run before a route is known. */
export interface GlobalPhases {
  readonly certificate: readonly PhaseStep[] | null;
  readonly rewrite: readonly PhaseStep[] | null;
  /**
   * The answering phases (header_filter, body_filter, log) of global plugins, for requests no route matched:
   * Kong runs them on its 404 too (so a global log or metrics plugin sees those requests). Null when none.
   */
  readonly unrouted: PluginChain | null;
}

/** Kong's order: priority descending; equal priorities by name, descending. */
export function byPriority(a: PluginStep, b: PluginStep): number {
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
  let groupsOf: ReadonlyMap<string, readonly PluginConsumerGroup[]> | null = null;
  return {
    consumer: (idOrUsername) => byId.get(idOrUsername) ?? byUsername.get(idOrUsername),
    entities,
    consumerGroups(consumerId) {
      // Built on first use: most configurations have no plugin asking.
      groupsOf ??= groupRecordsByConsumer(input);
      return groupsOf.get(consumerId) ?? NO_GROUP_RECORDS;
    },
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

/** The configurations of one plugin name at each scope. */
interface ScopedConfigs {
  global: PluginStep | null;
  byService: Map<string, PluginStep>;
  byRoute: Map<string, PluginStep>;
  /** Keys `routeId serviceId`, `routeId serviceId consumerId`, ... (see `chainSteps`). */
  byRouteAndService: Map<string, PluginStep>;
  byConsumer: Map<string, PluginStep>;
  byRouteAndConsumer: Map<string, PluginStep>;
  byServiceAndConsumer: Map<string, PluginStep>;
  byAll: Map<string, PluginStep>;
  /** Scoped to a consumer group: keys `groupId`, `routeId groupId`, `serviceId groupId`, `routeId serviceId groupId`. */
  byGroup: Map<string, PluginStep>;
  byRouteAndGroup: Map<string, PluginStep>;
  byServiceAndGroup: Map<string, PluginStep>;
  byAllGroup: Map<string, PluginStep>;
}

function newScoped(): ScopedConfigs {
  return {
    global: null,
    byService: new Map(),
    byRoute: new Map(),
    byRouteAndService: new Map(),
    byConsumer: new Map(),
    byRouteAndConsumer: new Map(),
    byServiceAndConsumer: new Map(),
    byAll: new Map(),
    byGroup: new Map(),
    byRouteAndGroup: new Map(),
    byServiceAndGroup: new Map(),
    byAllGroup: new Map(),
  };
}

const NO_GROUPS: readonly string[] = Object.freeze([]);

/**
 * Each consumer's groups, by id, ordered by group name: Kong looks a group-scoped configuration up in the
 * consumer's groups in that order, so the first group by name wins when several have one.
 */
export function groupsByConsumer(input: Pick<SnapshotInput, 'consumer_groups' | 'consumer_group_consumers'>): ReadonlyMap<string, readonly string[]> {
  // Groups ranked by name once, so that each consumer's list only needs sorting by rank when it has several.
  const sorted = [...(input.consumer_groups ?? [])].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const rank = new Map<string, number>();
  for (let i = 0; i < sorted.length; i++) rank.set(sorted[i].id, i);
  const out = new Map<string, string[]>();
  for (const member of input.consumer_group_consumers ?? []) {
    const group = member.consumer_group.id;
    if (!rank.has(group)) continue;
    const list = out.get(member.consumer.id);
    if (list === undefined) out.set(member.consumer.id, [group]);
    else list.push(group);
  }
  for (const list of out.values()) if (list.length > 1) list.sort((a, b) => rank.get(a)! - rank.get(b)!);
  return out;
}

const NO_GROUP_RECORDS: readonly PluginConsumerGroup[] = Object.freeze([]);

/** Each consumer's groups as plugins see them (`kong.client.getConsumerGroups()`), ordered by name. */
function groupRecordsByConsumer(input: Pick<SnapshotInput, 'consumer_groups' | 'consumer_group_consumers'>): ReadonlyMap<string, readonly PluginConsumerGroup[]> {
  const records = new Map<string, PluginConsumerGroup>();
  for (const group of input.consumer_groups ?? []) records.set(group.id, Object.freeze({ id: group.id, name: group.name }));
  const out = new Map<string, readonly PluginConsumerGroup[]>();
  for (const [consumer, ids] of groupsByConsumer(input)) out.set(consumer, Object.freeze(ids.map((id) => records.get(id)!)));
  return out;
}

/**
 * Resolves plugin chains per route. Plugins that are disabled, unknown to `handlers` or for stream
 * protocols only are left out.
 */
export class PluginChainBuilder {
  readonly #scoped = new Map<string, ScopedConfigs>();
  readonly #chains = new Map<string, PluginChain | null>();
  /** Consumers some plugin is scoped to (directly or through a group); other consumers keep the route's chain. */
  readonly #consumers = new Set<string>();
  /** Each consumer's groups that some plugin is scoped to, in lookup order. */
  readonly #groupsOf = new Map<string, readonly string[]>();
  readonly global: GlobalPhases;

  /** `memberships`: each consumer's groups in lookup order (see `groupsByConsumer`). */
  constructor(
    plugins: readonly PluginFields[],
    handlers: ReadonlyMap<string, PluginHandler>,
    data: PluginConfigData,
    memberships: ReadonlyMap<string, readonly string[]> = new Map(),
  ) {
    const scopedGroups = new Set<string>();
    const globals: PluginStep[] = [];
    for (const plugin of plugins) {
      if (!plugin.enabled) continue;
      // Kong filters plugins by subsystem only: any HTTP-family protocol makes it run on HTTP requests.
      if (!plugin.protocols.some(isHttpProtocol)) continue;
      const handler = handlers.get(plugin.name);
      if (handler === undefined) continue;
      const route = plugin.route?.id ?? null;
      const service = plugin.service?.id ?? null;
      const consumer = plugin.consumer?.id ?? null;
      const group = plugin.consumer_group?.id ?? null;
      const conf =
        handler.prepare === undefined ? plugin.config : handler.prepare(plugin.config, data, { id: plugin.id, route, service, consumer, consumer_group: group });
      const step: PluginStep = Object.freeze({ name: plugin.name, handler, conf, id: plugin.id, ordering: orderingOf(plugin) });
      let scoped = this.#scoped.get(plugin.name);
      if (scoped === undefined) {
        scoped = newScoped();
        this.#scoped.set(plugin.name, scoped);
      }
      if (consumer !== null) {
        this.#consumers.add(consumer);
        if (route !== null && service !== null) scoped.byAll.set(`${route} ${service} ${consumer}`, step);
        else if (route !== null) scoped.byRouteAndConsumer.set(`${route} ${consumer}`, step);
        else if (service !== null) scoped.byServiceAndConsumer.set(`${service} ${consumer}`, step);
        else scoped.byConsumer.set(consumer, step);
      } else if (group !== null) {
        scopedGroups.add(group);
        if (route !== null && service !== null) scoped.byAllGroup.set(`${route} ${service} ${group}`, step);
        else if (route !== null) scoped.byRouteAndGroup.set(`${route} ${group}`, step);
        else if (service !== null) scoped.byServiceAndGroup.set(`${service} ${group}`, step);
        else scoped.byGroup.set(group, step);
      } else if (route !== null && service !== null) scoped.byRouteAndService.set(`${route} ${service}`, step);
      else if (route !== null) scoped.byRoute.set(route, step);
      else if (service !== null) scoped.byService.set(service, step);
      else {
        scoped.global = step;
        globals.push(step);
      }
    }
    if (scopedGroups.size > 0) {
      for (const [consumer, groups] of memberships) {
        // Most consumers are in one group: keep the list as it is when every group of it has plugins.
        const relevant = groups.every((g) => scopedGroups.has(g)) ? groups : groups.filter((g) => scopedGroups.has(g));
        if (relevant.length === 0) continue;
        this.#groupsOf.set(consumer, relevant);
        this.#consumers.add(consumer);
      }
    }
    globals.sort(byPriority);
    const answering = buildChain(globals, null);
    this.global = Object.freeze({
      certificate: phaseSteps(globals, 'certificate'),
      rewrite: phaseSteps(globals, 'rewrite'),
      // Nothing is proxied: no access and no response phase.
      unrouted:
        answering === null || (answering.header_filter === null && answering.body_filter === null && answering.log === null)
          ? null
          : Object.freeze({ ...answering, access: null, response: null }),
    });
  }

  /**
   * The steps that apply to a route (and consumer), in Kong's precedence, sorted by priority: consumer +
   * route + service, group + route + service, consumer + route, consumer + service, group + route, group +
   * service, route + service, consumer, group, route, service, global; "group" tries the consumer's groups
   * in order.
   */
  #steps(routeId: string, serviceId: string | null, consumerId: string | null): PluginStep[] {
    const steps: PluginStep[] = [];
    const rs = serviceId === null ? null : `${routeId} ${serviceId}`;
    const groups = consumerId === null ? NO_GROUPS : (this.#groupsOf.get(consumerId) ?? NO_GROUPS);
    const inGroups = (map: Map<string, PluginStep>, prefix: string | null): PluginStep | undefined => {
      if (prefix === null || map.size === 0) return undefined;
      for (const group of groups) {
        const step = map.get(prefix === '' ? group : `${prefix} ${group}`);
        if (step !== undefined) return step;
      }
      return undefined;
    };
    for (const scoped of this.#scoped.values()) {
      let step: PluginStep | null | undefined;
      if (consumerId !== null) {
        step =
          (rs === null ? undefined : scoped.byAll.get(`${rs} ${consumerId}`)) ??
          inGroups(scoped.byAllGroup, rs) ??
          scoped.byRouteAndConsumer.get(`${routeId} ${consumerId}`) ??
          (serviceId === null ? undefined : scoped.byServiceAndConsumer.get(`${serviceId} ${consumerId}`)) ??
          inGroups(scoped.byRouteAndGroup, routeId) ??
          inGroups(scoped.byServiceAndGroup, serviceId);
      }
      step ??= rs === null ? undefined : scoped.byRouteAndService.get(rs);
      if (step === undefined && consumerId !== null) step = scoped.byConsumer.get(consumerId) ?? inGroups(scoped.byGroup, '');
      step ??= scoped.byRoute.get(routeId) ?? (serviceId === null ? undefined : scoped.byService.get(serviceId)) ?? scoped.global;
      if (step !== null && step !== undefined) steps.push(step);
    }
    steps.sort(byPriority);
    return steps;
  }

  /** Routes resolving to the same steps share one frozen chain. */
  #chain(steps: readonly PluginStep[], forConsumer: PluginChain['forConsumer']): PluginChain | null {
    if (steps.length === 0 && forConsumer === null) return null;
    const key = `${steps.map(stepId).join(' ')}${forConsumer === null ? '' : ' +c'}`;
    let chain = this.#chains.get(key);
    if (chain === undefined) {
      chain = buildChain(steps, forConsumer);
      this.#chains.set(key, chain);
    }
    return chain;
  }

  /** The chain of a route (null when no plugin applies). */
  chainFor(routeId: string, serviceId: string | null): PluginChain | null {
    if (this.#scoped.size === 0) return null;
    const steps = this.#steps(routeId, serviceId, null);
    if (steps.length === 0) return null;
    if (this.#consumers.size === 0) return this.#chain(steps, null);
    const perConsumer = new Map<string, PluginChain>();
    let base: PluginChain | null = null;
    const forConsumer = (consumerId: string): PluginChain => {
      let chain = perConsumer.get(consumerId);
      if (chain === undefined) {
        chain = this.#consumers.has(consumerId)
          ? (this.#chain(this.#steps(routeId, serviceId, consumerId), null) ?? EMPTY_CHAIN)
          : base!;
        perConsumer.set(consumerId, chain);
      }
      return chain;
    };
    // Per route: the memo of consumer chains belongs to the route, so the chain is not shared.
    base = buildChain(steps, forConsumer);
    return base;
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

function phaseSteps(steps: readonly PluginStep[], phase: ChainPhase | 'certificate' | 'rewrite'): readonly PhaseStep[] | null {
  const out: PhaseStep[] = [];
  for (const step of steps) {
    const run = step.handler[phase];
    if (run !== undefined) out.push(Object.freeze({ ...step, run: run.bind(step.handler) as PhaseMethod<unknown> }));
  }
  return out.length === 0 ? null : Object.freeze(out);
}

const EMPTY_CHAIN: PluginChain = Object.freeze({
  access: null,
  response: null,
  header_filter: null,
  body_filter: null,
  log: null,
  bodyFilterKeepsLength: true,
  forConsumer: null,
});

/** A plugin entity's access-phase ordering, or null when it has none. */
function orderingOf(plugin: PluginFields): PluginStep['ordering'] {
  const before = plugin.ordering?.before?.access ?? [];
  const after = plugin.ordering?.after?.access ?? [];
  return before.length === 0 && after.length === 0 ? null : Object.freeze({ before: [...before], after: [...after] });
}

/**
 * Kong's dynamic ordering of the access phase (its default, `legacy` resolution): walking the steps in
 * priority order, each step is placed after the steps it must follow (its own `after`, and other steps'
 * `before` naming it), which are pulled in front of it with their own dependencies. Constraints naming
 * plugins absent from the chain are ignored; a cycle is broken where it closes.
 */
export function applyOrdering(steps: readonly PluginStep[]): readonly PluginStep[] {
  if (!steps.some((s) => s.ordering !== null)) return steps;
  const byName = new Map(steps.map((s) => [s.name, s]));
  const waitsFor = new Map<string, PluginStep[]>();
  for (const s of steps) waitsFor.set(s.name, []);
  const add = (step: string, dependency: string): void => {
    const dep = byName.get(dependency);
    if (dep !== undefined && dependency !== step) waitsFor.get(step)!.push(dep);
  };
  for (const s of steps) {
    if (s.ordering === null) continue;
    for (const name of s.ordering.after) add(s.name, name);
    for (const name of s.ordering.before) if (byName.has(name)) add(name, s.name);
  }
  for (const deps of waitsFor.values()) deps.sort(byPriority);
  const out: PluginStep[] = [];
  const placed = new Set<string>();
  const visiting = new Set<string>();
  const place = (step: PluginStep): void => {
    if (placed.has(step.name) || visiting.has(step.name)) return;
    visiting.add(step.name);
    for (const dep of waitsFor.get(step.name)!) place(dep);
    visiting.delete(step.name);
    placed.add(step.name);
    out.push(step);
  };
  for (const s of steps) place(s);
  return out;
}

function buildChain(steps: readonly PluginStep[], forConsumer: PluginChain['forConsumer']): PluginChain | null {
  const chain: PluginChain = {
    access: phaseSteps(applyOrdering(steps), 'access'),
    response: phaseSteps(steps, 'response'),
    header_filter: phaseSteps(steps, 'header_filter'),
    body_filter: phaseSteps(steps, 'body_filter'),
    log: phaseSteps(steps, 'log'),
    bodyFilterKeepsLength: steps.every((s) => s.handler.body_filter === undefined || s.handler.bodyFilterKeepsLength === true),
    forConsumer,
  };
  const empty = CHAIN_PHASES.every((phase) => chain[phase] === null);
  return empty && forConsumer === null ? null : Object.freeze(chain);
}
