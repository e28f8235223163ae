/**
 * redirect: answers with a redirect to `location`; with `keep_incoming_path`, the request's path and query
 * replace those of `location` (its scheme, host and port stay).
 */
import type { Kong, PluginHandler } from '../../pdk/index.ts';
import type { RedirectConfig } from './schema.ts';

export interface RedirectConf {
  readonly status: number;
  readonly location: string;
  /** `location` parsed once, when the request's path is kept; null otherwise. */
  readonly base: URL | null;
}

function prepare(config: RedirectConfig): RedirectConf {
  let base: URL | null = null;
  if (config.keep_incoming_path === true) {
    try {
      base = new URL(config.location);
    } catch {
      // The schema accepted it as a URL; if WHATWG parsing disagrees, the location is sent as configured.
    }
  }
  return { status: config.status_code, location: config.location, base };
}

/** `location` with the request's path and query. */
export function locationWithPath(base: URL, path: string, rawQuery: string): string {
  const url = new URL(base.href);
  url.pathname = path;
  url.search = rawQuery;
  return url.href;
}

function access(kong: Kong, conf: RedirectConf): void {
  const location = conf.base === null ? conf.location : locationWithPath(conf.base, kong.request.getPath(), kong.request.getRawQuery());
  kong.response.exit(conf.status, 'redirecting', { Location: location });
}

export const redirectHandler: PluginHandler<RedirectConf, RedirectConfig> = {
  name: 'redirect',
  priority: 779,
  version: '3.10.0',
  prepare,
  access,
};
