/**
 * Gateway API routes, KIC's way: each HTTPRoute (and GRPCRoute) rule becomes a Kong service and upstream named
 * `httproute.<namespace>.<name>.<rule>` whose targets are the weighted endpoints of its backendRefs, and each
 * of its matches a route `…<rule>.<match>` (matches that differ only by path share one route). Filters become
 * plugins on the route: RequestHeaderModifier (request-transformer), ResponseHeaderModifier
 * (response-transformer), URLRewrite and RequestRedirect. Backends in another namespace need a ReferenceGrant
 * there. Routes are translated whether or not their Gateway is in the input; a Gateway that is keeps them out when
 * its class belongs to another controller or its listeners refuse them. TCPRoute, UDPRoute and TLSRoute are in
 * stream-resources.ts.
 */
import type { PluginSchemaRegistry } from '../../schema/index.ts';
import { validateEntity } from '../../entities/index.ts';
import { isObject, type Json, type JsonObject, type K8sObject } from '../objects.ts';
import { applyRouteAnnotations, applyServiceAnnotations } from './annotations.ts';
import { weightedUpstream } from './backends.ts';
import { attachPlugins } from './plugins.ts';
import { httpRoutePriorities, splitExpression, splitHttpRoute, splitKey } from './httproute-expressions.ts';
import { applyServiceTls } from './service-tls.ts';
import { isGatewayRef, judgeParent, type ParentVerdict } from './gateway-acceptance.ts';
import { asArray, asString, field, tagsFor, type Entity, type KongService, type TranslationState } from './state.ts';

/** The controller name KIC's GatewayClasses use. */
export const KONG_GATEWAY_CONTROLLER = 'konghq.com/kic-gateway-controller';

function gatewayPaths(match: JsonObject): string[] | null {
  if (!isObject(match.path)) return ['/'];
  const type = asString(match.path.type) ?? 'PathPrefix';
  const value = asString(match.path.value) ?? '/';
  switch (type) {
    case 'PathPrefix': {
      const base = value.replace(/^\/+|\/+$/g, '');
      return base === '' ? ['/'] : [`~/${base}$`, `/${base}/`];
    }
    case 'Exact':
      return [`~${value}$`];
    case 'RegularExpression':
      return [`~${value}`];
    default:
      return null;
  }
}

export interface JudgedParent {
  gateway: K8sObject;
  verdict: ParentVerdict;
}

/**
 * The verdicts of `route`'s parent Gateways that are in the input and not of another controller's class (one
 * whose class is not in the input is judged too), and whether some parent is not in the input (it cannot be
 * judged).
 */
export function judgeParents(state: TranslationState, route: K8sObject): { judged: JudgedParent[]; unknownParent: boolean } {
  const judged: JudgedParent[] = [];
  let unknownParent = false;
  for (const parent of asArray(field(route, 'spec.parentRefs'))) {
    if (!isObject(parent) || typeof parent.name !== 'string') continue;
    const gateway = isGatewayRef(parent) ? state.find('Gateway', asString(parent.namespace) ?? route.metadata.namespace, parent.name) : undefined;
    if (gateway === undefined) {
      unknownParent = true;
      continue;
    }
    const className = asString(field(gateway, 'spec.gatewayClassName'));
    const gatewayClass = className === undefined ? undefined : state.all('GatewayClass').find((c) => c.metadata.name === className);
    if (gatewayClass !== undefined && asString(field(gatewayClass, 'spec.controllerName')) !== KONG_GATEWAY_CONTROLLER) continue;
    judged.push({ gateway, verdict: judgeParent(route, gateway, parent, state.namespaceLabels) });
  }
  return { judged, unknownParent };
}

/**
 * Whether `route` may be translated, as KIC decides: some parent accepts it. A parent Gateway that is not in the
 * input counts as accepting; one whose class belongs to another controller neither accepts nor refuses. When no
 * parent accepts, the refusals are reported.
 */
export function acceptedByParent(state: TranslationState, route: K8sObject): boolean {
  if (asArray(field(route, 'spec.parentRefs')).length === 0) return true;
  const { judged, unknownParent } = judgeParents(state, route);
  if (unknownParent || judged.some((j) => j.verdict.accepted)) return true;
  if (judged.length > 0) {
    state.report(route, `not accepted by ${judged.map((j) => `Gateway ${j.gateway.metadata.namespace}/${j.gateway.metadata.name} (${j.verdict.reason})`).join(', ')}; skipped`);
  }
  return false;
}

/** Whether a ReferenceGrant in `to` lets `from` point at a Service there. */
function referenceAllowed(state: TranslationState, from: K8sObject, toNamespace: string, serviceName: string): boolean {
  if (toNamespace === from.metadata.namespace) return true;
  return state.all('ReferenceGrant').some((grant) => {
    if (grant.metadata.namespace !== toNamespace) return false;
    const fromOk = asArray(field(grant, 'spec.from')).some((f) => isObject(f) && f.kind === from.kind && f.namespace === from.metadata.namespace);
    const toOk = asArray(field(grant, 'spec.to')).some((t) => isObject(t) && t.kind === 'Service' && (t.name === undefined || t.name === serviceName));
    return fromOk && toOk;
  });
}

function headerOps(modifier: JsonObject): { add: string[]; append: string[]; remove: string[] } {
  const pairs = (value: Json | undefined): string[] =>
    asArray(value).flatMap((h) => (isObject(h) && typeof h.name === 'string' && typeof h.value === 'string' ? [`${h.name}:${h.value}`] : []));
  const set = pairs(modifier.set);
  // set = remove what is there, then add: request-transformer removes before it adds.
  const setNames = set.map((p) => p.slice(0, p.indexOf(':')));
  const removed = asArray(modifier.remove).filter((r): r is string => typeof r === 'string');
  return { add: set, append: pairs(modifier.add), remove: [...setNames, ...removed] };
}

/** The plugins a rule's filters make (null entries were reported). */
function filterPlugins(state: TranslationState, route: K8sObject, filters: Json[], kongRoute: Entity): Entity[] {
  const out: Entity[] = [];
  for (const filter of filters) {
    if (!isObject(filter) || typeof filter.type !== 'string') continue;
    switch (filter.type) {
      case 'RequestHeaderModifier':
        if (isObject(filter.requestHeaderModifier)) {
          const ops = headerOps(filter.requestHeaderModifier);
          out.push({ name: 'request-transformer', config: { remove: { headers: ops.remove }, add: { headers: ops.add }, append: { headers: ops.append } } });
        }
        break;
      case 'ResponseHeaderModifier':
        if (isObject(filter.responseHeaderModifier)) {
          const ops = headerOps(filter.responseHeaderModifier);
          out.push({ name: 'response-transformer', config: { remove: { headers: ops.remove }, add: { headers: ops.add }, append: { headers: ops.append } } });
        }
        break;
      case 'URLRewrite': {
        const rewrite = isObject(filter.urlRewrite) ? filter.urlRewrite : {};
        const config: JsonObject = {};
        if (isObject(rewrite.path)) {
          if (rewrite.path.type === 'ReplaceFullPath' && typeof rewrite.path.replaceFullPath === 'string') config.replace = { uri: rewrite.path.replaceFullPath };
          else if (rewrite.path.type === 'ReplacePrefixMatch' && (rewrite.path.replacePrefixMatch === '/' || rewrite.path.replacePrefixMatch === '')) kongRoute.strip_path = true;
          else state.report(route, 'URLRewrite ReplacePrefixMatch to a prefix other than / is not supported; filter skipped');
        }
        if (typeof rewrite.hostname === 'string') {
          kongRoute.preserve_host = false;
          config.replace = { ...(isObject(config.replace) ? config.replace : {}), headers: [`host:${rewrite.hostname}`] };
        }
        if (Object.keys(config).length > 0) out.push({ name: 'request-transformer', config });
        break;
      }
      case 'RequestRedirect': {
        const r = isObject(filter.requestRedirect) ? filter.requestRedirect : {};
        const scheme = asString(r.scheme) ?? 'http';
        const host = asString(r.hostname);
        if (host === undefined) {
          state.report(route, 'RequestRedirect without hostname is not supported; filter skipped');
          break;
        }
        const port = typeof r.port === 'number' ? `:${r.port}` : '';
        const path = isObject(r.path) && typeof r.path.replaceFullPath === 'string' ? r.path.replaceFullPath : '';
        out.push({
          name: 'redirect',
          config: { status_code: typeof r.statusCode === 'number' ? r.statusCode : 302, location: `${scheme}://${host}${port}${path}`, keep_incoming_path: path === '' },
        });
        break;
      }
      default:
        state.report(route, `filter ${filter.type} is not supported; skipped`);
    }
  }
  return out;
}

export interface RuleBackend {
  namespace: string;
  name: string;
  port: number;
  weight: number;
}

/** A rule's usable backends (others reported), or null when none is left. */
export function ruleBackends(state: TranslationState, route: K8sObject, rule: JsonObject, ruleIndex: number): RuleBackend[] | null {
  const backends: RuleBackend[] = [];
  for (const ref of asArray(rule.backendRefs)) {
    if (!isObject(ref) || typeof ref.name !== 'string') continue;
    if (ref.kind !== undefined && ref.kind !== 'Service') {
      state.report(route, `backendRef kind ${String(ref.kind)} is not supported; skipped`);
      continue;
    }
    const ns = asString(ref.namespace) ?? route.metadata.namespace;
    if (!referenceAllowed(state, route, ns, ref.name)) {
      state.report(route, `backendRef to Service ${ns}/${ref.name} needs a ReferenceGrant in ${ns}; skipped`);
      continue;
    }
    if (typeof ref.port !== 'number') {
      state.report(route, `backendRef to Service ${ns}/${ref.name} has no port; skipped`);
      continue;
    }
    backends.push({ namespace: ns, name: ref.name, port: ref.port, weight: typeof ref.weight === 'number' ? ref.weight : 1 });
  }
  if (backends.length === 0) {
    state.report(route, `rule ${ruleIndex} has no usable backend; skipped`);
    return null;
  }
  return backends;
}

interface MatchGroup {
  paths: string[];
  headers: Record<string, string[]>;
  methods: string[];
}

/** A rule's matches grouped: matches that differ only by path share one Kong route. */
function addMatches(state: TranslationState, route: K8sObject, rule: JsonObject, ruleIndex: number, grpc: boolean, groups: Map<string, MatchGroup>): void {
  const matches = asArray(rule.matches);
  for (const match of matches.length === 0 ? [{}] : matches) {
    if (!isObject(match)) continue;
    let paths: string[] | null;
    if (grpc) {
      const method = isObject(match.method) ? match.method : {};
      const svc = asString(method.service);
      const m = asString(method.method);
      paths = svc === undefined ? ['/'] : [m === undefined ? `/${svc}/` : `~/${svc}/${m}$`];
    } else paths = gatewayPaths(match);
    if (paths === null) {
      state.report(route, `rule ${ruleIndex}: path match type is not supported; skipped`);
      continue;
    }
    if (asArray(match.queryParams).length > 0) state.report(route, `rule ${ruleIndex}: query parameter matches need the expressions router; ignored`);
    const headers: Record<string, string[]> = {};
    for (const h of asArray(match.headers)) {
      if (!isObject(h) || typeof h.name !== 'string' || typeof h.value !== 'string') continue;
      headers[h.name.toLowerCase()] = [h.type === 'RegularExpression' ? `~*${h.value}` : h.value];
    }
    const methods = typeof match.method === 'string' && !grpc ? [match.method] : [];
    const key = JSON.stringify([headers, methods]);
    const group = groups.get(key);
    if (group === undefined) groups.set(key, { paths: [...paths], headers, methods });
    else group.paths.push(...paths);
  }
}

/** Plugins of the rule's filters and of the route's annotation, on one Kong route. */
function routePlugins(state: TranslationState, route: K8sObject, registry: PluginSchemaRegistry, plugins: Entity[], kongRoute: Entity): void {
  for (const plugin of plugins) {
    const entity = { ...plugin, tags: tagsFor(route) };
    const checked = validateEntity('plugins', entity, { plugins: registry });
    if (!checked.ok) state.report(route, `filter plugin ${String(plugin.name)}: ${JSON.stringify(checked.errors)}; skipped`);
    else state.plugins.push({ ...entity, route: kongRoute.name });
  }
  attachPlugins(state, route, { route: kongRoute.name as string }, registry);
}

/** The expressions router's routes of the rules `rules` of `route`, on `service`. */
function expressionRoutes(state: TranslationState, route: K8sObject, registry: PluginSchemaRegistry, rules: number[], filters: Json[], service: KongService, priorities: ReadonlyMap<string, number>): void {
  const snis = (route.metadata.annotations['konghq.com/snis'] ?? '').split(',').map((x) => x.trim()).filter((x) => x !== '');
  const reported = new Set<string>();
  for (const split of splitHttpRoute(route)) {
    if (!rules.includes(split.ruleIndex)) continue;
    const kongRoute: Entity = {
      name: `httproute.${route.metadata.namespace}.${route.metadata.name}.${split.hostname === '' ? '_' : split.hostname.replaceAll('*', '_')}.${split.ruleIndex}.${split.matchIndex}`,
      protocols: ['http', 'https'],
      strip_path: false,
      preserve_host: true,
      request_buffering: true,
      response_buffering: true,
      https_redirect_status_code: 426,
      expression: splitExpression(split, snis),
      priority: priorities.get(splitKey(split)) ?? 0,
      tags: tagsFor(route),
    };
    const plugins = filterPlugins(state, route, filters, kongRoute);
    applyRouteAnnotations(state, route, kongRoute);
    // The expression already holds the SNIs; traditional match fields cannot stand beside an expression.
    delete kongRoute.snis;
    for (const key of ['methods', 'hosts', 'headers', 'paths']) {
      if (kongRoute[key] === undefined) continue;
      delete kongRoute[key];
      if (!reported.has(key)) state.report(route, `the annotation setting route ${key} does not apply to expression routes (router_flavor = expressions); ignored`);
      reported.add(key);
    }
    state.routeNames.add(kongRoute.name as string);
    service.routes.push(kongRoute);
    routePlugins(state, route, registry, plugins, kongRoute);
  }
}

function translateRoute(state: TranslationState, route: K8sObject, registry: PluginSchemaRegistry, grpc: boolean, priorities: ReadonlyMap<string, number> | null): void {
  const kind = grpc ? 'grpcroute' : 'httproute';
  const { namespace, name } = route.metadata;
  const hostnames = asArray(field(route, 'spec.hostnames')).filter((h): h is string => typeof h === 'string');
  // Rules with the same backends and filters share one Kong service (named after the first), as in KIC.
  const merged = new Map<string, { ruleIndex: number; rules: number[]; backends: RuleBackend[]; filters: Json[]; groups: Map<string, MatchGroup> }>();
  asArray(field(route, 'spec.rules')).forEach((rule, ruleIndex) => {
    if (!isObject(rule)) return;
    const backends = ruleBackends(state, route, rule, ruleIndex);
    if (backends === null) return;
    const filters = asArray(rule.filters);
    const key = JSON.stringify([backends, filters]);
    let entry = merged.get(key);
    if (entry === undefined) {
      entry = { ruleIndex, rules: [], backends, filters, groups: new Map() };
      merged.set(key, entry);
    }
    entry.rules.push(ruleIndex);
    if (priorities === null || grpc) addMatches(state, route, rule, ruleIndex, grpc, entry.groups);
  });
  for (const { ruleIndex, rules, backends, filters, groups } of merged.values()) {
    const serviceName = `${kind}.${namespace}.${name}.${ruleIndex}`;
    weightedUpstream(state, route, serviceName, backends);
    const service: KongService = {
      name: serviceName,
      host: serviceName,
      port: backends[backends.length - 1].port,
      protocol: grpc ? 'grpc' : 'http',
      // A gRPC service has no path (the schema refuses one).
      ...(grpc ? {} : { path: '/' }),
      connect_timeout: 60000,
      read_timeout: 60000,
      write_timeout: 60000,
      retries: 5,
      tags: tagsFor(route),
      routes: [],
    };
    // KIC applies the annotations of every backend Service to the rule's service, in the order of their names.
    const owners = backends.map((b) => state.find('Service', b.namespace, b.name)).filter((x): x is K8sObject => x !== undefined)
      .sort((x, y) => `${x.metadata.namespace}/${x.metadata.name}`.localeCompare(`${y.metadata.namespace}/${y.metadata.name}`));
    for (const owner of owners) applyServiceAnnotations(state, owner, service);
    for (const owner of owners) applyServiceTls(state, owner, service);
    state.services.set(serviceName, service);
    if (priorities !== null && !grpc) {
      expressionRoutes(state, route, registry, rules, filters, service, priorities);
      continue;
    }
    let matchIndex = 0;
    for (const group of groups.values()) {
      const kongRoute: Entity = {
        name: `${serviceName}.${matchIndex++}`,
        protocols: grpc ? ['grpc', 'grpcs'] : ['http', 'https'],
        strip_path: false,
        preserve_host: true,
        regex_priority: 0,
        request_buffering: true,
        response_buffering: true,
        https_redirect_status_code: 426,
        path_handling: 'v0',
        paths: group.paths,
        tags: tagsFor(route),
      };
      if (hostnames.length > 0) kongRoute.hosts = hostnames;
      if (Object.keys(group.headers).length > 0) kongRoute.headers = group.headers;
      if (group.methods.length > 0) kongRoute.methods = group.methods;
      const plugins = filterPlugins(state, route, filters, kongRoute);
      applyRouteAnnotations(state, route, kongRoute);
      state.routeNames.add(kongRoute.name as string);
      service.routes.push(kongRoute);
      routePlugins(state, route, registry, plugins, kongRoute);
    }
  }
}

export function translateGatewayApi(state: TranslationState, registry: PluginSchemaRegistry, expressions: boolean): void {
  const httpRoutes = state.all('HTTPRoute').filter((r) => acceptedByParent(state, r));
  const priorities = expressions ? httpRoutePriorities(httpRoutes) : null;
  for (const route of httpRoutes) translateRoute(state, route, registry, false, priorities);
  for (const route of state.all('GRPCRoute')) if (acceptedByParent(state, route)) translateRoute(state, route, registry, true, null);
}
