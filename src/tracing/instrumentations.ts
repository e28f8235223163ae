/**
 * `tracing_instrumentations`: which parts of a request get spans, as one bitmask so that each hook tests one
 * bit.
 */

export const INSTRUMENT = {
  request: 1,
  router: 2,
  http_client: 4,
  balancer: 8,
  plugin_rewrite: 16,
  plugin_access: 32,
  plugin_header_filter: 64,
  db_query: 128,
  dns_query: 256,
} as const;

export type InstrumentationName = keyof typeof INSTRUMENT;

/** Kong's accepted values: `off`, `all`, or any of the named instrumentations. */
export const INSTRUMENTATION_VALUES = ['off', 'all', ...(Object.keys(INSTRUMENT) as InstrumentationName[])] as const;

const ALL = Object.values(INSTRUMENT).reduce((a, b) => a | b, 0);

/** The bitmask of a validated list; 0 is off. */
export function instrumentationMask(list: readonly string[]): number {
  let mask = 0;
  for (const name of list) {
    if (name === 'all') mask |= ALL;
    else if (name !== 'off') mask |= INSTRUMENT[name as InstrumentationName] ?? 0;
  }
  return mask;
}

/** The node-wide tracing settings a worker gets; null in ProxyOptions when instrumentation is off. */
export interface TracingOptions {
  /** INSTRUMENT bits. */
  readonly mask: number;
  /** `tracing_sampling_rate`. */
  readonly samplingRate: number;
}
