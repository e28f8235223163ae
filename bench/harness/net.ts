/**
 * Loopback helpers: free ports and HTTP readiness polling. Only 127.0.0.1 is ever used.
 */
import { createServer } from 'node:net';
import { request } from 'node:http';

/** Asks the kernel for a free TCP port on 127.0.0.1 (bind to 0, read the port, close). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('could not get a free port'))));
    });
  });
}

/** Status code and body of one GET, or the error message when the request failed. */
export interface ProbeResult {
  status?: number;
  body?: string;
  error?: string;
}

/** One GET with no keep-alive and a short timeout. */
export function probe(url: string, timeoutMs = 1000, headers: readonly string[] = []): Promise<ProbeResult> {
  const sent: Record<string, string> = {};
  for (const header of headers) {
    const colon = header.indexOf(':');
    if (colon > 0) sent[header.slice(0, colon).trim()] = header.slice(colon + 1).trim();
  }
  return new Promise((resolve) => {
    const req = request(url, { method: 'GET', agent: false, timeout: timeoutMs, headers: sent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => { if (body.length < 4096) body += chunk; });
      res.on('end', () => resolve({ status: res.statusCode, body }));
      res.on('error', (error) => resolve({ error: error.message }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (error) => resolve({ error: error.message }));
    req.end();
  });
}

/** Why waiting stopped: ready, timed out, or the process it waited for is gone. */
export type WaitOutcome = { ready: true } | { ready: false; reason: string };

/** Options of {@link waitForHttp}. */
export interface WaitOptions {
  timeoutMs: number;
  /** Which status counts as ready; default: only 200. */
  accept?: (status: number) => boolean;
  /** Checked between attempts; returns a reason to stop early (typically: the process exited). */
  gaveUp?: () => string | undefined;
}

/** Polls `url` until it answers with an accepted status, for at most `timeoutMs`. */
export async function waitForHttp(url: string, options: WaitOptions): Promise<WaitOutcome> {
  const accept = options.accept ?? ((status: number) => status === 200);
  const gaveUp = options.gaveUp ?? (() => undefined);
  const deadline = Date.now() + options.timeoutMs;
  let last = 'no attempt yet';
  while (Date.now() < deadline) {
    const reason = gaveUp();
    if (reason !== undefined) return { ready: false, reason };
    const result = await probe(url, Math.min(1000, Math.max(100, deadline - Date.now())));
    if (result.status !== undefined && accept(result.status)) return { ready: true };
    last = result.error ?? `HTTP ${result.status}`;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const reason = gaveUp();
  return { ready: false, reason: reason ?? `${url} did not answer within ${(options.timeoutMs / 1000).toFixed(0)} s (last: ${last})` };
}
