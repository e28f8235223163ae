/**
 * A PDK context for unit tests of plugin phases: a request from a URL, raw headers, a method, an optional
 * body and client address, and helpers to run a phase and read what it set.
 */
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { PluginContext, type PdkEnvironment, type PluginConfigData } from '../../src/pdk/index.ts';
import { PHASE } from '../../src/pdk/phase-rules.ts';
import { buildConfigData } from '../../src/snapshot/plugin-chains.ts';
import type { SnapshotInput } from '../../src/snapshot/types.ts';

export const TEST_ENV: PdkEnvironment = { services: null, nodeId: 'n', hostname: 'h', isTrusted: () => false, log: () => {}, maxBodyBytes: 1 << 20 };

/** What `prepare` is handed: only the collections given (consumers, a plugin's credentials), the rest empty. */
export function configData(collections: Partial<SnapshotInput> = {}): PluginConfigData {
  return buildConfigData({ services: [], routes: [], upstreams: [], targets: [], plugins: [], consumers: [], ...collections });
}

const DATA = configData();

export interface TestRequest {
  method?: string;
  url?: string;
  /** Flat `[name, value, ...]`, as Node's rawHeaders. */
  headers?: string[];
  /** The body, sent in these chunks. */
  body?: Buffer[];
  clientIp?: string;
  /** Headers already on the upstream request before the client's (flat), e.g. forged ones a plugin must replace. */
  upstreamHeaders?: string[];
  /** The configuration the phase sees; default: empty. */
  data?: PluginConfigData;
  env?: PdkEnvironment;
}

/** A context in the access phase for `request`. */
export function pluginContext(request: TestRequest = {}): PluginContext {
  const url = request.url ?? '/';
  const rawHeaders = request.headers ?? [];
  const headers: Record<string, string> = {};
  for (let i = 0; i < rawHeaders.length; i += 2) headers[rawHeaders[i].toLowerCase()] ??= rawHeaders[i + 1];
  const stream = Readable.from(request.body ?? []);
  const req = Object.assign(stream, { url, method: request.method ?? 'GET', rawHeaders, headers, socket: { remoteAddress: '127.0.0.1' } }) as unknown as IncomingMessage;
  const upstream = ['host', '', ...(request.upstreamHeaders ?? []), ...rawHeaders];
  return new PluginContext(req, 'rid', upstream, url, request.env ?? TEST_ENV, request.data ?? DATA, performance.now(), request.clientIp ?? '127.0.0.1');
}

/** The value a phase left for upstream header `name` (the first, any case), or undefined when it has none. */
export function upstreamHeader(ctx: PluginContext, name: string): string | undefined {
  const lower = name.toLowerCase();
  const list = ctx.upstreamHeaders;
  for (let i = 2; i < list.length; i += 2) if (list[i].toLowerCase() === lower) return list[i + 1];
  return undefined;
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
