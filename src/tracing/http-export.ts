/**
 * One POST of an export batch to a collector, over a keep-alive agent per collector. The connect timeout
 * bounds getting a connection, the send and read timeouts the inactivity while the batch goes out and the
 * answer comes back. A refused batch (Kong's OTLP exporter: any status but 200; zipkin: any but 2xx) is a
 * failure, so that the queue retries it.
 */
import { Agent as HttpAgent, request as httpRequest, type ClientRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

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

const agents = new Map<string, HttpAgent>();

function agentFor(url: URL): HttpAgent {
  const key = `${url.protocol}//${url.host}`;
  let agent = agents.get(key);
  if (agent === undefined) {
    const options = { keepAlive: true, maxSockets: 16, timeout: 60_000 };
    agent = url.protocol === 'https:' ? new HttpsAgent(options) : new HttpAgent(options);
    agents.set(key, agent);
  }
  return agent;
}

/** The parsed endpoint, once per target. */
const urls = new WeakMap<ExportTarget, URL>();

export function postBatch(target: ExportTarget, body: Buffer | string): Promise<void> {
  let url = urls.get(target);
  if (url === undefined) urls.set(target, (url = new URL(target.endpoint)));
  const u = url;
  const where = u.host;
  return new Promise<void>((resolve, reject) => {
    const fail = (message: string): void => reject(new Error(`failed to send to ${where}: ${message}`));
    const req: ClientRequest = (u.protocol === 'https:' ? httpsRequest : httpRequest)(
      {
        protocol: u.protocol,
        hostname: u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname,
        port: u.port === '' ? undefined : Number(u.port),
        path: `${u.pathname}${u.search}`,
        method: 'POST',
        headers: { ...target.headers, 'Content-Type': target.contentType, 'Content-Length': Buffer.byteLength(body) },
        agent: agentFor(u),
        timeout: target.connectTimeout,
      },
      (res) => {
        req.setTimeout(target.readTimeout);
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          // Read (and so free) the whole answer; keep only its start for the message.
          if (size < 512) chunks.push(c);
          size += c.length;
        });
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          const ok = target.anySuccess === true ? status >= 200 && status < 300 : status === 200;
          if (ok) resolve();
          else fail(`status ${status}${size === 0 ? '' : `, ${Buffer.concat(chunks).toString('utf8').slice(0, 200)}`}`);
        });
        res.on('error', (err) => fail(err.message));
      },
    );
    req.on('socket', () => req.setTimeout(target.connectTimeout + target.sendTimeout));
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err) => fail(err.message));
    req.end(body);
  });
}
