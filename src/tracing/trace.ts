/**
 * One request's trace: its spans, the trace id they share, the sampling decision and the hooks the proxy
 * calls. A request gets one only when `tracing_instrumentations` is on (or a tracing plugin needs one to
 * propagate headers), so requests that do not trace pay a single null check per hook.
 */
import { newSpanId, newTraceId } from './ids.ts';
import { nowMs } from './clock.ts';
import { SPAN_KIND, STATUS_ERROR, Span, type AttributeValue } from './span.ts';
import { INSTRUMENT } from './instrumentations.ts';
import { sampleByTraceId } from './sampler.ts';
import { PHASE } from '../pdk/phase-rules.ts';

/** What the proxy knows of a try at an upstream target. */
interface BalancerTry {
  readonly span: Span;
  failed: boolean;
}

export { wallMs } from './clock.ts';

export class RequestTrace {
  traceId: Buffer;
  /** INSTRUMENT bits of what gets spans. */
  readonly mask: number;
  readonly spans: Span[] = [];
  readonly root: Span;
  active: Span;
  /** The trace's sampling decision (Kong's `set_should_sample` changes it). */
  shouldSample: boolean;
  /** A trace made only to carry propagation headers (instrumentation off): never exported. */
  readonly propagationOnly: boolean;
  /** Flags read from the incoming header (W3C), with the sampled bit of the decision. */
  flags = 0;
  /**
   * The span injected upstream as the parent, created before the first try (Kong's unlinked balancer span);
   * it becomes the last try's span, the one whose answer the client got.
   */
  injectedBalancer: Span | null = null;
  /** PHASE bits of the plugin phases that get a span per plugin. */
  readonly pluginPhases: number;
  #tries: BalancerTry[] | null = null;
  #finalized = false;

  constructor(mask: number, startMs: number, nodeRate: number, propagationOnly = false) {
    this.mask = mask;
    this.pluginPhases =
      ((mask & INSTRUMENT.plugin_rewrite) !== 0 ? PHASE.rewrite : 0) |
      ((mask & INSTRUMENT.plugin_access) !== 0 ? PHASE.access : 0) |
      ((mask & INSTRUMENT.plugin_header_filter) !== 0 ? PHASE.header_filter : 0);
    this.traceId = newTraceId();
    this.propagationOnly = propagationOnly;
    this.shouldSample = !propagationOnly && sampleByTraceId(this.traceId, nodeRate);
    const root = new Span(propagationOnly ? 'root' : 'kong', SPAN_KIND.SERVER, newSpanId(), null, startMs);
    if (propagationOnly) root.setAttribute('kong.propagation_only', true);
    this.root = root;
    this.active = root;
    this.spans.push(root);
  }

  /** A new span under the active one (or `parent`), started now unless `startMs` is given. */
  startSpan(name: string, kind: number = SPAN_KIND.INTERNAL, startMs = nowMs(), parent: Span | null = this.active): Span {
    const span = new Span(name, kind, newSpanId(), parent === null ? null : parent.spanId, startMs);
    span.shouldSample = this.shouldSample;
    this.spans.push(span);
    return span;
  }

  /** Ends a span; when it was the active one, its parent is active again. */
  endSpan(span: Span, endMs = nowMs()): void {
    span.finish(endMs);
    if (this.active === span) this.active = this.parentOf(span) ?? this.root;
  }

  parentOf(span: Span): Span | null {
    const parent = span.parentId;
    if (parent === null) return null;
    for (const s of this.spans) if (s.spanId === parent) return s;
    return null;
  }

  /** Root span attributes Kong records when a request arrives (instrumentation `request`). */
  describeRequest(attributes: Readonly<Record<string, AttributeValue>>): void {
    for (const key in attributes) this.root.setAttribute(key, attributes[key]);
  }

  /** A plugin's phase begins: its span (`kong.<phase>.plugin.<name>`) is active until it ends. */
  pluginSpan(phase: string, plugin: string): Span {
    const span = this.startSpan(pluginSpanName(phase, plugin), SPAN_KIND.INTERNAL, nowMs(), this.root);
    this.active = span;
    return span;
  }

  /** The router's work (instrumentation `router`), timed by the proxy. */
  routed(startMs: number, endMs: number): void {
    if ((this.mask & INSTRUMENT.router) === 0) return;
    const span = this.startSpan('kong.router', SPAN_KIND.INTERNAL, startMs, this.root);
    span.finish(endMs);
  }

  /** Whether `finalize` ran: spans started now would never be exported. */
  get ended(): boolean {
    return this.#finalized;
  }

  /** The span the tracing plugin injects upstream: created once, linked to the last try at the end. */
  balancerSpanForInjection(): Span | null {
    if ((this.mask & INSTRUMENT.balancer) === 0) return null;
    if (this.injectedBalancer === null) {
      const span = new Span('kong.balancer', SPAN_KIND.CLIENT, newSpanId(), this.root.spanId, nowMs());
      span.shouldSample = this.shouldSample;
      this.injectedBalancer = span;
    }
    return this.injectedBalancer;
  }

  /** A try at an upstream target begins (instrumentation `balancer`). */
  tryStarted(ip: string, port: number): void {
    if ((this.mask & INSTRUMENT.balancer) === 0) return;
    const tries = (this.#tries ??= []);
    const span = this.startSpan('kong.balancer', SPAN_KIND.CLIENT, nowMs(), this.root);
    span.setAttribute('try_count', tries.length + 1);
    span.setAttribute('net.peer.ip', ip);
    span.setAttribute('net.peer.port', port);
    tries.push({ span, failed: false });
  }

  /** The current try failed: Kong marks its span with the status the try got and an error status. */
  tryFailed(status: number, message: string): void {
    const tries = this.#tries;
    if (tries === null || tries.length === 0) return;
    const last = tries[tries.length - 1];
    last.failed = true;
    last.span.setAttribute('http.status_code', status);
    last.span.setStatus(STATUS_ERROR, message);
    last.span.finish();
  }

  /**
   * Ends the request's spans (Kong does it before the log phase): the root with the status the client got,
   * the last try's span under the id injected upstream. Idempotent.
   */
  finalize(endMs: number, status: number, route: string | null): void {
    if (this.#finalized) return;
    this.#finalized = true;
    const root = this.root;
    if (!this.propagationOnly) {
      root.setAttribute('http.status_code', status);
      if (route !== null) root.setAttribute('http.route', route);
    }
    const tries = this.#tries;
    const injected = this.injectedBalancer;
    if (tries !== null && tries.length > 0) {
      const last = tries[tries.length - 1];
      if (injected !== null && !last.failed) last.span.spanId = injected.spanId;
    }
    for (const span of this.spans) {
      if (span.endMs === 0) span.finish(endMs);
      span.shouldSample = span.shouldSample && this.shouldSample;
    }
    root.finish(endMs);
  }

  /** Sets the decision for the trace and every span so far (Kong's `set_should_sample`). */
  setShouldSample(sampled: boolean): void {
    this.shouldSample = sampled;
    for (const span of this.spans) span.shouldSample = sampled;
    if (this.injectedBalancer !== null) this.injectedBalancer.shouldSample = sampled;
  }
}

/** Span names per phase and plugin, built once (Kong memoizes them too). */
const pluginSpanNames = new Map<string, Map<string, string>>();

function pluginSpanName(phase: string, plugin: string): string {
  let byPlugin = pluginSpanNames.get(phase);
  if (byPlugin === undefined) pluginSpanNames.set(phase, (byPlugin = new Map()));
  let name = byPlugin.get(plugin);
  if (name === undefined) {
    name = `kong.${phase}.plugin.${plugin}`;
    byPlugin.set(plugin, name);
  }
  return name;
}
