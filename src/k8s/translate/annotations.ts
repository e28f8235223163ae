/**
 * KIC's `konghq.com/*` annotations for routes (on Ingress and Gateway API routes) and services (on Kubernetes
 * Services), and the deprecated KongIngress overrides. A value that does not parse is reported and ignored,
 * leaving KIC's default.
 */
import { isObject, type K8sObject } from '../objects.ts';
import { field, snakeKeys, type Entity, type TranslationState } from './state.ts';

export const PREFIX = 'konghq.com/';

const HTTP_METHODS = /^[A-Z]+$/;
const PROTOCOLS = new Set(['http', 'https', 'grpc', 'grpcs', 'tcp', 'tls', 'udp', 'tls_passthrough', 'ws', 'wss']);
const PATH_HANDLING = new Set(['v0', 'v1']);
const REDIRECT_CODES = new Set([426, 301, 302, 307, 308]);

function list(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function bool(value: string): boolean | null {
  const v = value.trim().toLowerCase();
  return v === 'true' ? true : v === 'false' ? false : null;
}

function integer(value: string, min: number, max: number): number | null {
  if (!/^-?\d+$/.test(value.trim())) return null;
  const n = Number(value.trim());
  return n >= min && n <= max ? n : null;
}

/** Applies route annotations of `owner` to `route`. */
export function applyRouteAnnotations(state: TranslationState, owner: K8sObject, route: Entity): void {
  const a = owner.metadata.annotations;
  const bad = (key: string, why: string): void => state.report(owner, `annotation ${PREFIX}${key}: ${why}; ignored`);
  for (const [full, value] of Object.entries(a)) {
    if (!full.startsWith(PREFIX)) continue;
    const key = full.slice(PREFIX.length);
    switch (key) {
      case 'strip-path':
      case 'preserve-host':
      case 'request-buffering':
      case 'response-buffering': {
        const b = bool(value);
        if (b === null) bad(key, `'${value}' is not true or false`);
        else route[key.replace('-', '_')] = b;
        break;
      }
      case 'methods': {
        const methods = list(value).map((m) => m.toUpperCase());
        if (methods.some((m) => !HTTP_METHODS.test(m))) bad(key, `'${value}' is not a list of HTTP methods`);
        else route.methods = methods;
        break;
      }
      case 'protocols': {
        const protocols = list(value).map((p) => p.toLowerCase());
        if (protocols.length === 0 || protocols.some((p) => !PROTOCOLS.has(p))) bad(key, `'${value}' names an unknown protocol`);
        else route.protocols = protocols;
        break;
      }
      case 'snis':
        route.snis = list(value);
        break;
      case 'host-aliases': {
        const hosts = (route.hosts as string[] | undefined) ?? [];
        for (const h of list(value)) if (!hosts.includes(h)) hosts.push(h);
        if (hosts.length > 0) route.hosts = hosts;
        break;
      }
      case 'https-redirect-status-code': {
        const code = integer(value, 0, 999);
        if (code === null || !REDIRECT_CODES.has(code)) bad(key, `'${value}' is not one of 426, 301, 302, 307, 308`);
        else route.https_redirect_status_code = code;
        break;
      }
      case 'regex-priority': {
        const n = integer(value, -2147483648, 2147483647);
        if (n === null) bad(key, `'${value}' is not an integer`);
        else route.regex_priority = n;
        break;
      }
      case 'path-handling':
        if (!PATH_HANDLING.has(value.trim())) bad(key, `'${value}' is not v0 or v1`);
        else route.path_handling = value.trim();
        break;
      case 'tags':
        route.tags = [...((route.tags as string[]) ?? []), ...list(value)];
        break;
      default:
        if (key.startsWith('headers.')) {
          const name = key.slice('headers.'.length);
          const headers = (route.headers as Record<string, string[]> | undefined) ?? {};
          headers[name] = list(value);
          route.headers = headers;
        }
    }
  }
}

/** Applies service annotations of a Kubernetes Service to the Kong service made from it. */
export function applyServiceAnnotations(state: TranslationState, owner: K8sObject, service: Entity): void {
  const a = owner.metadata.annotations;
  const bad = (key: string, why: string): void => state.report(owner, `annotation ${PREFIX}${key}: ${why}; ignored`);
  for (const [full, value] of Object.entries(a)) {
    if (!full.startsWith(PREFIX)) continue;
    const key = full.slice(PREFIX.length);
    switch (key) {
      case 'protocol': {
        const p = value.trim().toLowerCase();
        if (!['http', 'https', 'grpc', 'grpcs', 'tcp', 'tls', 'udp', 'ws', 'wss'].includes(p)) bad(key, `'${value}' is not a service protocol`);
        else service.protocol = p;
        break;
      }
      case 'path':
        if (!value.startsWith('/')) bad(key, `'${value}' must start with /`);
        else service.path = value;
        break;
      case 'connect-timeout':
      case 'read-timeout':
      case 'write-timeout': {
        const n = integer(value, 1, 2147483646);
        if (n === null) bad(key, `'${value}' is not a number of milliseconds`);
        else service[key.replace('-', '_')] = n;
        break;
      }
      case 'retries': {
        const n = integer(value, 0, 32767);
        if (n === null) bad(key, `'${value}' is not an integer between 0 and 32767`);
        else service.retries = n;
        break;
      }
      case 'tls-verify': {
        const b = bool(value);
        if (b === null) bad(key, `'${value}' is not true or false`);
        else service.tls_verify = b;
        break;
      }
      case 'tls-verify-depth': {
        const n = integer(value, 0, 64);
        if (n === null) bad(key, `'${value}' is not an integer between 0 and 64`);
        else service.tls_verify_depth = n;
        break;
      }
      case 'tags':
        service.tags = [...((service.tags as string[]) ?? []), ...list(value)];
        break;
    }
  }
}

/** The deprecated KongIngress named by `konghq.com/override`, if any (reported when missing). */
export function kongIngressFor(state: TranslationState, owner: K8sObject): K8sObject | undefined {
  const name = owner.metadata.annotations[`${PREFIX}override`];
  if (name === undefined) return undefined;
  const found = state.find('KongIngress', owner.metadata.namespace, name);
  if (found === undefined) state.report(owner, `annotation ${PREFIX}override: no KongIngress '${name}' in namespace ${owner.metadata.namespace}`);
  return found;
}

const ROUTE_OVERRIDES = ['methods', 'headers', 'protocols', 'regex_priority', 'strip_path', 'preserve_host', 'https_redirect_status_code', 'path_handling', 'snis', 'request_buffering', 'response_buffering'];
const SERVICE_OVERRIDES = ['protocol', 'path', 'retries', 'connect_timeout', 'read_timeout', 'write_timeout'];

/** Copies a KongIngress section's fields (`route` or `proxy`) onto an entity. */
export function applyKongIngress(kongIngress: K8sObject | undefined, section: 'route' | 'proxy', entity: Entity): void {
  if (kongIngress === undefined) return;
  const value = field(kongIngress, section);
  if (!isObject(value)) return;
  const fields = snakeKeys(value) as Record<string, unknown>;
  for (const key of section === 'route' ? ROUTE_OVERRIDES : SERVICE_OVERRIDES) if (fields[key] !== undefined && fields[key] !== null) entity[key] = fields[key];
}
