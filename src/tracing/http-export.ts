/**
 * One POST of an export batch to a collector, bounded by the plugin's connect/send/read timeouts (summed:
 * fetch has one deadline). Any status but 200 is a failure, as Kong's exporters have it, so the queue retries.
 */

export interface ExportTarget {
  readonly endpoint: string;
  readonly contentType: string;
  readonly headers: Readonly<Record<string, string>> | null;
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
  if (res.status !== 200) throw new Error(`failed to send to ${target.endpoint}: status ${res.status}${text === '' ? '' : `, ${text.slice(0, 200)}`}`);
}
