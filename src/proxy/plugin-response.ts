/**
 * The response of a request whose route has plugins: response (buffered), header_filter and body_filter
 * phases between the upstream (or a plugin's answer) and the client. Head, chunks and end go through one
 * queue, so a phase that returns a promise holds what follows until it settles (and pauses the upstream).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { PluginContext } from '../pdk/index.ts';
import { PHASE } from '../pdk/phase-rules.ts';
import { clearHeader, getHeader, setHeader } from '../pdk/header-list.ts';
import { SERVER_TOKEN } from '../core/version.ts';
import { HEADER_REQUEST_ID, type DownstreamHeaders } from './options.ts';
import type { PluginChain } from '../snapshot/plugin-chains.ts';
import { applyPendingResponse, filterChunk, renderExit, runPhase, type PhaseRun, type PluginErrorLog } from './plugin-phases.ts';
import type { ProxyResponse } from './proxy-response.ts';

/** What the writer needs from the upstream call (or nothing, for a plugin's own answer). */
export interface ResponseSource {
  pause(): void;
  resume(): void;
}

const NO_SOURCE: ResponseSource = { pause() {}, resume() {} };

type Step = { kind: 'head'; status: number; message: string } | { kind: 'chunk'; data: Buffer } | { kind: 'end' };

export class PluginResponseWriter {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly ctx: PluginContext;
  readonly chain: PluginChain;
  readonly log: PluginErrorLog;
  readonly timeoutMs: number;
  /** Called once the whole answer went out (or could not): the log phase and the request's accounting. */
  readonly onDone: () => void;
  source: ResponseSource = NO_SOURCE;
  /**
   * The node's `headers` setting: the gateway's own headers that Kong sets after the plugins' header_filter,
   * so that a plugin cannot change them (null: none, as in unit tests).
   */
  gatewayHeaders: DownstreamHeaders | null = null;
  /** The request reached the upstream: even a plugin's later answer keeps the Server header it has (Kong's rule). */
  proxied = false;
  /** Whole-response buffering (response phase or `enableBuffering`): chunks collected until the end. */
  buffer: Buffer[] | null = null;
  bodyBytes = 0;
  readonly #queue: Step[] = [];
  #busy = false;
  #done = false;
  #message = '';

  constructor(req: IncomingMessage, res: ServerResponse, ctx: PluginContext, chain: PluginChain, log: PluginErrorLog, timeoutMs: number, onDone: () => void) {
    this.req = req;
    this.res = res;
    this.ctx = ctx;
    this.chain = chain;
    this.log = log;
    this.timeoutMs = timeoutMs;
    this.onDone = onDone;
  }

  #run(bit: number, answers: boolean): PhaseRun {
    return { bit, answers, timeoutMs: this.timeoutMs, log: this.log };
  }

  /** The response head: the upstream's (headers already cleaned of hop-by-hop ones) or a plugin's. */
  head(status: number, message: string, headers: string[], source: 'service' | 'exit' | 'error'): void {
    const ctx = this.ctx;
    ctx.downstream = { status, headers, source, size: 0 };
    applyPendingResponse(ctx, headers);
    if (source === 'service' && (this.chain.response !== null || ctx.buffered)) {
      this.buffer = [];
      this.#message = message;
      return;
    }
    this.#push({ kind: 'head', status, message });
  }

  data(chunk: Buffer): void {
    if (this.buffer !== null) this.buffer.push(chunk);
    else this.#push({ kind: 'chunk', data: chunk });
  }

  end(): void {
    if (this.buffer !== null) {
      this.#finishBuffered();
      return;
    }
    this.#push({ kind: 'end' });
  }

  /**
   * A plugin's answer (access or response phase): its head and body through header_filter and body_filter.
   * In the response phase the upstream's headers stay, under the ones the plugin gives (as in Kong).
   */
  sendExit(): void {
    const ctx = this.ctx;
    const exit = ctx.exited!;
    const { headers, body } = renderExit(this.req, exit, ctx.requestId);
    let all = headers;
    const upstream = ctx.phaseBit === PHASE.response ? ctx.downstream : null;
    if (upstream !== null) {
      all = upstream.headers;
      for (let i = 0; i < headers.length; i += 2) clearHeader(all, headers[i]);
      all.push(...headers);
    }
    this.buffer = null;
    if (exit.stream !== undefined && !ctx.unexpected) {
      // A Content-Length the plugin gave stays (it knows the length); otherwise the answer is chunked.
      this.head(exit.status, '', all, 'exit');
      this.#pump(exit.stream[Symbol.asyncIterator]());
      return;
    }
    clearHeader(all, 'content-length');
    all.push('Content-Length', String(body.length));
    this.head(exit.status, '', all, ctx.unexpected ? 'error' : 'exit');
    if (body.length > 0) this.data(body);
    this.end();
  }

  /**
   * Sends a streamed exit body: chunks are read one at a time while the client keeps up (the writer pauses this
   * source on backpressure and while a filter waits). A failing source, or a client that left, ends the answer:
   * the connection is cut when the body is short, and the log phase still runs.
   */
  #pump(chunks: AsyncIterator<Uint8Array>): void {
    let paused = false;
    let reading = false;
    let finished = false;
    const finish = (failed: boolean): void => {
      if (finished) return;
      finished = true;
      if (failed && !this.res.destroyed) this.res.destroy();
      void chunks.return?.();
      this.end();
    };
    const read = async (): Promise<void> => {
      if (reading || finished) return;
      reading = true;
      try {
        while (!paused && !finished) {
          if (this.res.destroyed) {
            finish(false);
            return;
          }
          const next = await chunks.next();
          if (finished) return;
          if (next.done === true) {
            finish(false);
            return;
          }
          if (next.value.byteLength > 0) this.data(Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength));
        }
      } catch {
        finish(true);
      } finally {
        reading = false;
      }
    };
    // A HEAD answer has no body to read; a client that leaves while the source is paused ends it too.
    if (this.req.method === 'HEAD') {
      finish(false);
      return;
    }
    this.res.once('close', () => finish(false));
    this.source = {
      pause: () => {
        paused = true;
      },
      resume: () => {
        if (!paused) return;
        paused = false;
        void read();
      },
    };
    void read();
  }

  /** The buffered upstream response: the response phase, then the usual filters over the whole body. */
  #finishBuffered(): void {
    const ctx = this.ctx;
    const body = Buffer.concat(this.buffer!);
    this.buffer = null;
    if (ctx.upstream !== null) ctx.upstream.body = body;
    const steps = this.chain.response;
    const after = (): void => {
      if (ctx.exited !== null) {
        this.sendExit();
        return;
      }
      const out = ctx.responseBody ?? body;
      const headers = ctx.downstream!.headers;
      clearHeader(headers, 'content-length');
      headers.push('Content-Length', String(out.length));
      this.#push({ kind: 'head', status: ctx.downstream!.status, message: this.#message });
      if (out.length > 0) this.#push({ kind: 'chunk', data: out });
      this.#push({ kind: 'end' });
    };
    if (steps === null) {
      after();
      return;
    }
    const result = runPhase(ctx, steps, this.#run(PHASE.response, true));
    if (result === undefined) after();
    else {
      this.source.pause();
      result.then(after, after);
    }
  }

  #push(step: Step): void {
    this.#queue.push(step);
    if (!this.#busy) this.#drain();
  }

  /** Works through the queue; a step that waits pauses the upstream and resumes the queue when it settles. */
  #drain(): void {
    while (this.#queue.length > 0 && !this.#done) {
      const step = this.#queue.shift()!;
      const waiting = this.#apply(step);
      if (waiting !== undefined) {
        this.#busy = true;
        this.source.pause();
        waiting.then(() => {
          this.#busy = false;
          this.source.resume();
          this.#drain();
        });
        return;
      }
    }
  }

  #apply(step: Step): Promise<void> | undefined {
    switch (step.kind) {
      case 'head':
        return this.#head(step.status, step.message);
      case 'chunk':
        return this.#chunk(step.data, false);
      case 'end':
        return this.#chunk(Buffer.alloc(0), true);
    }
  }

  #head(status: number, message: string): Promise<void> | undefined {
    const ctx = this.ctx;
    const downstream = ctx.downstream!;
    downstream.status = status;
    if (this.chain.body_filter !== null && !this.chain.bodyFilterKeepsLength) clearHeader(downstream.headers, 'content-length');
    const steps = this.chain.header_filter;
    const write = (): void => {
      const res = this.res;
      if (res.headersSent || res.destroyed) return;
      if (this.gatewayHeaders !== null) this.#gatewayHeaders(downstream.headers, !this.proxied && downstream.source !== 'service');
      if (message !== '' && this.req.httpVersionMajor !== 2) res.writeHead(downstream.status, message, downstream.headers);
      else res.writeHead(downstream.status, downstream.headers);
    };
    if (steps === null) {
      write();
      return undefined;
    }
    const result = runPhase(ctx, steps, this.#run(PHASE.header_filter, false));
    if (result === undefined) {
      write();
      return undefined;
    }
    return result.then(write);
  }

  /**
   * What Kong's runloop sets once header_filter ran: the request id, and on an answer the gateway gave itself
   * (a plugin's, an error) its Server header, unless a plugin's Via names the gateway (a plugin that answers as
   * a proxy keeps its own Server then). Without `Server` in `headers`, such an answer carries no Server header.
   */
  #gatewayHeaders(headers: string[], answered: boolean): void {
    const enabled = this.gatewayHeaders!;
    if (answered && !(enabled.via && getHeader(headers, 'via') === SERVER_TOKEN)) {
      if (enabled.server) setHeader(headers, 'Server', SERVER_TOKEN);
      else clearHeader(headers, 'server');
    }
    if (enabled.requestId) setHeader(headers, HEADER_REQUEST_ID, this.ctx.requestId);
  }

  #chunk(data: Buffer, last: boolean): Promise<void> | undefined {
    const steps = this.chain.body_filter;
    if (steps === null) {
      this.#write(data, last);
      return undefined;
    }
    const result = filterChunk(this.ctx, steps, data, last, this.#run(PHASE.body_filter, false));
    if (Buffer.isBuffer(result)) {
      this.#write(result, last);
      return undefined;
    }
    return result.then((out) => this.#write(out, last));
  }

  #write(data: Buffer, last: boolean): void {
    const res = this.res;
    const head = this.req.method === 'HEAD';
    if (data.length > 0 && !head && !res.destroyed) {
      this.bodyBytes += data.length;
      if (!last && !res.write(data)) {
        this.source.pause();
        res.once('drain', () => {
          if (!this.#busy) this.source.resume();
        });
      } else if (last) res.end(data);
    }
    if (last) {
      if (!res.writableEnded && !res.destroyed) res.end();
      this.#done = true;
      this.ctx.downstream!.size = this.bodyBytes;
      (res as ProxyResponse).bodyBytes = this.bodyBytes;
      this.onDone();
    }
  }
}
