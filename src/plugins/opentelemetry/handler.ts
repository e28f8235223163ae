/**
 * opentelemetry: propagates tracing headers (access), returns the trace id in a response header when asked
 * (header_filter), and exports the request's spans and log lines over OTLP/HTTP through a batching queue
 * (log). Spans come from `tracing_instrumentations`; without them the plugin still propagates, with a
 * propagation-only trace that is never exported (as Kong does).
 */
import type { Kong, PluginEntityScope, PluginHandler } from '../../pdk/index.ts';
import { resolvePropagation, type PropagationConfig, type TracingContext } from '../../tracing/propagation/index.ts';
import { propagateRequest } from '../../tracing/propagate-request.ts';
import { getQueue, type BatchSender, type LogQueue, type QueueLog } from '../shared/log-queue/queue.ts';
import type { QueueSettings } from '../shared/log-queue/schema.ts';
import { encodeLogs, encodeTraces, type Attributes, type ExportLogRecord, type ExportSpan, type InstrumentationScope } from '../../tracing/otlp/encode.ts';
import { encodeLogsJson, encodeTracesJson } from '../../tracing/otlp/encode-json.ts';
import { postBatch, type ExportTarget } from '../../tracing/http-export.ts';
import { exportLogLine, exportSpan } from './export.ts';
import type { OpentelemetryConfig } from './schema.ts';

export const OPENTELEMETRY_VERSION = '3.10.0';

const SCOPE: InstrumentationScope = { name: 'kong-internal', version: '0.1.0' };

export interface OpentelemetryConf {
  readonly id: string;
  readonly propagation: PropagationConfig;
  readonly samplingRate: number | null;
  readonly traceIdHeader: string | null;
  readonly queue: QueueSettings;
  readonly traces: ExportTarget | null;
  readonly logs: ExportTarget | null;
  readonly resourceAttributes: Readonly<Record<string, string>>;
  /** `encoding: json` (a Tollgate addition); protobuf otherwise. */
  readonly json: boolean;
  /** The resource attributes with the node's id, made on first export. */
  resource: Attributes | null;
  /** The worker's error log, taken on first use (the deprecation warnings are written then). */
  log: QueueLog | null;
  readonly warnings: readonly string[];
  /** The entity's queues and their senders, made on first export (see `queueFor`). */
  spans: QueueUse<ExportSpan> | null;
  lines: QueueUse<ExportLogRecord> | null;
}

/** A queue this entity uses, with the sender that stays the same across requests. */
interface QueueUse<E> {
  readonly name: string;
  readonly send: BatchSender<E>;
  queue: LogQueue<E> | null;
}

/** Kong's deprecation messages, for deprecated fields set to something other than their old default. */
function deprecations(config: OpentelemetryConfig): string[] {
  const out: string[] = [];
  if (config.batch_span_count != null && config.batch_span_count !== 200) out.push('opentelemetry: config.batch_span_count is deprecated, please use config.queue.max_batch_size instead');
  if (config.batch_flush_delay != null && config.batch_flush_delay !== 3) out.push('opentelemetry: config.batch_flush_delay is deprecated, please use config.queue.max_coalescing_delay instead');
  if (config.header_type != null && config.header_type !== 'preserve') out.push('opentelemetry: config.header_type is deprecated, please use config.propagation options instead');
  return out;
}

/** Kong's mapping of the deprecated batch fields onto `queue`, when they differ from their old defaults. */
function queueSettings(config: OpentelemetryConfig): QueueSettings {
  let queue = config.queue as QueueSettings;
  if (config.batch_span_count != null && config.batch_span_count !== 200) queue = { ...queue, max_batch_size: config.batch_span_count };
  if (config.batch_flush_delay != null && config.batch_flush_delay !== 3) queue = { ...queue, max_coalescing_delay: config.batch_flush_delay };
  return queue;
}

function target(endpoint: string | null | undefined, config: OpentelemetryConfig): ExportTarget | null {
  if (endpoint == null) return null;
  return {
    endpoint,
    contentType: config.encoding === 'json' ? 'application/json' : 'application/x-protobuf',
    headers: config.headers ?? null,
    connectTimeout: config.connect_timeout,
    sendTimeout: config.send_timeout,
    readTimeout: config.read_timeout,
  };
}

function prepare(config: OpentelemetryConfig, _data: unknown, entity?: PluginEntityScope): OpentelemetryConf {
  return {
    id: entity?.id ?? 'opentelemetry',
    propagation: resolvePropagation(config.propagation, config.header_type),
    samplingRate: config.sampling_rate ?? null,
    traceIdHeader: config.http_response_header_for_traceid ?? null,
    queue: queueSettings(config),
    traces: target(config.traces_endpoint, config),
    logs: target(config.logs_endpoint, config),
    resourceAttributes: config.resource_attributes ?? {},
    json: config.encoding === 'json',
    resource: null,
    log: null,
    warnings: deprecations(config),
    spans: null,
    lines: null,
  };
}

function rewrite(kong: Kong, conf: OpentelemetryConf): void {
  if (conf.logs !== null) kong.tracing.captureLogs();
}

function access(kong: Kong, conf: OpentelemetryConf): void {
  if (conf.log === null) errorLog(kong, conf);
  if (conf.logs !== null) kong.tracing.captureLogs();
  if (conf.traces === null) return;
  const tracing = kong.tracing;
  const trace = tracing.ensureTrace();
  propagateRequest(kong, conf.propagation, (extracted) => {
    const root = trace.root;
    const injected = trace.balancerSpanForInjection() ?? root;
    if (extracted.traceId !== undefined) trace.traceId = extracted.traceId;
    if (extracted.spanId !== undefined) root.parentId = extracted.spanId;
    else if (extracted.parentId !== undefined) root.parentId = extracted.parentId;
    const sampled = tracing.getSamplingDecision(extracted.shouldSample, conf.samplingRate);
    tracing.setShouldSample(sampled);
    trace.flags = (extracted.w3cFlags ?? 0) | (sampled ? 1 : 0);
    const out: TracingContext = {
      ...extracted,
      traceId: trace.traceId,
      spanId: injected.spanId,
      parentId: injected.parentId ?? undefined,
      shouldSample: sampled,
    };
    return out;
  });
}

function header_filter(kong: Kong, conf: OpentelemetryConf): void {
  if (conf.traces === null || conf.traceIdHeader === null) return;
  const trace = kong.tracing.trace;
  if (trace !== null) kong.response.addHeader(conf.traceIdHeader, trace.traceId.toString('hex'));
}

function resourceOf(kong: Kong, conf: OpentelemetryConf): Attributes {
  return (conf.resource ??= {
    'service.name': 'kong',
    'service.version': OPENTELEMETRY_VERSION,
    'service.instance.id': kong.node.getId(),
    ...conf.resourceAttributes,
  });
}

function log(kong: Kong, conf: OpentelemetryConf): void {
  const traces = conf.traces;
  const trace = kong.tracing.trace;
  if (traces !== null && trace !== null && !trace.propagationOnly) {
    const resource = resourceOf(kong, conf);
    const encode = conf.json ? encodeTracesJson : encodeTraces;
    conf.spans ??= { name: `${conf.id}:traces`, send: (batch) => postBatch(traces, encode(batch, resource, SCOPE)), queue: null };
    const queue = queueFor(kong, conf, conf.spans);
    kong.tracing.processSpan((span, t) => {
      if (!span.shouldSample || !t.shouldSample) return;
      // A full queue would drop a span anyway: count the drop before converting it.
      if (queue.full) queue.refuse();
      else queue.enqueue(exportSpan(span, t));
    });
  }
  const logs = conf.logs;
  if (logs !== null) {
    const lines = kong.tracing.capturedLogs();
    if (lines.length === 0) return;
    const resource = resourceOf(kong, conf);
    const encode = conf.json ? encodeLogsJson : encodeLogs;
    conf.lines ??= { name: `${conf.id}:logs`, send: (batch) => postBatch(logs, encode(batch, resource, SCOPE)), queue: null };
    const queue = queueFor(kong, conf, conf.lines);
    const requestId = kong.tracing.requestId();
    const t = trace !== null && !trace.propagationOnly ? trace : null;
    for (let i = 0; i < lines.length; i++) {
      // Only this loop fills the queue until the next tick: once full, the rest are dropped unbuilt (Kong's
      // opentelemetry logs ask `Queue.can_enqueue` the same way).
      if (queue.full) {
        queue.refuse(lines.length - i);
        return;
      }
      queue.enqueue(exportLogLine(lines[i], requestId, t));
    }
  }
}

function errorLog(kong: Kong, conf: OpentelemetryConf): QueueLog {
  if (conf.log === null) {
    conf.log = kong.node.getErrorLog();
    for (const w of conf.warnings) conf.log('warn', w);
  }
  return conf.log;
}

/**
 * The entity's queue (Kong names them after the plugin entity, `:traces` and `:logs`); looked up again only
 * when another entity sharing the name enqueued last, so this one's settings become current again.
 */
function queueFor<E>(kong: Kong, conf: OpentelemetryConf, use: QueueUse<E>): LogQueue<E> {
  let queue = use.queue;
  if (queue === null || !queue.sendsWith(use.send)) {
    queue = getQueue<E>({ name: use.name, logTag: `opentelemetry plugin ${conf.id}`, settings: conf.queue, send: use.send, log: errorLog(kong, conf) });
    use.queue = queue;
  }
  return queue;
}

export const opentelemetryHandler: PluginHandler<OpentelemetryConf, OpentelemetryConfig> = {
  name: 'opentelemetry',
  priority: 14,
  version: OPENTELEMETRY_VERSION,
  prepare,
  rewrite,
  access,
  header_filter,
  log,
};
