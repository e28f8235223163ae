/**
 * cors: answers CORS preflight requests and adds the CORS headers to other responses, as Kong's plugin does.
 * A preflight (OPTIONS with Origin and Access-Control-Request-Method) is answered 200 with no body in
 * access, unless `preflight_continue` sends it upstream; other responses get Access-Control-Allow-Origin,
 * -Allow-Credentials and -Expose-Headers in header_filter. Whenever the answer depends on the Origin, the
 * response carries `Vary: Origin` (added to the upstream's Vary, set on a preflight answer).
 */
import type { Kong, PluginHandler } from '../../pdk/index.ts';
import { compileOrigins, matchOrigin, type OriginPolicy } from './origins.ts';
import { CORS_METHODS, type CorsConfig } from './schema.ts';

/** The configuration as the phases read it. */
export interface CorsConf {
  readonly origins: OriginPolicy;
  /** Access-Control-Allow-Headers, or null: echo the request's Access-Control-Request-Headers. */
  readonly allowHeaders: string | null;
  readonly exposedHeaders: string | null;
  readonly allowMethods: string;
  readonly maxAge: string | null;
  readonly credentials: boolean;
  readonly privateNetwork: boolean;
  readonly preflightContinue: boolean;
  readonly allowOriginAbsent: boolean;
}

function joined(list: readonly string[] | null | undefined): string | null {
  return list === null || list === undefined || list.length === 0 ? null : list.join(',');
}

function prepare(config: CorsConfig): CorsConf {
  return {
    origins: compileOrigins(config.origins),
    allowHeaders: joined(config.headers),
    exposedHeaders: joined(config.exposed_headers),
    allowMethods: (config.methods ?? CORS_METHODS).join(','),
    maxAge: config.max_age === null || config.max_age === undefined ? null : String(config.max_age),
    credentials: config.credentials,
    privateNetwork: config.private_network,
    preflightContinue: config.preflight_continue,
    allowOriginAbsent: config.allow_origin_absent,
  };
}

function isProvided(origin: string | undefined): origin is string {
  return origin !== undefined && origin !== '';
}

/** Vary: Origin, replacing (a preflight answer) or added to (a response's own Vary) what is there. */
function varyOnOrigin(kong: Kong, append: boolean): void {
  if (append) kong.response.addHeader('Vary', 'Origin');
  else kong.response.setHeader('Vary', 'Origin');
}

/** Sets Access-Control-Allow-Origin; returns whether every origin is allowed (`*`). */
function allowOrigin(kong: Kong, conf: CorsConf, append: boolean, origin: string | undefined): boolean {
  const policy = conf.origins;
  if (policy.kind === 'any') {
    kong.response.setHeader('Access-Control-Allow-Origin', '*');
    return true;
  }
  // The answer depends on the Origin, so caches must key on it.
  varyOnOrigin(kong, append);
  if (policy.kind === 'fixed') {
    kong.response.setHeader('Access-Control-Allow-Origin', policy.value);
    return false;
  }
  if (isProvided(origin)) {
    if (policy.wildcard) {
      kong.response.setHeader('Access-Control-Allow-Origin', '*');
      return true;
    }
    const allowed = matchOrigin(policy, origin);
    if (allowed !== null) {
      kong.response.setHeader('Access-Control-Allow-Origin', allowed);
      return false;
    }
  }
  kong.response.clearHeader('Access-Control-Allow-Origin');
  return false;
}

function allowCredentials(kong: Kong, conf: CorsConf, allowAll: boolean, append: boolean, origin: string | undefined): void {
  if (!conf.credentials) return;
  if (!allowAll) {
    kong.response.setHeader('Access-Control-Allow-Credentials', 'true');
    return;
  }
  // Browsers refuse credentials with `*`: answer with the request's own Origin instead.
  if (isProvided(origin)) {
    varyOnOrigin(kong, append);
    kong.response.setHeader('Access-Control-Allow-Origin', origin);
    kong.response.setHeader('Access-Control-Allow-Credentials', 'true');
  }
}

function access(kong: Kong, conf: CorsConf): void {
  const origin = kong.request.getHeader('origin');
  if (kong.request.getMethod() !== 'OPTIONS' || !isProvided(origin) || kong.request.getHeader('access-control-request-method') === undefined) return;
  // A preflight: its headers are all set here (or left to the upstream), none in header_filter.
  kong.ctx.plugin.preflight = true;
  if (conf.preflightContinue) return;

  const allowAll = allowOrigin(kong, conf, false, origin);
  allowCredentials(kong, conf, allowAll, false, origin);
  const requested = kong.request.getHeader('access-control-request-headers');
  const allowHeaders = conf.allowHeaders ?? requested;
  if (allowHeaders !== undefined) kong.response.setHeader('Access-Control-Allow-Headers', allowHeaders);
  else kong.response.clearHeader('Access-Control-Allow-Headers');
  kong.response.setHeader('Access-Control-Allow-Methods', conf.allowMethods);
  if (conf.maxAge !== null) kong.response.setHeader('Access-Control-Max-Age', conf.maxAge);
  if (conf.privateNetwork && kong.request.getHeader('access-control-request-private-network') === 'true') {
    kong.response.setHeader('Access-Control-Allow-Private-Network', 'true');
  }
  kong.response.exit(200);
}

function header_filter(kong: Kong, conf: CorsConf): void {
  if (kong.ctx.plugin.preflight === true) return;
  const origin = kong.request.getHeader('origin');
  if (!isProvided(origin) && !conf.allowOriginAbsent) return;
  const allowAll = allowOrigin(kong, conf, true, origin);
  allowCredentials(kong, conf, allowAll, true, origin);
  if (conf.exposedHeaders !== null) kong.response.setHeader('Access-Control-Expose-Headers', conf.exposedHeaders);
}

export const corsHandler: PluginHandler<CorsConf, CorsConfig> = {
  name: 'cors',
  priority: 2000,
  version: '3.10.0',
  prepare,
  access,
  header_filter,
};
