/**
 * opentelemetry: propagates tracing headers (access), returns the trace id in a response header when asked
 * (header_filter), and exports the request's spans and log lines over OTLP/HTTP through a batching queue
 * (log). Spans come from `tracing_instrumentations`; without them the plugin still propagates, with a
 * propagation-only trace that is never exported (as Kong does).
 */
import type { Kong, PluginEntityScope, PluginHandler } from '../../pdk/index.ts';
import { resolvePropagation, type PropagationConfig, type TracingContext } from '../../tracing/propagation/index.ts';
import { propagateRequest } from '../../tracing/propagate-request.ts';
import { getQueue, type LogQueue, type QueueLog } from '../shared/log-queue/queue.ts';
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
    const queue = spanQueue(kong, conf, traces, resource);
    kong.tracing.processSpan((span, t) => {
      if (!span.shouldSample || !t.shouldSample) return;
      queue.enqueue(exportSpan(span, t));
    });
  }
  const logs = conf.logs;
  if (logs !== null) {
    const lines = kong.tracing.capturedLogs();
    if (lines.length === 0) return;
    const resource = resourceOf(kong, conf);
    const queue = logQueue(kong, conf, logs, resource);
    const requestId = kong.tracing.requestId();
    const t = trace !== null && !trace.propagationOnly ? trace : null;
    for (const line of lines) queue.enqueue(exportLogLine(line, requestId, t));
  }
}

function errorLog(kong: Kong, conf: OpentelemetryConf): QueueLog {
  if (conf.log === null) {
    conf.log = kong.node.getErrorLog();
    for (const w of conf.warnings) conf.log('warn', w);
  }
  return conf.log;
}

/** Kong names the queues after the plugin entity, `:traces` and `:logs`. */
function spanQueue(kong: Kong, conf: OpentelemetryConf, traces: ExportTarget, resource: Attributes): LogQueue<ExportSpan> {
  const encode = conf.json ? encodeTracesJson : encodeTraces;
  return getQueue<ExportSpan>({
    name: `${conf.id}:traces`,
    logTag: `opentelemetry plugin ${conf.id}`,
    settings: conf.queue,
    send: (batch) => postBatch(traces, encode(batch, resource, SCOPE)),
    log: errorLog(kong, conf),
  });
}

function logQueue(kong: Kong, conf: OpentelemetryConf, logs: ExportTarget, resource: Attributes): LogQueue<ExportLogRecord> {
  const encode = conf.json ? encodeLogsJson : encodeLogs;
  return getQueue<ExportLogRecord>({
    name: `${conf.id}:logs`,
    logTag: `opentelemetry plugin ${conf.id}`,
    settings: conf.queue,
    send: (batch) => postBatch(logs, encode(batch, resource, SCOPE)),
    log: errorLog(kong, conf),
  });
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
