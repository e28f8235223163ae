/**
 * Kong's sampler: a parent's decision when the request carried one, else a probability decided by the trace
 * id (its first 8 bytes as an unsigned integer below rate * 2^64), so that every node seeing the same trace
 * id decides alike.
 */

const TWO_POW_64 = 2 ** 64;

/** The probability decision for `traceId` at `rate` (0..1). */
export function sampleByTraceId(traceId: Buffer, rate: number): boolean {
  if (rate >= 1) return true;
  if (rate <= 0) return false;
  // Kong reads the 8 bytes in the machine's order (little-endian on the platforms it runs on).
  const truncated = Number(traceId.readBigUInt64LE(0));
  return truncated < rate * TWO_POW_64;
}

/**
 * Kong's `get_sampling_decision`: no sampling for a propagation-only trace, the parent's flag when there is
 * one, else the probability sampler at the plugin's rate or the node's `tracing_sampling_rate`.
 */
export function samplingDecision(
  traceId: Buffer,
  parentShouldSample: boolean | undefined,
  pluginRate: number | null | undefined,
  nodeRate: number,
  propagationOnly: boolean,
): boolean {
  if (propagationOnly) return false;
  if (parentShouldSample !== undefined) return parentShouldSample;
  return sampleByTraceId(traceId, pluginRate ?? nodeRate);
}
