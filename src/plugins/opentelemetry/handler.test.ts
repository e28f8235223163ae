import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Kong } from '../../pdk/index.ts';
import type { CapturedLogLine } from '../../pdk/context.ts';
import { validateEntity } from '../../entities/index.ts';
import { Span, SPAN_KIND } from '../../tracing/span.ts';
import type { RequestTrace } from '../../tracing/trace.ts';
import { pluginRegistry } from '../index.ts';
import { deadCollector } from '../shared/log-queue/dead-collector.ts';
import { opentelemetryHandler } from './handler.ts';
import type { OpentelemetryConfig } from './schema.ts';

function otelConfig(config: Record<string, unknown>): OpentelemetryConfig {
  const r = validateEntity('plugins', { name: 'opentelemetry', config }, { plugins: pluginRegistry(['opentelemetry']) });
  assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
  return r.value.config as unknown as OpentelemetryConfig;
}

const SPANS = 3;
const LINES = 4;

/**
 * Just the parts of the PDK the log phase touches, with a fresh sampled trace of SPANS spans and LINES captured
 * log lines per request; counts the spans and lines converted for export.
 */
function logKong(): { kong: Kong; request(): void; built: () => number; lines: string[] } {
  let built = 0;
  const lines: string[] = [];
  let trace: RequestTrace;
  let captured: CapturedLogLine[];
  const countedSpan = (): Span => {
    const span = new Span('s', SPAN_KIND.INTERNAL, Buffer.alloc(8, 1), null, Date.now());
    // Read first when a span is converted (export.ts).
    Object.defineProperty(span, 'events', {
      get: () => {
        built++;
        return null;
      },
    });
    return span;
  };
  const countedLine = (): CapturedLogLine => ({
    level: 'error',
    message: 'm',
    plugin: 'p',
    // Read once when a line is converted (export.ts).
    get timeMs() {
      built++;
      return 1;
    },
  });
  const request = (): void => {
    trace = { propagationOnly: false, shouldSample: true, traceId: Buffer.alloc(16, 2), flags: 1, spans: Array.from({ length: SPANS }, countedSpan) } as unknown as RequestTrace;
    captured = Array.from({ length: LINES }, countedLine);
  };
  request();
  const kong = {
    node: { getErrorLog: () => (_level: string, message: string) => void lines.push(message), getId: () => 'n' },
    tracing: {
      get trace() {
        return trace;
      },
      processSpan: (fn: (span: Span, t: RequestTrace) => void) => {
        for (const span of (trace as unknown as { spans: Span[] }).spans) fn(span, trace);
      },
      capturedLogs: () => captured,
      requestId: () => 'rid',
    },
  } as unknown as Kong;
  return { kong, request, built: () => built, lines };
}

const queueSettings = { max_batch_size: 1, max_entries: 5, max_retry_time: 1 };

test('traces and logs to a dead collector: once a queue is full, nothing more is converted; drops counted and reported once', async () => {
  const dead = await deadCollector();
  try {
    const base = `http://127.0.0.1:${dead.port}`;
    const conf = opentelemetryHandler.prepare!(
      otelConfig({ traces_endpoint: `${base}/v1/traces`, logs_endpoint: `${base}/v1/logs`, send_timeout: 600000, read_timeout: 600000, queue: queueSettings }),
      undefined as never,
      { id: 'otel-full', route: null, service: null, consumer: null },
    );
    const { kong, request, built, lines } = logKong();
    const requests = 1000;
    for (let i = 0; i < requests; i++) {
      request();
      opentelemetryHandler.log!(kong, conf);
    }
    // Per queue, one batch in flight plus max_entries queued were converted; every later entry only counted.
    assert.equal(built(), 12);
    const spans = conf.spans!.queue!.stats();
    const logs = conf.lines!.queue!.stats();
    assert.deepEqual({ queued: spans.queued, inFlight: spans.inFlight, refused: spans.refused, dropped: spans.dropped }, { queued: 5, inFlight: 1, refused: requests * SPANS - 6, dropped: requests * SPANS - 6 });
    assert.deepEqual({ queued: logs.queued, inFlight: logs.inFlight, refused: logs.refused, dropped: logs.dropped }, { queued: 5, inFlight: 1, refused: requests * LINES - 6, dropped: requests * LINES - 6 });
    assert.equal(lines.filter((l) => l.includes('otel-full:traces: queue full, dropped')).length, 1, 'one report per interval (traces)');
    assert.equal(lines.filter((l) => l.includes('otel-full:logs: queue full, dropped')).length, 1, 'one report per interval (logs)');
  } finally {
    dead.close();
  }
});

test('an unsampled span is neither queued nor counted as a drop', async () => {
  const dead = await deadCollector();
  try {
    const conf = opentelemetryHandler.prepare!(
      otelConfig({ traces_endpoint: `http://127.0.0.1:${dead.port}/v1/traces`, send_timeout: 600000, read_timeout: 600000, queue: queueSettings }),
      undefined as never,
      { id: 'otel-unsampled', route: null, service: null, consumer: null },
    );
    const { kong, request, built } = logKong();
    for (let i = 0; i < 10; i++) {
      request();
      if (i >= 2) (kong.tracing.trace as RequestTrace).shouldSample = false;
      opentelemetryHandler.log!(kong, conf);
    }
    const s = conf.spans!.queue!.stats();
    assert.equal(built(), 6);
    assert.deepEqual({ queued: s.queued, inFlight: s.inFlight, refused: s.refused }, { queued: 5, inFlight: 1, refused: 0 });
  } finally {
    dead.close();
  }
});
