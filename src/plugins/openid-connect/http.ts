/**
 * The HTTP client of calls to the provider (discovery, JWKS, token, introspection, user info), shaped by Kong's
 * transport settings: `timeout`, `ssl_verify` (Kong's default is not to verify the provider's certificate),
 * `keepalive` and `http_version`. node:http rather than fetch, since fetch cannot be told to skip certificate
 * checks or connection reuse per call. Agents are shared per worker by setting, so keep-alive connections are
 * reused across requests and plugin entities.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

/** The provider could not be reached or answered nonsense: the request gets a 500, nothing is cached. */
export class ProviderUnavailable extends Error {}

/** How the gateway calls the provider, computed once per plugin entity. */
export interface Transport {
  readonly timeoutMs: number;
  readonly sslVerify: boolean;
  /** Reuse connections (`keepalive` and HTTP/1.1). */
  readonly keepalive: boolean;
}

export interface Answer {
  readonly status: number;
  readonly text: string;
}

/** Answers larger than this are not a provider's JSON: refuse them instead of buffering without end. */
const MAX_BODY_BYTES = 4 * 1024 * 1024;

const agents = new Map<string, HttpAgent>();

function agentFor(https: boolean, t: Transport): HttpAgent {
  const key = `${https ? 's' : 'p'}${t.sslVerify ? 'v' : 'n'}${t.keepalive ? 'k' : 'c'}`;
  let agent = agents.get(key);
  if (agent === undefined) {
    const options = { keepAlive: t.keepalive, maxSockets: 64 };
    agent = https ? new HttpsAgent({ ...options, rejectUnauthorized: t.sslVerify }) : new HttpAgent(options);
    agents.set(key, agent);
  }
  return agent;
}

/** One call to the provider; a transport failure or a timeout throws ProviderUnavailable naming the URL. */
export function call(url: string, init: { method?: string; headers?: OutgoingHttpHeaders; body?: string }, t: Transport): Promise<Answer> {
  const target = new URL(url);
  const https = target.protocol === 'https:';
  const headers: OutgoingHttpHeaders = { ...init.headers };
  if (!t.keepalive) headers.connection = 'close';
  if (init.body !== undefined) headers['content-length'] = Buffer.byteLength(init.body);
  return new Promise<Answer>((resolve, reject) => {
    const fail = (why: string) => reject(new ProviderUnavailable(`${url}: ${why}`));
    const req = (https ? httpsRequest : httpRequest)(target, { method: init.method ?? 'GET', headers, agent: agentFor(https, t) }, (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY_BYTES) {
          req.destroy();
          fail('the answer is too large');
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', (err) => fail(err.message));
    });
    req.setTimeout(t.timeoutMs, () => {
      req.destroy();
      fail(`no answer within ${t.timeoutMs} ms`);
    });
    req.on('error', (err) => fail(err.message));
    req.end(init.body);
  });
}
