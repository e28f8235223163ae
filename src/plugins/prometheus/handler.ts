/**
 * prometheus: the log phase records each routed request into the node-wide metrics registry under Kong's names
 * (status codes, latencies, bandwidth), as the instance's flags ask. Label values for a route are worked out once
 * per route record (a new configuration brings new records) and reused, so a request costs a few map updates.
 */
import { PluginContext, type CounterMetric, type HistogramMetric, type Kong, type MetricsRegistry, type PluginHandler } from '../../pdk/index.ts';
import { REQUEST_FAMILIES } from './catalogue.ts';
import type { PrometheusConfig } from './schema.ts';

export interface PrometheusConf {
  readonly perConsumer: boolean;
  readonly statusCodes: boolean;
  readonly latency: boolean;
  readonly bandwidth: boolean;
}

interface Recorders {
  readonly status: CounterMetric;
  readonly kongLatency: HistogramMetric;
  readonly upstreamLatency: HistogramMetric;
  readonly requestLatency: HistogramMetric;
  readonly bandwidth: CounterMetric;
}

/** The label values of one route (and the service it had in that configuration) for one consumer label. */
interface ConsumerLabels {
  readonly ingress: readonly string[];
  readonly egress: readonly string[];
  /** Status labels by `code * 2 + (from the service ? 1 : 0)`. */
  readonly status: Map<number, readonly string[]>;
}

/** The label values of one route (and the service it had in that configuration). */
interface RouteLabels {
  readonly service: string;
  readonly route: string;
  /** [service, route, workspace] */
  readonly latency: readonly string[];
  /** By consumer label ('' without per_consumer or consumer), so that kept arrays reach the registry. */
  readonly byConsumer: Map<string, ConsumerLabels>;
}

/** Tollgate has one workspace, Kong's default. */
const WORKSPACE = 'default';

let recorders: Recorders | null = null;
const routeLabels = new WeakMap<object, RouteLabels>();

/** Defines the per-request families in this worker's registry (the node exports them only while an instance is enabled). */
export function defineRequestMetrics(metrics: MetricsRegistry): Recorders {
  const f = REQUEST_FAMILIES;
  return {
    status: metrics.counter(f.status),
    kongLatency: metrics.histogram(f.kongLatency),
    upstreamLatency: metrics.histogram(f.upstreamLatency),
    requestLatency: metrics.histogram(f.requestLatency),
    bandwidth: metrics.counter(f.bandwidth),
  };
}

function labelsOf(route: Readonly<Record<string, unknown>>, service: Readonly<Record<string, unknown>> | null): RouteLabels {
  let labels = routeLabels.get(route);
  if (labels === undefined) {
    // Kong: the service's name, else its host; the route's name, else its id.
    const serviceName = service === null ? '' : String(service.name ?? service.host ?? '');
    const routeName = String(route.name ?? route.id ?? '');
    labels = { service: serviceName, route: routeName, latency: [serviceName, routeName, WORKSPACE], byConsumer: new Map() };
    routeLabels.set(route, labels);
  }
  return labels;
}

function consumerLabels(labels: RouteLabels, consumer: string): ConsumerLabels {
  let out = labels.byConsumer.get(consumer);
  if (out === undefined) {
    out = {
      ingress: [labels.service, labels.route, 'ingress', WORKSPACE, consumer],
      egress: [labels.service, labels.route, 'egress', WORKSPACE, consumer],
      status: new Map(),
    };
    labels.byConsumer.set(consumer, out);
  }
  return out;
}

function statusLabels(labels: RouteLabels, c: ConsumerLabels, code: number, fromService: boolean, consumer: string): readonly string[] {
  const key = code * 2 + (fromService ? 1 : 0);
  let out = c.status.get(key);
  if (out === undefined) c.status.set(key, (out = [labels.service, labels.route, String(code), fromService ? 'service' : 'kong', WORKSPACE, consumer]));
  return out;
}

/** Bytes of a header list (`name: value\r\n` each) as it travels in HTTP/1.1. */
function headerBytes(flat: readonly string[]): number {
  let n = 0;
  for (let i = 0; i < flat.length; i++) n += flat[i].length;
  return n + flat.length * 2;
}

/** The request as received: request line, headers and body (what Kong's `request.size` counts). */
function ingressBytes(ctx: PluginContext): number {
  const req = ctx.req;
  const length = Number(req.headers['content-length'] ?? 0);
  const body = Number.isFinite(length) && length > 0 ? length : (ctx.requestBody?.length ?? 0);
  return (req.method?.length ?? 0) + (req.url?.length ?? 0) + 12 + headerBytes(req.rawHeaders) + 2 + body;
}

/** The response as sent: status line, headers and body (what Kong's `response.size` counts). */
function egressBytes(ctx: PluginContext): number {
  const d = ctx.downstream;
  if (d === null) return 0;
  return 17 + headerBytes(d.headers) + 2 + d.size;
}

function round(ms: number): number {
  return ms <= 0 ? 0 : Math.round(ms);
}

function log(kong: Kong, conf: PrometheusConf): void {
  const r = recorders;
  // Every request's PDK is a PluginContext; its fields give the latencies and sizes without serializing.
  if (r === null || !(kong instanceof PluginContext)) return;
  const ctx = kong;
  const route = ctx.routed?.route ?? null;
  // Kong records nothing for a request that matched no route.
  if (route === null) return;
  const labels = labelsOf(route, ctx.routed!.service);
  const consumer = conf.perConsumer && ctx.consumer !== null ? (ctx.consumer.username ?? '') : '';
  const byConsumer = conf.statusCodes || conf.bandwidth ? consumerLabels(labels, consumer) : null;

  if (conf.statusCodes) {
    const d = ctx.downstream;
    const code = d?.status ?? 0;
    if (code > 0) r.status.inc(statusLabels(labels, byConsumer!, code, d!.source === 'service', consumer));
  }
  if (conf.bandwidth) {
    const ingress = ingressBytes(ctx);
    const egress = egressBytes(ctx);
    if (ingress > 0) r.bandwidth.inc(byConsumer!.ingress, ingress);
    if (egress > 0) r.bandwidth.inc(byConsumer!.egress, egress);
  }
  if (conf.latency) {
    // The same split as kong.log.serialize()'s latencies: upstream wait (proxy), body receive, the rest is Kong's.
    const end = ctx.endedAt === 0 ? performance.now() : ctx.endedAt;
    const headersAt = ctx.upstreamHeadersAt;
    const total = end - ctx.start;
    r.requestLatency.observe(labels.latency, round(total));
    if (headersAt !== 0) {
      const proxy = headersAt - ctx.upstreamDispatchedAt;
      r.upstreamLatency.observe(labels.latency, round(proxy));
      r.kongLatency.observe(labels.latency, round(total - proxy - (end - headersAt)));
    } else {
      r.kongLatency.observe(labels.latency, round(total));
    }
  }
}

export const prometheusHandler: PluginHandler<PrometheusConf, PrometheusConfig> = {
  name: 'prometheus',
  // Kong's priority: among the logging plugins, after everything that may change the answer.
  priority: 13,
  init_worker(node) {
    recorders = defineRequestMetrics(node.metrics);
  },
  prepare(config) {
    return {
      perConsumer: config.per_consumer === true,
      statusCodes: config.status_code_metrics === true,
      latency: config.latency_metrics === true,
      bandwidth: config.bandwidth_metrics === true,
    };
  },
  log,
};
