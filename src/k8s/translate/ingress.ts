/**
 * networking.k8s.io/v1 Ingress, KIC's way: one Kong route per Ingress, host and backend (Service and port),
 * named `<namespace>.<ingress>.<service>.<host>.<port>`, with KIC's defaults (strip_path false, preserve_host
 * true) and its path rules (Exact `/a` → `~/a$`; Prefix `/a` → `/a/` and `~/a$`; ImplementationSpecific as
 * written, `/~` marking a regex); a default backend becomes a catch-all route; TLS sections become certificates
 * with their hosts as SNIs.
 */
import type { PluginSchemaRegistry } from '../../schema/index.ts';
import { isObject, type Json, type K8sObject } from '../objects.ts';
import { applyKongIngress, applyRouteAnnotations, kongIngressFor, PREFIX } from './annotations.ts';
import { kongServiceFor, portRefOf, type PortRef } from './backends.ts';
import { attachPlugins } from './plugins.ts';
import { certificateFor } from './service-tls.ts';
import { asArray, asString, field, tagsFor, type Entity, type TranslationState } from './state.ts';

const KONG_REGEX_PREFIX = '~';
const CONTROLLER_REGEX_PREFIX = '/~';

/** Kong paths for one Ingress path (KIC's PathsFromIngressPaths). */
export function ingressPaths(path: string | undefined, pathType: string | undefined): string[] {
  const value = path ?? '';
  switch (pathType) {
    case 'Prefix': {
      const base = value.replace(/^\/+|\/+$/g, '');
      return base === '' ? ['/'] : [`/${base}/`, `${KONG_REGEX_PREFIX}/${base}$`];
    }
    case 'Exact':
      return [`${KONG_REGEX_PREFIX}/${value.replace(/^\/+/, '')}$`];
    case 'ImplementationSpecific':
    case undefined:
      return [value === '' ? '/' : value];
    default:
      return [];
  }
}

/** KIC's regex marker: a path starting with `/~` (or the Ingress's own `konghq.com/regex-prefix`) is a regex. */
function withRegexPrefix(ingress: K8sObject, path: string): string {
  const prefix = ingress.metadata.annotations[`${PREFIX}regex-prefix`] ?? CONTROLLER_REGEX_PREFIX;
  return path.startsWith(prefix) ? KONG_REGEX_PREFIX + path.slice(prefix.length) : path;
}

interface Backend {
  name: string;
  port: PortRef;
}

function backendOf(value: Json | undefined): Backend | null {
  if (!isObject(value) || !isObject(value.service) || typeof value.service.name !== 'string') return null;
  const port = portRefOf(value.service.port);
  return port === null ? null : { name: value.service.name, port };
}

function portString(port: PortRef): string {
  return 'number' in port ? String(port.number) : port.name;
}

function baseRoute(ingress: K8sObject, name: string): Entity {
  return {
    name,
    strip_path: false,
    preserve_host: true,
    protocols: ['http', 'https'],
    regex_priority: 0,
    request_buffering: true,
    response_buffering: true,
    https_redirect_status_code: 426,
    path_handling: 'v0',
    tags: tagsFor(ingress),
  };
}

function addRoute(state: TranslationState, ingress: K8sObject, route: Entity, backend: Backend, registry: PluginSchemaRegistry): void {
  const service = kongServiceFor(state, ingress, ingress.metadata.namespace, backend.name, backend.port);
  if (service === null) return;
  applyKongIngress(kongIngressFor(state, ingress), 'route', route);
  applyRouteAnnotations(state, ingress, route);
  const name = route.name as string;
  if (state.routeNames.has(name)) {
    state.report(ingress, `route ${name} is defined twice; the second is skipped`);
    return;
  }
  state.routeNames.add(name);
  service.routes.push(route);
  attachPlugins(state, ingress, { route: name }, registry);
}

/** An Ingress's (or TCPIngress's) `spec.tls`: certificates from its Secrets, served for its hosts. */
export function translateTls(state: TranslationState, ingress: K8sObject): void {
  for (const tls of asArray(field(ingress, 'spec.tls'))) {
    if (!isObject(tls)) continue;
    const secretName = asString(tls.secretName);
    if (secretName === undefined) continue;
    const key = `${ingress.metadata.namespace}/${secretName}`;
    const secret = state.find('Secret', ingress.metadata.namespace, secretName);
    if (secret === undefined) {
      state.report(ingress, `TLS Secret ${key} is not in the input; its hosts get no certificate`);
      continue;
    }
    const certificate = certificateFor(state, secret);
    if (typeof certificate === 'string') {
      state.report(ingress, `TLS ${certificate}; skipped`);
      continue;
    }
    for (const host of asArray(tls.hosts)) {
      if (typeof host !== 'string') continue;
      const owner = state.snis.get(host);
      if (owner === undefined) {
        state.snis.set(host, key);
        certificate.snis.push({ name: host });
      } else if (owner !== key) {
        state.report(ingress, `SNI ${host} already has the certificate of Secret ${owner}; ${key} is not used for it`);
      }
    }
  }
}

export function translateIngresses(state: TranslationState, registry: PluginSchemaRegistry, inClass: (o: K8sObject) => boolean): void {
  for (const ingress of state.all('Ingress')) {
    if (!ingress.apiVersion.startsWith('networking.k8s.io/') || !inClass(ingress)) continue;
    const namespace = ingress.metadata.namespace;
    translateTls(state, ingress);
    for (const rule of asArray(field(ingress, 'spec.rules'))) {
      if (!isObject(rule)) continue;
      const host = asString(rule.host) ?? '';
      // One route per host and backend: its paths gathered in order.
      const groups = new Map<string, { backend: Backend; paths: string[] }>();
      for (const p of asArray(isObject(rule.http) ? rule.http.paths : undefined)) {
        if (!isObject(p)) continue;
        const backend = backendOf(p.backend);
        if (backend === null) {
          state.report(ingress, `a path of host '${host}' has no Service backend (resource backends are not supported); skipped`);
          continue;
        }
        const pathType = asString(p.pathType);
        const paths = ingressPaths(asString(p.path), pathType).map((x) => withRegexPrefix(ingress, x));
        if (paths.length === 0) {
          state.report(ingress, `pathType '${pathType}' is not Exact, Prefix or ImplementationSpecific; skipped`);
          continue;
        }
        const key = `${backend.name}\u0000${portString(backend.port)}`;
        const group = groups.get(key);
        if (group === undefined) groups.set(key, { backend, paths });
        else group.paths.push(...paths);
      }
      for (const { backend, paths } of groups.values()) {
        // '*' cannot appear in a route name: KIC writes '_'.
        const name = `${namespace}.${ingress.metadata.name}.${backend.name}.${host.replaceAll('*', '_')}.${portString(backend.port)}`;
        const route = baseRoute(ingress, name);
        if (host !== '') route.hosts = [host];
        route.paths = paths;
        addRoute(state, ingress, route, backend, registry);
      }
    }
    const fallback = backendOf(field(ingress, 'spec.defaultBackend'));
    if (fallback !== null) {
      const route = baseRoute(ingress, `${namespace}.${ingress.metadata.name}`);
      route.paths = ['/'];
      addRoute(state, ingress, route, fallback, registry);
    }
  }
}
