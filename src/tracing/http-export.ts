/**
 * One POST of an export batch to a collector, bounded by the plugin's connect/send/read timeouts (summed:
 * fetch has one deadline). A refused batch (Kong's OTLP exporter: any status but 200; zipkin: any but 2xx) is
 * a failure, so that the queue retries it.
 */

export interface ExportTarget {
  readonly endpoint: string;
  readonly contentType: string;
  readonly headers: Readonly<Record<string, string>> | null;
  /** Any 2xx counts as delivered (zipkin); otherwise only 200 does (Kong's OTLP exporter). */
  readonly anySuccess?: boolean;
  readonly connectTimeout: number;
  readonly sendTimeout: number;
  readonly readTimeout: number;
}

export async function postBatch(target: ExportTarget, body: Buffer | string): Promise<void> {
  const headers: Record<string, string> = { 'Content-Type': target.contentType };
  if (target.headers !== null) Object.assign(headers, target.headers);
  const res = await fetch(target.endpoint, {
    method: 'POST',
    headers,
    body,
    signal: AbortSignal.timeout(target.connectTimeout + target.sendTimeout + target.readTimeout),
  });
  const text = await res.text();
  const ok = target.anySuccess === true ? res.status >= 200 && res.status < 300 : res.status === 200;
  if (!ok) throw new Error(`failed to send to ${target.endpoint}: status ${res.status}${text === '' ? '' : `, ${text.slice(0, 200)}`}`);
}
