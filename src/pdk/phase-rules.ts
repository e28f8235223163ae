/**
 * Which PDK calls each phase allows, as Kong's phase checker has them. A call made in a phase where Kong
 * forbids it throws, naming the call and the phase, instead of being ignored.
 */
import type { PluginPhase } from './plugin-handler.ts';

/** Phase bits, so that a check is one AND. */
export const PHASE = {
  certificate: 1 << 0,
  rewrite: 1 << 1,
  access: 1 << 2,
  response: 1 << 3,
  header_filter: 1 << 4,
  body_filter: 1 << 5,
  log: 1 << 6,
} as const satisfies Record<PluginPhase, number>;

const { certificate, rewrite, access, response, header_filter, body_filter, log } = PHASE;

/** Every phase with a request (all but certificate). */
export const REQUEST_PHASES = rewrite | access | response | header_filter | body_filter | log;
/** Before anything was sent upstream. */
export const BEFORE_PROXY = rewrite | access;
/** Once the response (upstream's or a plugin's) is known. */
export const AFTER_RESPONSE = response | header_filter | body_filter | log;
/** Where the response headers may still change. */
export const RESPONSE_HEADERS_WRITABLE = rewrite | access | response | header_filter;
/** Where the request body may be read. */
export const REQUEST_BODY = rewrite | access | response;
/** Where the response may be replaced by a plugin's answer. */
export const EXIT = rewrite | access | response;
/** Where the route, service and consumer are known. */
export const ROUTED = access | response | header_filter | body_filter | log;
export const ALL = certificate | REQUEST_PHASES;
export const BODY_FILTER = body_filter;
export const RESPONSE_BODY = response | body_filter;

/** A PDK call made in a phase that does not allow it. */
export class PdkPhaseError extends Error {
  readonly call: string;
  readonly phase: PluginPhase;
  constructor(call: string, phase: PluginPhase) {
    super(`${call} cannot be called in the ${phase} phase`);
    this.name = 'PdkPhaseError';
    this.call = call;
    this.phase = phase;
  }
}

const PHASE_NAMES = Object.keys(PHASE) as PluginPhase[];

/** The phase name of a phase bit. */
export function phaseName(bit: number): PluginPhase {
  return PHASE_NAMES[31 - Math.clz32(bit)];
}

/** Throws when `phase` is not in `allowed`. */
export function checkPhase(phase: number, allowed: number, call: string): void {
  if ((phase & allowed) === 0) throw new PdkPhaseError(call, phaseName(phase));
}
