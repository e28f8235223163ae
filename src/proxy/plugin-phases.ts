/**
 * Runs the plugin phases compiled into a route's chain. Only requests on routes with plugins get here; the
 * others pay one null check on `entry.plugins`. A phase method may return a promise: the runner then waits
 * for it before the next plugin, and otherwise stays synchronous, so synchronous plugins allocate no promise.
 */
import type { IncomingMessage } from 'node:http';
import type { PluginContext, PluginExit } from '../pdk/index.ts';
import { PHASE, phaseName } from '../pdk/phase-rules.ts';
import { clearHeader, setHeader } from '../pdk/header-list.ts';
import { BodyLimitError, toBuffer } from '../pdk/body.ts';
import { byPriority, type PhaseStep, type PluginChain } from '../snapshot/plugin-chains.ts';
import { defaultMessage as defaultMessageFor, renderError } from './error-response.ts';
import type { RequestTrace } from '../tracing/trace.ts';
import { inScope, needsScope, runInScope, runOutsideScope } from '../tracing/request-scope.ts';

/** Kong's message for a plugin that failed. */
export const UNEXPECTED_ERROR = 'An unexpected error occurred';

/** Where plugin failures are reported (the worker's error log). */
export type PluginErrorLog = (message: string) => void;

/** A phase method that did not settle within the bound the service's timeouts give. */
class PluginTimeoutError extends Error {}

function describe(err: unknown): string {
  return err instanceof Error ? (err.stack ?? err.message) : String(err);
}

/** Reports a failed step and, in phases that decide the answer, answers 500 as Kong does. */
function failed(ctx: PluginContext, step: PhaseStep, err: unknown, log: PluginErrorLog, answers: boolean): void {
  if (answers && err instanceof BodyLimitError) {
    // A body read past `kong.request.limitBodySize`: the answer the limiting plugin chose, not a failure.
    ctx.exited = { status: err.status, kind: 'error', body: err.message, headers: [] };
    return;
  }
  const route = (ctx.routed?.route as { id?: string } | null | undefined)?.id ?? '-';
  log(`plugin '${step.name}' (${step.id}) failed in ${phaseName(ctx.phaseBit)} on route ${route}, request id ${ctx.requestId}: ${describe(err)}`);
  if (answers) {
    ctx.unexpected = true;
    ctx.exited = { status: 500, kind: 'error', body: UNEXPECTED_ERROR, headers: [] };
  }
}

/**
 * A step's promise being waited for, until its deadline: one object and one promise per async step. It settles
 * (never rejects) when the method's promise does or when the deadline passes, whichever is first, reporting a
 * failure or a timeout itself, so the runner chains nothing more than its own continuation.
 */
class PendingStep {
  readonly at: number;
  readonly ctx: PluginContext;
  readonly step: PhaseStep;
  readonly run: PhaseRun;
  done = false;
  #resolve: (() => void) | null = null;
  readonly settled: Promise<void>;

  constructor(at: number, ctx: PluginContext, step: PhaseStep, run: PhaseRun, promise: PromiseLike<void>) {
    this.at = at;
    this.ctx = ctx;
    this.step = step;
    this.run = run;
    this.settled = new Promise<void>((resolve) => {
      this.#resolve = resolve;
    });
    promise.then(
      () => this.finish(null, false),
      (err: unknown) => this.finish(err, true),
    );
  }

  /** The method's outcome (or the timeout), once: later ones are ignored. */
  finish(err: unknown, failedWith: boolean): void {
    if (this.done) return;
    this.done = true;
    if (failedWith) failed(this.ctx, this.step, err, this.run.log, this.run.answers);
    const resolve = this.#resolve!;
    this.#resolve = null;
    resolve();
  }

  expire(): void {
    const phase = phaseName(this.run.bit);
    this.finish(new PluginTimeoutError(`did not finish ${phase} within ${this.run.timeoutMs} ms`), true);
  }
}

/**
 * Deadlines of the steps being waited for, checked by one coarse sweep (as the upstream client checks its
 * own), so that an async plugin costs no timer per request.
 */
const pendingSteps: PendingStep[] = [];
let sweeper: NodeJS.Timeout | null = null;
const SWEEP_MS = 100;

function sweepPendingSteps(): void {
  const now = performance.now();
  let kept = 0;
  for (let i = 0; i < pendingSteps.length; i++) {
    const step = pendingSteps[i];
    if (step.done) continue;
    if (now >= step.at) {
      step.expire();
      continue;
    }
    pendingSteps[kept++] = step;
  }
  pendingSteps.length = kept;
  if (kept === 0 && sweeper !== null) {
    clearInterval(sweeper);
    sweeper = null;
  }
}

/**
 * Waits for a step's promise, at most the run's timeout (0: no bound); a failure or a timeout is reported (and,
 * in answering phases, answered) before the returned promise resolves. It never rejects.
 */
function settle(ctx: PluginContext, step: PhaseStep, run: PhaseRun, promise: PromiseLike<void>): Promise<void> {
  if (run.timeoutMs <= 0) {
    return Promise.resolve(promise).then(undefined, (err: unknown) => failed(ctx, step, err, run.log, run.answers));
  }
  const pending = new PendingStep(performance.now() + run.timeoutMs, ctx, step, run, promise);
  pendingSteps.push(pending);
  if (sweeper === null) {
    sweeper = setInterval(sweepPendingSteps, SWEEP_MS);
    sweeper.unref();
  }
  return pending.settled;
}

/** Options of one phase run. */
export interface PhaseRun {
  readonly bit: number;
  /** A failure answers the request with a 500 (rewrite, access, response) rather than being skipped. */
  readonly answers: boolean;
  readonly timeoutMs: number;
  readonly log: PluginErrorLog;
}

/**
 * Runs one step: its phase method with the running plugin recorded, a synchronous failure reported at once.
 * Returns a promise only when the method returned one; it then settles (never rejects) once the method is done
 * or has failed, bounded by the run's timeout.
 */
function runStep(ctx: PluginContext, step: PhaseStep, run: PhaseRun): void | Promise<void> {
  const trace = ctx.trace;
  // The step's outgoing calls and queries find this request's trace through its scope (the log phase runs
  // outside it: see runLogPhase).
  if (run.bit !== PHASE.log && needsScope(trace)) return runInScope(trace, runStepOf, ctx, step, run, trace);
  return runStepOf(ctx, step, run, trace);
}

function runStepOf(ctx: PluginContext, step: PhaseStep, run: PhaseRun, trace: RequestTrace | null): void | Promise<void> {
  if (trace !== null && (trace.pluginPhases & run.bit) !== 0) return runTracedStep(ctx, step, run, trace);
  return runUntracedStep(ctx, step, run);
}

/** A step inside its span (`tracing_instrumentations` plugin_rewrite/plugin_access/plugin_header_filter). */
function runTracedStep(ctx: PluginContext, step: PhaseStep, run: PhaseRun, trace: RequestTrace): void | Promise<void> {
  const span = trace.pluginSpan(phaseName(run.bit), step.name);
  const waiting = runUntracedStep(ctx, step, run);
  if (waiting === undefined) {
    trace.endSpan(span);
    return;
  }
  return waiting.then(() => trace.endSpan(span));
}

function runUntracedStep(ctx: PluginContext, step: PhaseStep, run: PhaseRun): void | Promise<void> {
  ctx.phaseBit = run.bit;
  ctx.currentPlugin = step.name;
  ctx.currentPluginId = step.id;
  let result: void | Promise<void>;
  try {
    result = step.run(ctx, step.conf);
  } catch (err) {
    failed(ctx, step, err, run.log, run.answers);
    return;
  }
  if (result === undefined || typeof (result as Promise<void>).then !== 'function') return;
  return settle(ctx, step, run, result);
}

/**
 * Runs `steps` from `from`, stopping at the first answer when the phase answers. Returns a promise only when
 * a step returned one.
 */
export function runPhase(ctx: PluginContext, steps: readonly PhaseStep[], run: PhaseRun, from = 0): void | Promise<void> {
  for (let i = from; i < steps.length; i++) {
    const waiting = runStep(ctx, steps[i], run);
    if (waiting !== undefined) return waiting.then(() => (run.answers && ctx.exited !== null ? undefined : runPhase(ctx, steps, run, i + 1)));
    if (run.answers && ctx.exited !== null) return;
  }
}

/**
 * Where to go on in another chain after `current`: after the same plugin when that chain has it (its order may
 * be a dynamic one), else at the first step Kong's priority order puts after it.
 */
function indexAfter(steps: readonly PhaseStep[], current: PhaseStep): number {
  for (let i = 0; i < steps.length; i++) if (steps[i].name === current.name) return i + 1;
  for (let i = 0; i < steps.length; i++) if (byPriority(current, steps[i]) < 0) return i;
  return steps.length;
}

/**
 * The access phase: stops at the first plugin that answers (`ctx.exited`). When an auth plugin identifies a
 * consumer that has plugins of its own, the rest of the phase continues on that consumer's chain, after the
 * plugin that identified it (Kong resolves each plugin's configuration when the phase reaches it). Returns
 * the chain the later phases use.
 */
export function runAccess(ctx: PluginContext, chain: PluginChain, run: PhaseRun, from = 0): PluginChain | Promise<PluginChain> {
  const steps = chain.access;
  if (steps === null) return chain;
  for (let i = from; i < steps.length; i++) {
    const step = steps[i];
    const waiting = runStep(ctx, step, run);
    if (waiting !== undefined) return waiting.then(() => (ctx.exited !== null ? chain : next(ctx, chain, step, i, run)));
    if (ctx.exited !== null) return chain;
    if (ctx.consumer !== null && chain.forConsumer !== null) return next(ctx, chain, step, i, run);
  }
  return chain;
}

/** The phases before a request is proxied: global plugins' rewrite, then the route's access. */
export function runBeforeProxy(
  ctx: PluginContext,
  chain: PluginChain,
  rewrite: readonly PhaseStep[] | null,
  timeoutMs: number,
  log: PluginErrorLog,
): PluginChain | Promise<PluginChain> {
  const accessRun = phaseRun(PHASE.access, timeoutMs, log);
  if (rewrite === null) return runAccess(ctx, chain, accessRun);
  const rewritten = runPhase(ctx, rewrite, phaseRun(PHASE.rewrite, timeoutMs, log));
  const access = (): PluginChain | Promise<PluginChain> => (ctx.exited !== null ? chain : runAccess(ctx, chain, accessRun));
  return rewritten === undefined ? access() : rewritten.then(access);
}

/** Global plugins' rewrite phase alone (a request no route matched: nothing else runs before its 404). */
export function runRewrite(ctx: PluginContext, rewrite: readonly PhaseStep[], timeoutMs: number, log: PluginErrorLog): void | Promise<void> {
  return runPhase(ctx, rewrite, phaseRun(PHASE.rewrite, timeoutMs, log));
}

/** The run options of the answering phases, made once per phase, timeout and log rather than per request. */
const phaseRuns = new Map<number, PhaseRun>();
let phaseRunsLog: PluginErrorLog | null = null;

function phaseRun(bit: number, timeoutMs: number, log: PluginErrorLog): PhaseRun {
  if (log !== phaseRunsLog) {
    phaseRuns.clear();
    phaseRunsLog = log;
  }
  // Phase bits are below 128: one number keys both, with no string built per request.
  const key = timeoutMs * 128 + bit;
  let run = phaseRuns.get(key);
  if (run === undefined) {
    run = Object.freeze({ bit, answers: true, timeoutMs, log });
    phaseRuns.set(key, run);
  }
  return run;
}

/** Goes on after step `i`, switching to the consumer's chain when one was identified. */
function next(ctx: PluginContext, chain: PluginChain, step: PhaseStep, i: number, run: PhaseRun): PluginChain | Promise<PluginChain> {
  if (ctx.consumer !== null && chain.forConsumer !== null) {
    const own = chain.forConsumer(ctx.consumer.id);
    if (own !== chain) return own.access === null ? own : runAccess(ctx, own, run, indexAfter(own.access, step));
    // This consumer has no plugins of its own: later identifications cannot change the chain either.
    return runAccess(ctx, { ...chain, forConsumer: null }, run, i + 1);
  }
  return runAccess(ctx, chain, run, i + 1);
}

/** Applies what rewrite/access recorded for the response (`kong.response.set_header`, `set_status`). */
export function applyPendingResponse(ctx: PluginContext, headers: string[]): void {
  const pending = ctx.pendingResponseHeaders;
  if (pending !== null) {
    for (const [op, name, value] of pending) {
      if (op === 'clear') clearHeader(headers, name);
      else if (op === 'set') setHeader(headers, name, value);
      else headers.push(name, value);
    }
  }
  if (ctx.pendingStatus !== 0 && ctx.downstream !== null) ctx.downstream.status = ctx.pendingStatus;
  // Applied once: a plugin's answer in the response phase replaces a head that already has them.
  ctx.pendingResponseHeaders = null;
  ctx.pendingStatus = 0;
}

/** Runs body_filter over one chunk; returns what to send (maybe empty) once the filters are done. */
export function filterChunk(ctx: PluginContext, steps: readonly PhaseStep[], chunk: Buffer, last: boolean, run: PhaseRun): Buffer | Promise<Buffer> {
  const state = (ctx.chunk ??= { chunk, last, collected: null, replacement: null });
  state.chunk = chunk;
  state.last = last;
  const done = (): Buffer => {
    if (state.replacement !== null) {
      const whole = state.replacement;
      state.replacement = null;
      state.collected = null;
      return whole;
    }
    if (state.collected !== null) {
      if (!last) {
        if (state.chunk.length > 0) state.collected.push(state.chunk);
        return EMPTY;
      }
      const whole = Buffer.concat([...state.collected, state.chunk]);
      state.collected = null;
      return whole;
    }
    return state.chunk;
  };
  const result = runPhase(ctx, steps, run);
  return result === undefined ? done() : result.then(done);
}

const EMPTY = Buffer.alloc(0);

/**
 * The status, headers and body of a plugin's answer. An error's body takes the format of the Content-Type the
 * plugin gave, else of the client's Accept, as `kong.response.error`.
 */
export function renderExit(req: IncomingMessage, exit: PluginExit, requestId: string): { headers: string[]; body: Buffer } {
  const headers = exit.headers.slice();
  let body: Buffer;
  if (exit.kind === 'error') {
    const message = typeof exit.body === 'string' ? exit.body : defaultMessageFor(exit.status);
    const given = headerValue(headers, 'content-type');
    const rendered = renderError(given ?? req.headers.accept, message, requestId);
    if (given === undefined) headers.push('Content-Type', rendered.contentType);
    body = Buffer.from(rendered.body);
  } else if (exit.body === null) {
    body = EMPTY;
  } else if (typeof exit.body === 'string' || exit.body instanceof Uint8Array) {
    body = toBuffer(exit.body);
  } else {
    if (!hasHeader(headers, 'content-type')) headers.push('Content-Type', 'application/json; charset=utf-8');
    body = Buffer.from(JSON.stringify(exit.body));
  }
  return { headers, body };
}

function headerValue(headers: readonly string[], lower: string): string | undefined {
  for (let i = 0; i < headers.length; i += 2) if (headers[i].toLowerCase() === lower) return headers[i + 1];
  return undefined;
}

function hasHeader(headers: readonly string[], lower: string): boolean {
  for (let i = 0; i < headers.length; i += 2) if (headers[i].toLowerCase() === lower) return true;
  return false;
}


/**
 * The log phase, once the client has its answer. Failures are reported, never answered; a promise is left to
 * settle on its own (bounded like the other phases), so the request's accounting does not wait for it.
 */
export function runLogPhase(ctx: PluginContext, steps: readonly PhaseStep[], log: PluginErrorLog, timeoutMs: number): void {
  // The request's spans end before the log phase (as Kong ends them), and the deliveries it arms (log queues'
  // timers and connections) must not carry the request's trace, which they would keep alive.
  if (inScope(ctx.trace)) runOutsideScope(runLogSteps, ctx, steps, log, timeoutMs);
  else runLogSteps(ctx, steps, log, timeoutMs);
}

function runLogSteps(ctx: PluginContext, steps: readonly PhaseStep[], log: PluginErrorLog, timeoutMs: number): void {
  const result = runPhase(ctx, steps, { bit: PHASE.log, answers: false, timeoutMs, log });
  if (result !== undefined) result.catch((err: unknown) => log(`log phase failed, request id ${ctx.requestId}: ${describe(err)}`));
}
