/**
 * Propagation through the PDK, as the tracing plugins run it in access: extract from the client's headers,
 * let the plugin decide the outgoing context, clear and inject on the upstream request, and record the
 * injected trace ids in the log record (`trace_id`), as Kong does.
 */
import type { Kong } from '../pdk/kong.ts';
import { clearAndInject, extract, type ExtractFormat, type PropagationConfig, type TracingContext } from './propagation/index.ts';

export function propagateRequest(
  kong: Kong,
  config: PropagationConfig,
  toInject: (extracted: TracingContext, format: ExtractFormat | null) => TracingContext,
): void {
  const { context, format } = extract(config, kong.tracing.incomingHeaders(), (m) => kong.log.warn(m));
  const out = toInject(context, format);
  const { traceIds, errors } = clearAndInject(config, format, out, {
    set: (name, value) => kong.service.request.setHeader(name, value),
    clear: (name) => kong.service.request.clearHeader(name),
  });
  if (Object.keys(traceIds).length > 0) kong.log.setSerializeValue('trace_id', traceIds);
  if (errors.length > 0) kong.log.err(errors.join(', '));
}
