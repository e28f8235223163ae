/**
 * request-termination: answers every request of its route, service or consumer itself, with a fixed status
 * and body, a default `{"message"}` or (with `echo`) a JSON reflection of the request, as Kong's plugin does.
 * With `trigger` it only acts on requests carrying that header or query argument.
 */
import type { Kong, PluginHandler } from '../../pdk/index.ts';
import type { RequestTerminationConfig } from './schema.ts';

/** Kong's default messages by status; other statuses get no body unless `message` is set. */
const DEFAULT_MESSAGES: Readonly<Record<number, string>> = {
  401: 'Unauthorized',
  404: 'Not found',
  405: 'Method not allowed',
  500: 'An unexpected error occurred',
  502: 'Bad Gateway',
  503: 'Service unavailable',
};

export interface RequestTerminationConf {
  readonly status: number;
  /** The message of the default body and of the echo, or null (no body). */
  readonly message: string | null;
  /** The raw body and its headers, or null. */
  readonly body: string | null;
  readonly bodyHeaders: Readonly<Record<string, string>> | undefined;
  readonly echo: boolean;
  readonly trigger: string | null;
}

function prepare(config: RequestTerminationConfig): RequestTerminationConf {
  const body = config.body !== null && config.body !== undefined ? config.body : null;
  const contentType = config.content_type ?? null;
  return {
    status: config.status_code,
    message: config.message ?? DEFAULT_MESSAGES[config.status_code] ?? null,
    body,
    bodyHeaders: contentType === null || contentType === '' ? undefined : { 'Content-Type': contentType },
    echo: config.echo,
    trigger: config.trigger !== null && config.trigger !== undefined && config.trigger !== '' ? config.trigger : null,
  };
}

/** The request as JSON, as Kong's echo shows it (bodies that cannot be read or parsed are left out). */
async function echo(kong: Kong, conf: RequestTerminationConf): Promise<void> {
  let rawBody: string | undefined;
  let body: unknown;
  try {
    rawBody = await kong.request.getRawBody();
  } catch (err) {
    kong.log.info('request-termination: cannot read the request body for echo: ', err);
  }
  if (rawBody !== undefined && rawBody !== '') {
    try {
      body = await kong.request.getBody();
    } catch {
      // Not a body Kong's get_body understands: only raw_body is shown.
    }
  }
  const content = {
    message: conf.message ?? undefined,
    kong: { node_id: kong.node.getId(), worker_pid: process.pid, hostname: kong.node.getHostname() },
    request: {
      scheme: kong.request.getScheme(),
      host: kong.request.getHost(),
      port: kong.request.getPort(),
      headers: kong.request.getHeaders(),
      query: kong.request.getQuery(),
      body,
      raw_body: rawBody,
      method: kong.request.getMethod(),
      path: kong.request.getPath(),
      uri_captures: kong.request.getUriCaptures(),
    },
    matched_route: kong.router.getRoute() ?? undefined,
    matched_service: kong.router.getService() ?? undefined,
  };
  kong.response.exit(conf.status, content);
}

function access(kong: Kong, conf: RequestTerminationConf): void | Promise<void> {
  if (conf.trigger !== null && kong.request.getHeader(conf.trigger) === undefined && kong.request.getQueryArg(conf.trigger) === undefined) {
    return;
  }
  if (conf.echo) return echo(kong, conf);
  if (conf.body !== null) {
    kong.response.exit(conf.status, conf.body, conf.bodyHeaders);
    return;
  }
  kong.response.exit(conf.status, conf.message === null ? null : { message: conf.message });
}

export const requestTerminationHandler: PluginHandler<RequestTerminationConf, RequestTerminationConfig> = {
  name: 'request-termination',
  priority: 2,
  version: '3.10.0',
  prepare,
  access,
};
