/**
 * Sends one http-log batch to the collector over a keep-alive agent per endpoint. A batch of one entry is the
 * entry's JSON object; more entries are a JSON array (Kong's rule, by `max_batch_size`). Fails (so the queue
 * retries) on a network error, a timeout, or a status of 300 or more.
 */
import { Agent as HttpAgent, request as httpRequest, type OutgoingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

export interface HttpTarget {
  readonly url: URL;
  /** `host:port`, for messages (never the user info). */
  readonly where: string;
  readonly method: string;
  readonly headers: Readonly<OutgoingHttpHeaders>;
  readonly timeout: number;
  readonly agent: HttpAgent;
  readonly https: boolean;
}

const agents = new Map<string, HttpAgent>();

/** One agent per scheme, host, port and keepalive, so entities sending to one collector share connections. */
function agentFor(url: URL, keepalive: number): HttpAgent {
  const key = `${url.protocol}//${url.host}|${keepalive}`;
  let agent = agents.get(key);
  if (agent === undefined) {
    // `timeout` on a keep-alive agent closes idle sockets after that long: Kong's `keepalive`.
    const options = { keepAlive: keepalive > 0, timeout: keepalive > 0 ? keepalive : undefined, maxSockets: 16 };
    // Kong's http-log does not verify the collector's certificate (ssl_verify = false).
    agent = url.protocol === 'https:' ? new HttpsAgent({ ...options, rejectUnauthorized: false }) : new HttpAgent(options);
    agents.set(key, agent);
  }
  return agent;
}

export function httpTarget(endpoint: string, method: string, contentType: string, timeout: number, keepalive: number, extra: Readonly<Record<string, string>> | null): HttpTarget {
  const url = new URL(endpoint);
  const https = url.protocol === 'https:';
  const headers: OutgoingHttpHeaders = { 'Content-Type': contentType };
  if (url.username !== '' || url.password !== '') {
    const userinfo = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
    headers.Authorization = `Basic ${Buffer.from(userinfo).toString('base64')}`;
  }
  const taken = new Set(Object.keys(headers).map((h) => h.toLowerCase()));
  // Configured headers never override Content-Type or Authorization (Kong's rule).
  for (const [name, value] of Object.entries(extra ?? {})) if (!taken.has(name.toLowerCase())) headers[name] = value;
  const port = url.port === '' ? (https ? 443 : 80) : Number(url.port);
  return { url, where: `${url.hostname}:${port}`, method, headers, timeout, agent: agentFor(url, keepalive), https };
}

/** The request body for a batch. */
export function batchBody(entries: readonly string[], maxBatchSize: number): string {
  return maxBatchSize === 1 ? entries[0] : `[${entries.join(',')}]`;
}

export function sendBatch(target: HttpTarget, body: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const u = target.url;
    const req = (target.https ? httpsRequest : httpRequest)(
      {
        protocol: u.protocol,
        hostname: u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname,
        port: u.port === '' ? undefined : Number(u.port),
        path: `${u.pathname === '' ? '/' : u.pathname}${u.search}`,
        method: target.method,
        headers: { ...target.headers, 'Content-Length': Buffer.byteLength(body) },
        agent: target.agent,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          // Read (and so free) the whole answer; keep only its start for the message.
          if (size < 512) chunks.push(c);
          size += c.length;
        });
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          if (status < 300) resolve();
          else reject(new Error(`request to ${target.where} returned status code ${status} and body ${Buffer.concat(chunks).toString('utf8').slice(0, 512)}`));
        });
        res.on('error', (err) => reject(new Error(`failed request to ${target.where}: ${err.message}`)));
      },
    );
    req.setTimeout(target.timeout, () => req.destroy(new Error('timeout')));
    req.on('error', (err) => reject(new Error(`failed request to ${target.where}: ${err.message}`)));
    req.end(body);
  });
}
