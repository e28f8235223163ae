/**
 * An OTLP/HTTP receiver for tests: decodes ExportTraceServiceRequest and ExportLogsServiceRequest bodies
 * with protobufjs and the official opentelemetry-proto definitions (vendored under opentelemetry-proto/,
 * Apache-2.0), so that what Tollgate encodes is checked by an independent decoder. It can answer the first
 * requests with 500 to exercise retries.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import protobuf from 'protobufjs';

const PROTO_DIR = join(import.meta.dirname, 'opentelemetry-proto');

function loadRoot(): protobuf.Root {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => join(PROTO_DIR, target);
  root.loadSync(['opentelemetry/proto/collector/trace/v1/trace_service.proto', 'opentelemetry/proto/collector/logs/v1/logs_service.proto']);
  return root;
}

const root = loadRoot();
const TraceRequest = root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest');
const LogsRequest = root.lookupType('opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest');

export type Value = string | number | boolean | null | Value[] | { [k: string]: Value };

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  startNs: bigint;
  endNs: bigint;
  attributes: Record<string, Value>;
  status: { code: number; message: string };
  resource: Record<string, Value>;
  scope: string;
}

export interface ReceivedLog {
  body: Value;
  severityText: string;
  severityNumber: number;
  traceId: string;
  attributes: Record<string, Value>;
  resource: Record<string, Value>;
}

type Obj = Record<string, unknown>;

function hex(v: unknown): string {
  return v instanceof Uint8Array ? Buffer.from(v).toString('hex') : '';
}

function anyValue(v: Obj | undefined): Value {
  if (v === undefined) return null;
  if ('stringValue' in v) return v.stringValue as string;
  if ('boolValue' in v) return v.boolValue as boolean;
  if ('intValue' in v) return Number(v.intValue as string);
  if ('doubleValue' in v) return v.doubleValue as number;
  if ('arrayValue' in v) return (((v.arrayValue as Obj).values as Obj[] | undefined) ?? []).map(anyValue);
  if ('kvlistValue' in v) return attributes((v.kvlistValue as Obj).values as Obj[] | undefined);
  return null;
}

function attributes(list: Obj[] | undefined): Record<string, Value> {
  const out: Record<string, Value> = {};
  for (const kv of list ?? []) out[kv.key as string] = anyValue(kv.value as Obj | undefined);
  return out;
}

const TO_OBJECT = { longs: String, enums: Number, defaults: false, oneofs: false } as const;

export function decodeTraces(body: Buffer): ReceivedSpan[] {
  const msg = TraceRequest.toObject(TraceRequest.decode(body), TO_OBJECT);
  const spans: ReceivedSpan[] = [];
  for (const rs of (msg.resourceSpans as Obj[] | undefined) ?? []) {
    const resource = attributes(((rs.resource as Obj | undefined)?.attributes as Obj[] | undefined) ?? []);
    for (const ss of (rs.scopeSpans as Obj[] | undefined) ?? []) {
      const scope = ((ss.scope as Obj | undefined)?.name as string | undefined) ?? '';
      for (const s of (ss.spans as Obj[] | undefined) ?? []) {
        const status = (s.status as Obj | undefined) ?? {};
        spans.push({
          traceId: hex(s.traceId),
          spanId: hex(s.spanId),
          parentSpanId: hex(s.parentSpanId),
          name: s.name as string,
          kind: (s.kind as number | undefined) ?? 0,
          startNs: BigInt((s.startTimeUnixNano as string | undefined) ?? '0'),
          endNs: BigInt((s.endTimeUnixNano as string | undefined) ?? '0'),
          attributes: attributes(s.attributes as Obj[] | undefined),
          status: { code: (status.code as number | undefined) ?? 0, message: (status.message as string | undefined) ?? '' },
          resource,
          scope,
        });
      }
    }
  }
  return spans;
}

export function decodeLogs(body: Buffer): ReceivedLog[] {
  const msg = LogsRequest.toObject(LogsRequest.decode(body), TO_OBJECT);
  const logs: ReceivedLog[] = [];
  for (const rl of (msg.resourceLogs as Obj[] | undefined) ?? []) {
    const resource = attributes(((rl.resource as Obj | undefined)?.attributes as Obj[] | undefined) ?? []);
    for (const sl of (rl.scopeLogs as Obj[] | undefined) ?? []) {
      for (const r of (sl.logRecords as Obj[] | undefined) ?? []) {
        logs.push({
          body: anyValue(r.body as Obj | undefined),
          severityText: (r.severityText as string | undefined) ?? '',
          severityNumber: (r.severityNumber as number | undefined) ?? 0,
          traceId: hex(r.traceId),
          attributes: attributes(r.attributes as Obj[] | undefined),
          resource,
        });
      }
    }
  }
  return logs;
}

/** OTLP JSON: the same shapes, with hex ids and decimal-string 64-bit integers. */
function jsonValue(v: Obj | undefined): Value {
  if (v === undefined) return null;
  if ('stringValue' in v) return v.stringValue as string;
  if ('boolValue' in v) return v.boolValue as boolean;
  if ('intValue' in v) return Number(v.intValue as string);
  if ('doubleValue' in v) return v.doubleValue as number;
  if ('arrayValue' in v) return (((v.arrayValue as Obj).values as Obj[] | undefined) ?? []).map(jsonValue);
  if ('kvlistValue' in v) return jsonAttributes((v.kvlistValue as Obj).values as Obj[] | undefined);
  return null;
}

function jsonAttributes(list: Obj[] | undefined): Record<string, Value> {
  const out: Record<string, Value> = {};
  for (const kv of list ?? []) out[kv.key as string] = jsonValue(kv.value as Obj | undefined);
  return out;
}

export function decodeTracesJson(body: string): ReceivedSpan[] {
  const msg = JSON.parse(body) as Obj;
  const spans: ReceivedSpan[] = [];
  for (const rs of (msg.resourceSpans as Obj[] | undefined) ?? []) {
    const resource = jsonAttributes((rs.resource as Obj | undefined)?.attributes as Obj[] | undefined);
    for (const ss of (rs.scopeSpans as Obj[] | undefined) ?? []) {
      const scope = ((ss.scope as Obj | undefined)?.name as string | undefined) ?? '';
      for (const s of (ss.spans as Obj[] | undefined) ?? []) {
        const status = (s.status as Obj | undefined) ?? {};
        spans.push({
          traceId: s.traceId as string,
          spanId: s.spanId as string,
          parentSpanId: (s.parentSpanId as string | undefined) ?? '',
          name: s.name as string,
          kind: (s.kind as number | undefined) ?? 0,
          startNs: BigInt(s.startTimeUnixNano as string),
          endNs: BigInt(s.endTimeUnixNano as string),
          attributes: jsonAttributes(s.attributes as Obj[] | undefined),
          status: { code: (status.code as number | undefined) ?? 0, message: (status.message as string | undefined) ?? '' },
          resource,
          scope,
        });
      }
    }
  }
  return spans;
}

export interface OtlpReceiver {
  readonly server: Server;
  readonly port: number;
  readonly url: string;
  readonly spans: ReceivedSpan[];
  readonly logs: ReceivedLog[];
  /** Every request: path, content type, headers, status answered. */
  readonly requests: { path: string; contentType: string; headers: Record<string, string | string[] | undefined>; status: number }[];
  /** Answer the next `n` requests with 500. */
  failNext(n: number): void;
  close(): Promise<void>;
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const logs: ReceivedLog[] = [];
  const requests: OtlpReceiver['requests'] = [];
  let failures = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const status = failures > 0 ? 500 : 200;
      if (failures > 0) failures--;
      requests.push({ path: req.url ?? '', contentType: req.headers['content-type'] ?? '', headers: req.headers, status });
      if (status === 200) {
        const json = (req.headers['content-type'] ?? '').startsWith('application/json');
        if (req.url === '/v1/traces') spans.push(...(json ? decodeTracesJson(body.toString()) : decodeTraces(body)));
        else if (req.url === '/v1/logs') logs.push(...decodeLogs(body));
      }
      res.writeHead(status, { 'content-type': 'application/x-protobuf' });
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    url: `http://127.0.0.1:${port}`,
    spans,
    logs,
    requests,
    failNext(n) {
      failures = n;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
