/**
 * `kong.response`: the answer the client gets. Before a response exists (rewrite, access) header edits are
 * recorded and applied to whatever answer follows; `exit`/`error` make a plugin's answer.
 */
import type { PluginContext } from './context.ts';
import type { HeaderMap, KongResponse } from './kong.ts';
import { AFTER_RESPONSE, BODY_FILTER, checkPhase, EXIT, PHASE, RESPONSE_BODY, RESPONSE_HEADERS_WRITABLE } from './phase-rules.ts';
import { clearHeader, getHeader, setHeader } from './header-list.ts';
import { argLimits, headerMap, truncated } from './request-api.ts';
import { toBuffer } from './body.ts';

type HeaderValue = string | number | readonly string[];

/** A header value as the list holds it; arrays become one header line per value. */
function headerValues(value: HeaderValue): readonly string[] {
  return Array.isArray(value) ? (value as readonly string[]) : [String(value)];
}

function checkStatus(status: unknown, call: string): number {
  if (!Number.isInteger(status) || (status as number) < 100 || (status as number) > 999) {
    throw new Error(`${call}: code must be an integer between 100 and 999`);
  }
  return status as number;
}

/** Flattens an exit's header table into `[name, value, ...]`. */
function flatten(headers: Readonly<Record<string, HeaderValue>> | undefined): string[] {
  const out: string[] = [];
  if (headers !== undefined) for (const name of Object.keys(headers)) for (const v of headerValues(headers[name])) out.push(name, v);
  return out;
}

export class ResponseApi implements KongResponse {
  readonly #ctx: PluginContext;
  constructor(ctx: PluginContext) {
    this.#ctx = ctx;
  }

  #headers(call: string): string[] {
    checkPhase(this.#ctx.phaseBit, AFTER_RESPONSE, call);
    return this.#ctx.downstream!.headers;
  }

  getStatus(): number {
    checkPhase(this.#ctx.phaseBit, AFTER_RESPONSE, 'kong.response.get_status');
    return this.#ctx.downstream!.status;
  }
  getHeader(name: string): string | undefined {
    return getHeader(this.#headers('kong.response.get_header'), name);
  }
  getHeaders(maxHeaders?: number): HeaderMap {
    const ctx = this.#ctx;
    return headerMap(this.#headers('kong.response.get_headers'), maxHeaders ?? argLimits(ctx).responseHeaders, () => truncated(ctx, 'response headers truncated'));
  }
  getSource(): 'service' | 'exit' | 'error' {
    checkPhase(this.#ctx.phaseBit, AFTER_RESPONSE, 'kong.response.get_source');
    return this.#ctx.downstream!.source;
  }

  setStatus(status: number): void {
    checkPhase(this.#ctx.phaseBit, RESPONSE_HEADERS_WRITABLE, 'kong.response.set_status');
    const code = checkStatus(status, 'kong.response.set_status');
    const ctx = this.#ctx;
    if (ctx.downstream !== null) ctx.downstream.status = code;
    else ctx.pendingStatus = code;
  }

  #edit(op: 'set' | 'add' | 'clear', name: string, value: HeaderValue | null, call: string): void {
    const ctx = this.#ctx;
    checkPhase(ctx.phaseBit, RESPONSE_HEADERS_WRITABLE, call);
    if (typeof name !== 'string' || name === '') throw new Error(`${call}: header name must be a non-empty string`);
    const values = value === null ? [] : headerValues(value);
    const list = ctx.downstream?.headers;
    if (list === undefined) {
      const pending = (ctx.pendingResponseHeaders ??= []);
      if (op !== 'add') pending.push(['clear', name, '']);
      for (const v of values) pending.push(['add', name, v]);
      return;
    }
    if (op === 'set' && values.length === 1) setHeader(list, name, values[0]);
    else {
      if (op !== 'add') clearHeader(list, name);
      for (const v of values) list.push(name, v);
    }
  }

  setHeader(name: string, value: HeaderValue): void {
    this.#edit('set', name, value, 'kong.response.set_header');
  }
  addHeader(name: string, value: string | number): void {
    this.#edit('add', name, value, 'kong.response.add_header');
  }
  clearHeader(name: string): void {
    this.#edit('clear', name, null, 'kong.response.clear_header');
  }
  setHeaders(headers: Readonly<Record<string, HeaderValue>>): void {
    for (const name of Object.keys(headers)) this.#edit('set', name, headers[name], 'kong.response.set_headers');
  }

  exit(status: number, body?: string | Uint8Array | Readonly<Record<string, unknown>> | null, headers?: Readonly<Record<string, HeaderValue>>): void {
    const ctx = this.#ctx;
    checkPhase(ctx.phaseBit, EXIT, 'kong.response.exit');
    ctx.exited = { status: checkStatus(status, 'kong.response.exit'), kind: 'exit', body: body ?? null, headers: flatten(headers) };
  }
  exitStream(status: number, chunks: AsyncIterable<Uint8Array>, headers?: Readonly<Record<string, HeaderValue>>): void {
    const ctx = this.#ctx;
    checkPhase(ctx.phaseBit, EXIT, 'kong.response.exit_stream');
    if (chunks === null || typeof (chunks as Partial<AsyncIterable<Uint8Array>>)[Symbol.asyncIterator] !== 'function') {
      throw new Error('kong.response.exit_stream: chunks must be an async iterable of bytes');
    }
    ctx.exited = { status: checkStatus(status, 'kong.response.exit_stream'), kind: 'exit', body: null, headers: flatten(headers), stream: chunks };
  }
  error(status: number, message?: string, headers?: Readonly<Record<string, HeaderValue>>): void {
    const ctx = this.#ctx;
    checkPhase(ctx.phaseBit, EXIT, 'kong.response.error');
    const code = checkStatus(status, 'kong.response.error');
    if (code < 400) throw new Error('kong.response.error: code must be an integer between 400 and 599');
    ctx.exited = { status: code, kind: 'error', body: message ?? null, headers: flatten(headers) };
  }

  getChunk(): Buffer {
    checkPhase(this.#ctx.phaseBit, BODY_FILTER, 'kong.response.get_chunk');
    return this.#ctx.chunk!.chunk;
  }
  setChunk(chunk: string | Uint8Array | null): void {
    checkPhase(this.#ctx.phaseBit, BODY_FILTER, 'kong.response.set_chunk');
    this.#ctx.chunk!.chunk = chunk === null ? Buffer.alloc(0) : toBuffer(chunk);
  }
  isLastChunk(): boolean {
    checkPhase(this.#ctx.phaseBit, BODY_FILTER, 'kong.response.is_last_chunk');
    return this.#ctx.chunk!.last;
  }

  getRawBody(): string {
    const ctx = this.#ctx;
    checkPhase(ctx.phaseBit, RESPONSE_BODY, 'kong.response.get_raw_body');
    if (ctx.phaseBit === PHASE.response) return (ctx.responseBody ?? ctx.upstream?.body ?? Buffer.alloc(0)).toString('utf8');
    const state = ctx.chunk!;
    if (!state.last) {
      // Kong's body_filter semantics: asking for the whole body holds the chunks back until the last one.
      state.collected ??= [];
      return '';
    }
    if (state.replacement !== null) return state.replacement.toString('utf8');
    return state.collected === null ? state.chunk.toString('utf8') : Buffer.concat([...state.collected, state.chunk]).toString('utf8');
  }
  setRawBody(body: string | Uint8Array): void {
    const ctx = this.#ctx;
    checkPhase(ctx.phaseBit, RESPONSE_BODY, 'kong.response.set_raw_body');
    if (ctx.phaseBit === PHASE.response) {
      ctx.responseBody = toBuffer(body);
      return;
    }
    const state = ctx.chunk!;
    if (!state.last) throw new Error('kong.response.set_raw_body: only with the last chunk of the body (kong.response.is_last_chunk())');
    state.replacement = toBuffer(body);
  }
}
