/**
 * Where Kong's JavaScript PDK answers differently from Tollgate's PDK, or has functions Tollgate's PDK lacks.
 *
 * A Kong JavaScript plugin does not see Kong's Lua PDK directly: each call crosses the plugin server's
 * MessagePack bridge, which shapes the answers (Kong's `plugin_servers/rpc/mp_rpc.lua` and
 * `plugin_servers/plugin.lua`):
 * - only a function's first return value crosses, so `[value, err]` pairs of the type definitions arrive as
 *   `value` (null on failure); `getBody` on an unreadable body resolves null instead of failing;
 * - raw bodies arrive as bytes (see textual-bytes.ts for how text-minded plugins keep working);
 * - header and query maps arrive with every value as an array (`{ accept: ['*\/*'] }`, a flag argument `[]`);
 * - `kong.log.serialize()` arrives as JSON text;
 * - the bridge adds `kong.nginx.get_var`, `get_ctx`/`set_ctx`, `req_start_time` and `get_tls1_version_str`.
 *
 * Each entry here takes precedence over the Tollgate PDK function of the same path. Functions the bridge
 * exposes that Tollgate cannot honour are not here, so they reject with a message naming them.
 */
import type { ClientTlsInfo, Kong } from '../../pdk/kong.ts';
import type { QueryValue } from '../../pdk/query.ts';
import { isReference, parseReference } from '../../core/vault-reference.ts';
import { readSecret } from '../../core/vault-backends.ts';
import { textualBytes } from './textual-bytes.ts';

/** What a call knows beyond the request: the plugin entity it runs for. */
export interface JsCallScope {
  readonly pluginName: string;
  /** The plugin entity's id (`kong.plugin.get_id`). */
  readonly pluginId: string | null;
}

type SurfaceFn = (kong: Kong, scope: JsCallScope, args: readonly unknown[]) => unknown;

/** A multi-value map as the bridge sends it: every value an array, a flag (`true`) an empty one. */
export function multiMap(map: Readonly<Record<string, QueryValue | string | string[]>>): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const [name, value] of Object.entries(map)) {
    out[name] = value === true ? [] : Array.isArray(value) ? [...value] : [value];
  }
  return out;
}

/** Kong's memory figures: whole bytes for unit `b` (the default), else `KiB`/`MiB`/`GiB` text with `scale` decimals. */
export function bytesToString(bytes: number, unit?: unknown, scale?: unknown): string | number {
  const u = unit === undefined || unit === null ? 'b' : String(unit).toLowerCase();
  if (u === 'b') return Math.floor(bytes);
  const decimals = scale === undefined || scale === null ? 2 : scale;
  if (typeof decimals !== 'number' || decimals < 0) throw new Error('scale must be equal or greater than 0');
  const power = u === 'k' ? 10 : u === 'm' ? 20 : u === 'g' ? 30 : -1;
  if (power < 0) throw new Error(`invalid unit '${String(unit)}' (expected 'k/K', 'm/M', or 'g/G')`);
  return `${(bytes / 2 ** power).toFixed(Math.trunc(decimals))} ${u === 'k' ? 'KiB' : u === 'm' ? 'MiB' : 'GiB'}`;
}

/** Kong's `ngx.ctx` key for `set_client_verify`, which the log record's `request.tls.client_verify` reports. */
const CLIENT_VERIFY_OVERRIDE = 'CLIENT_VERIFY_OVERRIDE';

/** `ngx.ctx` of each request: keyed by the request's `kong.ctx.shared`, which lives exactly as long. */
const NGX_CTX = new WeakMap<object, Record<string, unknown>>();

function ngxCtx(kong: Kong): Record<string, unknown> {
  let ctx = NGX_CTX.get(kong.ctx.shared);
  if (ctx === undefined) NGX_CTX.set(kong.ctx.shared, (ctx = Object.create(null) as Record<string, unknown>));
  return ctx;
}

function clientTls(kong: Kong): ClientTlsInfo | null {
  return kong.client.getTlsInfo();
}

function firstValue(value: string | string[] | undefined): string | null {
  if (value === undefined) return null;
  return Array.isArray(value) ? (value[0] ?? null) : value;
}

function cookie(kong: Kong, name: string): string | null {
  const header = kong.request.getHeader('cookie');
  if (header === undefined) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

/**
 * `ngx.var[name]` for the variables a plugin can mean on Tollgate: the request line, headers (`http_*`),
 * arguments (`arg_*`), cookies (`cookie_*`), the client and server addresses, TLS and the request id. Unknown
 * names give null, as nginx gives nil.
 */
export function nginxVar(kong: Kong, name: unknown): string | null {
  if (typeof name !== 'string') return null;
  const req = kong.request;
  if (name.startsWith('http_')) return firstValue(req.getHeaders(1000)[name.slice(5).replace(/_/g, '-')]);
  if (name.startsWith('arg_')) {
    const value = req.getQueryArg(name.slice(4));
    const first = Array.isArray(value) ? value[0] : value;
    return first === undefined ? null : first === true ? '' : first;
  }
  if (name.startsWith('cookie_')) return cookie(kong, name.slice(7));
  switch (name) {
    case 'request_method':
      return req.getMethod();
    case 'request_uri':
      return req.getPathWithQuery();
    case 'uri':
      return req.getPath();
    case 'args':
    case 'query_string':
      return req.getRawQuery();
    case 'is_args':
      return req.getRawQuery() === '' ? '' : '?';
    case 'scheme':
      return req.getScheme();
    case 'host':
      return req.getHost();
    case 'server_port':
      return String(req.getPort());
    case 'server_protocol':
      return `HTTP/${req.getHttpVersion() === 2 ? '2.0' : req.getHttpVersion().toFixed(1)}`;
    case 'https':
      return req.getScheme() === 'https' ? 'on' : '';
    case 'remote_addr':
    case 'binary_remote_addr':
      return kong.client.getIp();
    case 'realip_remote_addr':
      return kong.client.getForwardedIp();
    case 'remote_port':
      return String(kong.client.getPort());
    case 'realip_remote_port':
      return String(kong.client.getForwardedPort());
    case 'content_type':
      return req.getHeader('content-type') ?? null;
    case 'content_length':
      return req.getHeader('content-length') ?? null;
    case 'hostname':
      return kong.node.getHostname();
    case 'request_id':
    case 'kong_request_id':
      return req.getRequestId();
    case 'ssl_protocol':
      return clientTls(kong)?.version ?? null;
    case 'ssl_cipher':
      return clientTls(kong)?.cipher ?? null;
    case 'ssl_client_verify':
      return clientTls(kong)?.client_verify ?? null;
    case 'msec':
      return (Date.now() / 1000).toFixed(3);
    case 'request_time':
      return ((Date.now() - req.getStartTime()) / 1000).toFixed(3);
    default:
      return null;
  }
}

/** What Kong's `kong.vault.parse_reference` returns, from Tollgate's parser. */
function vaultParts(reference: unknown): Record<string, unknown> | null {
  if (typeof reference !== 'string') return null;
  const parsed = parseReference(reference);
  if (typeof parsed === 'string') return null;
  return {
    name: parsed.vault,
    resource: parsed.resource,
    ...(parsed.key !== null ? { key: parsed.key } : {}),
    ...(parsed.version !== null ? { version: parsed.version } : {}),
    ...(Object.keys(parsed.config).length > 0 ? { config: { ...parsed.config } } : {}),
  };
}

/**
 * A secret by reference. A plugin reaches the `env` backend directly (`{vault://env/NAME}`); a reference to a
 * vault entity's prefix gives null (Kong would answer nil with an error, which the bridge drops).
 */
function vaultGet(reference: unknown): string | null {
  if (typeof reference !== 'string') return null;
  const parsed = parseReference(reference);
  if (typeof parsed === 'string' || parsed.vault !== 'env') return null;
  const read = readSecret('env', {}, parsed, process.env);
  return read.ok ? read.value : null;
}

/** `kong.vault.update(options)`: the options with each resolvable reference replaced by its secret. */
function vaultUpdate(options: unknown): unknown {
  if (isReference(options)) return vaultGet(options) ?? options;
  if (Array.isArray(options)) return options.map(vaultUpdate);
  if (typeof options === 'object' && options !== null) {
    return Object.fromEntries(Object.entries(options).map(([k, v]) => [k, vaultUpdate(v)]));
  }
  return options;
}

const nothing = (): null => null;

/**
 * Kong's `kong.telemetry.log(plugin_name, plugin_config, message_type, message, attributes)`: a structured
 * line for the OpenTelemetry plugin's `logs_endpoint`. True when recorded; null (Kong's error, dropped by the
 * bridge) for bad arguments or when no OpenTelemetry plugin exports the request's logs.
 */
function telemetryLog(kong: Kong, scope: JsCallScope, [pluginName, pluginConfig, messageType, message, attributes]: readonly unknown[]): true | null {
  if (typeof pluginName !== 'string' || typeof pluginConfig !== 'object' || pluginConfig === null || typeof messageType !== 'string') return null;
  if (message !== undefined && message !== null && typeof message !== 'string') return null;
  if (attributes !== undefined && attributes !== null && (typeof attributes !== 'object' || Array.isArray(attributes))) return null;
  const attrs: Record<string, string | number | boolean> = {};
  for (const [key, value] of Object.entries((attributes ?? {}) as Record<string, unknown>)) {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') attrs[key] = value;
  }
  attrs['message.type'] = messageType;
  attrs['plugin.name'] = pluginName;
  if (scope.pluginId !== null) attrs['plugin.id'] = scope.pluginId;
  return kong.tracing.recordLog('warn', typeof message === 'string' ? message : '', attrs) ? true : null;
}

/** Entries by camelCase path below `kong.` (`request.getHeaders`). */
export const KONG_JS_SURFACE: ReadonlyMap<string, SurfaceFn> = new Map<string, SurfaceFn>([
  ['request.getRawBody', async (k) => textualBytes(await k.request.getRawBodyBytes())],
  ['service.response.getRawBody', (k) => textualBytes(k.service.response.getRawBody())],
  ['request.getHeaders', (k, _, [max]) => multiMap(k.request.getHeaders(max as number | undefined))],
  // Kong reads request headers through nginx's `$http_*` variables, so `x_custom` finds `X-Custom`.
  ['request.getHeader', (k, _, [name]) => k.request.getHeader(typeof name === 'string' ? name.replace(/_/g, '-') : (name as string))],
  // Kong's get_query_arg gives a repeated argument's first value.
  [
    'request.getQueryArg',
    (k, _, [name]) => {
      const value = k.request.getQueryArg(name as string);
      return Array.isArray(value) ? (value[0] ?? null) : value;
    },
  ],
  ['request.getQuery', (k, _, [max]) => multiMap(k.request.getQuery(max as number | undefined))],
  [
    'request.getBody',
    async (k, _, [mimetype, maxArgs]) => {
      // A body the node refuses (past a size bound) still fails the call; one that cannot be parsed is nil.
      await k.request.getRawBody();
      try {
        return await k.request.getBody(mimetype as never, maxArgs as number | undefined);
      } catch {
        return null;
      }
    },
  ],
  ['response.getHeaders', (k, _, [max]) => multiMap(k.response.getHeaders(max as number | undefined))],
  ['service.response.getHeaders', (k, _, [max]) => multiMap(k.service.response.getHeaders(max as number | undefined))],
  ['client.getConsumerGroup', (k) => k.client.getConsumerGroups()[0] ?? null],
  ['client.tls.getFullClientCertificateChain', (k) => k.client.getClientCertificateChain()],
  [
    'client.tls.setClientVerify',
    (k, _, [value]) => {
      if (typeof value !== 'string' || (value !== 'SUCCESS' && value !== 'NONE' && !value.startsWith('FAILED:'))) {
        throw new Error(`unknown client verify value: ${String(value)} accepted values are: "SUCCESS", "NONE" or "FAILED:<reason>"`);
      }
      ngxCtx(k)[CLIENT_VERIFY_OVERRIDE] = value;
      return null;
    },
  ],
  [
    'log.serialize',
    (k) => {
      const record = k.log.serialize();
      const override = ngxCtx(k)[CLIENT_VERIFY_OVERRIDE];
      const tls = (record.request as { tls?: Record<string, unknown> }).tls;
      if (typeof override === 'string' && tls !== undefined) tls.client_verify = override;
      return JSON.stringify(record);
    },
  ],
  ['log.deprecation', (k, _, args) => k.log.warn('deprecation: ', ...args)],
  [
    'node.getMemoryStats',
    (k, _, [unit, scale]) => {
      bytesToString(0, unit, scale);
      const stats = k.node.getMemoryStats() as { workers_lua_vms?: Record<string, unknown>[]; lua_shared_dicts?: Record<string, Record<string, unknown>> };
      const convert = (value: unknown) => (typeof value === 'number' ? bytesToString(value, unit, scale) : value);
      return {
        ...stats,
        workers_lua_vms: (stats.workers_lua_vms ?? []).map((vm) => ({ ...vm, http_allocated_gc: convert(vm.http_allocated_gc) })),
        lua_shared_dicts: Object.fromEntries(
          Object.entries(stats.lua_shared_dicts ?? {}).map(([name, dict]) => [name, { capacity: convert(dict.capacity), allocated_slabs: convert(dict.allocated_slabs) }]),
        ),
      };
    },
  ],
  ['cluster.getId', (k) => k.node.getId()],
  ['plugin.getId', (_, scope) => scope.pluginId],
  ['nginx.getSubsystem', () => 'http'],
  ['nginx.reqStartTime', (k) => k.request.getStartTime() / 1000],
  ['nginx.getVar', (k, _, [name]) => nginxVar(k, name)],
  ['nginx.getTls1VersionStr', (k) => clientTls(k)?.version ?? null],
  ['nginx.getCtx', (k, _, [key]) => ngxCtx(k)[String(key)] ?? null],
  [
    'nginx.setCtx',
    (k, _, [key, value]) => {
      ngxCtx(k)[String(key)] = value;
      return null;
    },
  ],
  // Kong's HTTP subsystem allows this in the balancer phase only, which external plugins never run in.
  [
    'service.request.disableTls',
    (k) => {
      throw new Error(`kong.service.request.disable_tls cannot be called in the ${k.phase} phase`);
    },
  ],
  // No such table in Kong's Lua PDK: the bridge finds no method and answers nil.
  ['nginx.shared.get', nothing],
  ['nginx.shared.set', nothing],
  ['vault.isReference', (_, __, [reference]) => isReference(reference)],
  ['vault.parseReference', (_, __, [reference]) => vaultParts(reference)],
  ['vault.get', (_, __, [reference]) => vaultGet(reference)],
  ['vault.update', (_, __, [options]) => vaultUpdate(options)],
  // Tollgate reads secrets when asked and caches none, so there is nothing to flush, warm up or start.
  ['vault.flush', nothing],
  ['vault.warmup', nothing],
  ['vault.initWorker', nothing],
  ['telemetry.log', (k, scope, args) => telemetryLog(k, scope, args)],
]);

/** Namespaces (camelCase paths) holding at least one surface entry, so that `kong.nginx` exists. */
export const KONG_JS_NAMESPACES: ReadonlySet<string> = new Set(
  [...KONG_JS_SURFACE.keys()].flatMap((path) => {
    const parts = path.split('.');
    return parts.slice(1).map((_, i) => parts.slice(0, i + 1).join('.'));
  }),
);

/**
 * Functions Kong's JavaScript PDK declares that Kong's open-source Lua PDK does not have: Kong's bridge logs
 * "could not find pdk method" and the call resolves null. Tollgate does the same.
 */
export const KONG_JS_ENTERPRISE: ReadonlySet<string> = new Set(['enterpriseEdition.jwe.decode', 'enterpriseEdition.jwe.decrypt', 'enterpriseEdition.jwe.encrypt']);
