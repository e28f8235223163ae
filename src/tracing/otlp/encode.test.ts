/**
 * The OTLP encoders checked by an independent decoder: protobufjs with the official opentelemetry-proto
 * definitions (the test receiver's).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeLogs, encodeTraces, msToNs } from './encode.ts';
import { encodeLogsJson, encodeTracesJson } from './encode-json.ts';
import { decodeLogs, decodeTraces, decodeTracesJson } from '../../../test/support/otlp-receiver.ts';

const SPANS = [
  {
    traceId: Buffer.alloc(16, 0xab),
    spanId: Buffer.alloc(8, 1),
    parentSpanId: Buffer.alloc(8, 2),
    traceState: '',
    name: 'kong.balancer',
    kind: 3,
    startNs: 1700000000123456789n,
    endNs: 1700000000223456789n,
    attributes: { s: 'x', i: 42, f: 1.5, t: true, no: false, arr: [1, 'two'], kv: { a: 'b' } },
    events: [],
    statusCode: 2,
    statusMessage: 'refused',
  },
];

test('the OTLP JSON encoding says what the protobuf says', () => {
  const resource = { 'service.name': 'kong' };
  const scope = { name: 'kong-internal', version: '0.1.0' };
  assert.deepEqual(decodeTracesJson(encodeTracesJson(SPANS, resource, scope)), decodeTraces(encodeTraces(SPANS, resource, scope)));
  const json = JSON.parse(encodeTracesJson(SPANS, resource, scope));
  const span = json.resourceSpans[0].scopeSpans[0].spans[0];
  assert.equal(span.traceId, 'ab'.repeat(16), 'ids in hex');
  assert.equal(span.startTimeUnixNano, '1700000000123456789', '64-bit integers as strings');
  assert.deepEqual(span.attributes[1], { key: 'i', value: { intValue: '42' } });
  const logs = JSON.parse(
    encodeLogsJson([{ timeNs: 5n, observedTimeNs: 6n, severityNumber: 13, severityText: 'warn', body: 'careful', attributes: {}, traceId: null, spanId: null, flags: 0 }], resource, scope),
  );
  assert.deepEqual(logs.resourceLogs[0].scopeLogs[0].logRecords[0].body, { stringValue: 'careful' });
});

test('ExportTraceServiceRequest: ids, parent, kind, times, every attribute type, events, status, resource and scope', () => {
  const body = encodeTraces(
    [
      {
        traceId: Buffer.alloc(16, 0xab),
        spanId: Buffer.alloc(8, 1),
        parentSpanId: Buffer.alloc(8, 2),
        traceState: '',
        name: 'kong.balancer',
        kind: 3,
        startNs: 1700000000123456789n,
        endNs: 1700000000223456789n,
        attributes: { s: 'x', empty: '', i: 42, neg: -3, zero: 0, f: 1.5, t: true, no: false, arr: [1, 'two'], kv: { a: 'b' } },
        events: [{ name: 'exception', timeNs: 1700000000200000000n, attributes: { 'exception.message': 'refused' } }],
        statusCode: 2,
        statusMessage: 'connection refused',
      },
      { traceId: Buffer.alloc(16, 0xab), spanId: Buffer.alloc(8, 3), parentSpanId: null, traceState: '', name: 'kong', kind: 2, startNs: 1n, endNs: 2n, attributes: {}, events: [], statusCode: 0, statusMessage: '' },
    ],
    { 'service.name': 'kong', 'service.instance.id': 'node-1' },
    { name: 'kong-internal', version: '0.1.0' },
  );
  const [span, root] = decodeTraces(body);
  assert.equal(span.traceId, 'ab'.repeat(16));
  assert.equal(span.spanId, '01'.repeat(8));
  assert.equal(span.parentSpanId, '02'.repeat(8));
  assert.equal(span.kind, 3);
  assert.equal(span.startNs, 1700000000123456789n);
  assert.equal(span.endNs, 1700000000223456789n);
  assert.deepEqual(span.attributes, { s: 'x', empty: '', i: 42, neg: -3, zero: 0, f: 1.5, t: true, no: false, arr: [1, 'two'], kv: { a: 'b' } });
  assert.deepEqual(span.status, { code: 2, message: 'connection refused' });
  assert.deepEqual(span.resource, { 'service.name': 'kong', 'service.instance.id': 'node-1' });
  assert.equal(span.scope, 'kong-internal');
  assert.equal(root.parentSpanId, '');
  assert.deepEqual(root.status, { code: 0, message: '' });
});

test('ExportLogsServiceRequest: body, severity, attributes, trace id', () => {
  const body = encodeLogs(
    [{ timeNs: 5n, observedTimeNs: 6n, severityNumber: 13, severityText: 'warn', body: 'careful', attributes: { 'request.id': 'abc' }, traceId: Buffer.alloc(16, 7), spanId: null, flags: 1 }],
    { 'service.name': 'kong' },
    { name: 'kong-internal', version: '0.1.0' },
  );
  const [log] = decodeLogs(body);
  assert.deepEqual(log, { body: 'careful', severityText: 'warn', severityNumber: 13, traceId: '07'.repeat(16), attributes: { 'request.id': 'abc' }, resource: { 'service.name': 'kong' } });
});

test('msToNs keeps the nanosecond digits', () => {
  assert.equal(msToNs(1700000000123.5), 1700000000123500000n);
  assert.equal(msToNs(1700000000123), 1700000000123000000n);
  assert.equal(msToNs(0.5), 500000n);
});
