/**
 * zipkin: a request span (SERVER) and a proxy span (CLIENT) per request, a span per balancer try, Kong's
 * tags and phase annotations, sent as Zipkin v2 JSON through a batching queue. Propagation runs in access,
 * with the proxy span as the context sent upstream. Independent of `tracing_instrumentations`, as in Kong.
 */
import { nowMs } from '../../tracing/clock.ts';
import { randomBytes } from 'node:crypto';
import type { Kong, PluginEntityScope, PluginHandler } from '../../pdk/index.ts';
import { resolvePropagation, type PropagationConfig, type TracingContext } from '../../tracing/propagation/index.ts';
import { propagateRequest } from '../../tracing/propagate-request.ts';
import { getQueue, type BatchSender, type LogQueue, type QueueLog } from '../shared/log-queue/queue.ts';
import type { QueueSettings } from '../shared/log-queue/schema.ts';
import { postBatch, type ExportTarget } from '../../tracing/http-export.ts';
import { parseTagsHeader, toZipkinJson, ZipkinSpan, type ZipkinJsonSpan } from './span.ts';
import type { ZipkinConfig } from './schema.ts';

export interface ZipkinConf {
  readonly id: string;
  readonly propagation: PropagationConfig;
  readonly sampleRatio: number;
  readonly traceIdBytes: number;
  readonly localServiceName: string;
  readonly defaultServiceName: string | null;
  readonly includeCredential: boolean;
  readonly tagsHeader: string;
  readonly staticTags: readonly { readonly name: string; readonly value: string }[];
  readonly spanNameWithPath: boolean;
  readonly annotations: boolean;
  readonly traceIdHeader: string | null;
  readonly queue: QueueSettings;
  readonly target: ExportTarget | null;
  /** Delivers a batch to `target`; the same function for every request, so the queue can tell it is current. */
  readonly send: BatchSender<ZipkinJsonSpan> | null;
  /** The worker's error log, taken on first use (the deprecation warnings are written then). */
  log: QueueLog | null;
  readonly warnings: readonly string[];
  /** The shared queue, once this entity used it. */
  queueInUse: LogQueue<ZipkinJsonSpan> | null;
}

/** Kong's deprecation messages, for deprecated fields set to something other than their old default. */
function deprecations(config: ZipkinConfig): string[] {
  const out: string[] = [];
  if (config.header_type !== 'preserve') out.push('zipkin: config.header_type is deprecated, please use config.propagation options instead');
  if (config.default_header_type !== 'b3') out.push('zipkin: config.default_header_type is deprecated, please use config.propagation.default_format instead');
  return out;
}

function errorLog(kong: Kong, conf: ZipkinConf): QueueLog {
  if (conf.log === null) {
    conf.log = kong.node.getErrorLog();
    for (const w of conf.warnings) conf.log('warn', w);
  }
  return conf.log;
}

function prepare(config: ZipkinConfig, _data: unknown, entity?: PluginEntityScope): ZipkinConf {
  const target: ExportTarget | null =
    config.http_endpoint == null
      ? null
      : {
          endpoint: config.http_endpoint,
          contentType: 'application/json',
          headers: null,
          // Kong's zipkin reporter takes any 2xx as delivered.
          anySuccess: true,
          connectTimeout: config.connect_timeout,
          sendTimeout: config.send_timeout,
          readTimeout: config.read_timeout,
        };
  return {
    id: entity?.id ?? 'zipkin',
    propagation: resolvePropagation(config.propagation, config.header_type, config.default_header_type),
    sampleRatio: config.sample_ratio,
    traceIdBytes: config.traceid_byte_count,
    localServiceName: config.local_service_name,
    defaultServiceName: config.default_service_name ?? null,
    includeCredential: config.include_credential,
    tagsHeader: config.tags_header,
    staticTags: config.static_tags ?? [],
    spanNameWithPath: config.http_span_name === 'method_path',
    annotations: config.phase_duration_flavor === 'annotations',
    traceIdHeader: config.http_response_header_for_traceid ?? null,
    queue: config.queue as QueueSettings,
    target,
    send: target === null ? null : (batch) => postBatch(target, JSON.stringify(batch)),
    log: null,
    warnings: deprecations(config),
    queueInUse: null,
  };
}

/** The plugin's per-request state (in `kong.ctx.plugin`). */
interface ZipkinState {
  request: ZipkinSpan;
  proxy: ZipkinSpan | null;
  accessStartUs: number;
  accessEndUs: number;
  headerFilterStartUs: number;
  headerFilterEndUs: number;
}

const nowUs = (): number => nowMs() * 1000;

function stateOf(kong: Kong, conf: ZipkinConf, extracted?: TracingContext): ZipkinState {
  const existing = kong.ctx.plugin.zipkin as ZipkinState | undefined;
  if (existing !== undefined) return existing;
  const ctx = extracted ?? {};
  let spanId: Buffer | null = null;
  let parentId: Buffer | null;
  if (ctx.reuseSpanId === true) {
    spanId = ctx.spanId ?? null;
    parentId = ctx.parentId ?? null;
  } else {
    parentId = ctx.spanId ?? null;
  }
  const shouldSample = ctx.shouldSample ?? Math.random() < conf.sampleRatio;
  const traceId = ctx.traceId !== undefined ? traceIdOf(ctx) : randomBytes(conf.traceIdBytes);
  const method = kong.request.getMethod();
  const path = kong.request.getPath();
  const request = new ZipkinSpan('SERVER', conf.spanNameWithPath ? `${method} ${path}` : method, requestStartUs(kong), shouldSample, traceId, spanId, parentId, ctx.baggage);
  request.ip = kong.client.getForwardedIp();
  request.port = kong.client.getForwardedPort();
  request.setTag('lc', 'kong');
  request.setTag('http.method', method);
  request.setTag('http.host', kong.request.getHost());
  request.setTag('http.path', path);
  request.setTag('http.protocol', `HTTP/${kong.request.getHttpVersion()}`);
  for (const tag of conf.staticTags) request.setTag(tag.name, tag.value);
  const { tags, errors } = parseTagsHeader(kong.request.getHeaderValues(conf.tagsHeader));
  if (errors.length > 0) kong.log.warn(`Could not parse the following Zipkin tags: ${errors.join(', ')}`);
  for (const name in tags) request.setTag(name, tags[name]);
  const state: ZipkinState = { request, proxy: null, accessStartUs: 0, accessEndUs: 0, headerFilterStartUs: 0, headerFilterEndUs: 0 };
  kong.ctx.plugin.zipkin = state;
  return state;
}

/** The incoming trace id as it came (a 64-bit one stays 64-bit in Zipkin). */
function traceIdOf(ctx: TracingContext): Buffer {
  const id = ctx.traceId!;
  const size = ctx.traceIdOriginalSize ?? id.length;
  return size < id.length ? id.subarray(id.length - size) : id;
}

function requestStartUs(kong: Kong): number {
  return kong.request.getStartTime() * 1000;
}

function proxySpanOf(state: ZipkinState, startUs: number): ZipkinSpan {
  return (state.proxy ??= state.request.child('CLIENT', `${state.request.name} (proxy)`, startUs));
}

function access(kong: Kong, conf: ZipkinConf): void {
  const start = nowUs();
  if (conf.log === null) errorLog(kong, conf);
  propagateRequest(kong, conf.propagation, (extracted) => {
    const state = stateOf(kong, conf, extracted);
    state.accessStartUs = start;
    const proxy = proxySpanOf(state, start);
    return {
      ...extracted,
      traceId: proxy.traceId,
      spanId: proxy.spanId,
      parentId: proxy.parentId ?? extracted.parentId,
      shouldSample: proxy.shouldSample,
      baggage: proxy.baggage ?? extracted.baggage,
      traceIdOriginalSize: proxy.traceId.length,
    };
  });
  stateOf(kong, conf).accessEndUs = nowUs();
}

function header_filter(kong: Kong, conf: ZipkinConf): void {
  const start = nowUs();
  const state = stateOf(kong, conf);
  state.headerFilterStartUs = start;
  const proxy = proxySpanOf(state, start);
  if (conf.annotations) proxy.annotate('khs', start);
  if (conf.traceIdHeader !== null) kong.response.addHeader(conf.traceIdHeader, proxy.traceId.toString('hex'));
  state.headerFilterEndUs = nowUs();
}

/**
 * The spans a request whose queue is full would have had and that are dropped unbuilt: the request and proxy
 * spans. Its balancer-try spans are not counted, since only the log record (the cost being avoided) says
 * how many tries there were.
 */
const SPANS_WITHOUT_TRIES = 2;

function log(kong: Kong, conf: ZipkinConf): void {
  const now = nowUs();
  const state = stateOf(kong, conf);
  const request = state.request;
  // Unsampled or without an endpoint nothing is sent: the spans are not worth finishing.
  if (!request.shouldSample || conf.send === null) return;
  const queue = queueOf(kong, conf, conf.send);
  // A full queue would drop the spans anyway: count them before paying for the log record and the spans.
  if (queue.full) {
    queue.refuse(SPANS_WITHOUT_TRIES);
    return;
  }
  const proxy = proxySpanOf(state, now);
  const spans: ZipkinSpan[] = [];
  const accessEnd = state.accessEndUs === 0 ? now : state.accessEndUs;
  if (conf.annotations) {
    request.annotate('krs', request.timestamp);
    proxy.annotate('kas', state.accessStartUs === 0 ? proxy.timestamp : state.accessStartUs);
    proxy.annotate('kaf', accessEnd);
    proxy.annotate('khf', state.headerFilterEndUs === 0 ? now : state.headerFilterEndUs);
    proxy.annotate('kbf', now);
  } else {
    if (state.accessStartUs !== 0) proxy.setTag('kong.access.duration_ms', Math.round((accessEnd - state.accessStartUs) / 1000));
    if (state.headerFilterStartUs !== 0) proxy.setTag('kong.header_filter.duration_ms', Math.round((state.headerFilterEndUs - state.headerFilterStartUs) / 1000));
  }
  const record = kong.log.serialize();
  const tries = record.tries ?? [];
  const service = kong.router.getService() as { id?: string; name?: string | null } | null;
  const route = kong.router.getRoute() as { id?: string; name?: string | null } | null;
  const tagServiceAndRoute = (span: ZipkinSpan): void => {
    if (service?.id !== undefined) {
      span.setTag('kong.service', service.id);
      if (typeof service.name === 'string') {
        span.serviceName = service.name;
        span.setTag('kong.service_name', service.name);
      }
    }
    if (route !== null) {
      if (route.id !== undefined) span.setTag('kong.route', route.id);
      if (typeof route.name === 'string') span.setTag('kong.route_name', route.name);
    }
  };
  for (let i = 0; i < tries.length; i++) {
    const t = tries[i];
    const span = request.child('CLIENT', `${request.name} (balancer try ${i + 1})`, t.balancer_start * 1000);
    span.ip = t.ip;
    span.port = t.port;
    span.setTag('kong.balancer.try', i + 1);
    if (i < tries.length - 1) {
      span.setTag('error', true);
      span.setTag('kong.balancer.state', 'failed');
      span.setTag('http.status_code', 502);
    }
    tagServiceAndRoute(span);
    span.finish(i < tries.length - 1 ? tries[i + 1].balancer_start * 1000 : now);
    spans.push(span);
  }
  if (tries.length > 0) {
    const last = tries[tries.length - 1];
    proxy.ip = last.ip;
    proxy.port = last.port;
  }
  request.setTag('http.status_code', kong.response.getStatus());
  const consumer = kong.client.getConsumer();
  if (consumer !== null) request.setTag('kong.consumer', consumer.id);
  const credential = kong.client.getCredential();
  if (conf.includeCredential && credential !== null) request.setTag('kong.credential', credential.id);
  request.setTag('kong.node.id', kong.node.getId());
  tagServiceAndRoute(proxy);
  proxy.finish(now);
  request.finish(now);
  spans.push(proxy, request);
  for (let i = 0; i < spans.length; i++) {
    // Only this loop fills the queue until the next tick: once full, the rest are dropped unconverted.
    if (queue.full) {
      queue.refuse(spans.length - i);
      return;
    }
    queue.enqueue(toZipkinJson(spans[i], conf.localServiceName, conf.defaultServiceName));
  }
}

/**
 * Kong names the queue after the plugin entity; looked up again only when another entity sharing the name
 * enqueued last, so this one's settings become current again.
 */
function queueOf(kong: Kong, conf: ZipkinConf, send: BatchSender<ZipkinJsonSpan>): LogQueue<ZipkinJsonSpan> {
  let queue = conf.queueInUse;
  if (queue === null || !queue.sendsWith(send)) {
    queue = getQueue<ZipkinJsonSpan>({ name: conf.id, logTag: `zipkin plugin ${conf.id}`, settings: conf.queue, send, log: errorLog(kong, conf) });
    conf.queueInUse = queue;
  }
  return queue;
}

export const zipkinHandler: PluginHandler<ZipkinConf, ZipkinConfig> = {
  name: 'zipkin',
  priority: 100000,
  version: '3.10.0',
  prepare,
  access,
  header_filter,
  log,
};
