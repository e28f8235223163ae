/**
 * A PDK context for unit tests of plugin phases: a request from a URL, raw headers, a method, an optional
 * body and client address, and helpers to run a phase and read what it set.
 */
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { PluginContext, type PdkEnvironment } from '../../src/pdk/index.ts';
import { PHASE } from '../../src/pdk/phase-rules.ts';
import { buildConfigData } from '../../src/snapshot/plugin-chains.ts';

export const TEST_ENV: PdkEnvironment = { services: null, nodeId: 'n', hostname: 'h', isTrusted: () => false, log: () => {}, maxBodyBytes: 1 << 20 };

const DATA = buildConfigData({ services: [], routes: [], upstreams: [], targets: [], plugins: [], consumers: [] });

export interface TestRequest {
  method?: string;
  url?: string;
  /** Flat `[name, value, ...]`, as Node's rawHeaders. */
  headers?: string[];
  /** The body, sent in these chunks. */
  body?: Buffer[];
  clientIp?: string;
}

/** A context in the access phase for `request`. */
export function pluginContext(request: TestRequest = {}): PluginContext {
  const url = request.url ?? '/';
  const rawHeaders = request.headers ?? [];
  const headers: Record<string, string> = {};
  for (let i = 0; i < rawHeaders.length; i += 2) headers[rawHeaders[i].toLowerCase()] ??= rawHeaders[i + 1];
  const stream = Readable.from(request.body ?? []);
  const req = Object.assign(stream, { url, method: request.method ?? 'GET', rawHeaders, headers, socket: { remoteAddress: '127.0.0.1' } }) as unknown as IncomingMessage;
  return new PluginContext(req, 'rid', ['host', '', ...rawHeaders], url, TEST_ENV, DATA, performance.now(), request.clientIp ?? '127.0.0.1');
}

/** Moves a context to header_filter with a response of `status` and `headers` (flat). */
export function toHeaderFilter(ctx: PluginContext, status = 200, headers: string[] = []): void {
  ctx.phaseBit = PHASE.header_filter;
  ctx.downstream = { status, headers: [...headers], source: 'service', size: 0 };
}

/** Every value of a response header: from the response in header_filter, else from the pending edits of access. */
export function responseHeader(ctx: PluginContext, name: string): string[] {
  const lower = name.toLowerCase();
  if (ctx.downstream !== null) {
    const out: string[] = [];
    const list = ctx.downstream.headers;
    for (let i = 0; i < list.length; i += 2) if (list[i].toLowerCase() === lower) out.push(list[i + 1]);
    return out;
  }
  let values: string[] = [];
  for (const [op, header, value] of ctx.pendingResponseHeaders ?? []) {
    if (header.toLowerCase() !== lower) continue;
    if (op === 'clear') values = [];
    else values.push(value);
  }
  return values;
}
