import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { listenMaybeProxied } from './proxy-protocol-listener.ts';

/** Small helpers shared by the Admin and Status APIs (not the proxy's hot path). */

export function sendJson(res: ServerResponse, status: number, body: unknown, extraHeaders: Record<string, string> = {}): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  // setHeader rather than writeHead's argument, so that access logs can read the headers back.
  if (text !== '') res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', String(Buffer.byteLength(text)));
  for (const [k, v] of Object.entries(extraHeaders)) res.setHeader(k, v);
  res.writeHead(status);
  res.end(res.req?.method === 'HEAD' ? undefined : text);
}

/** A text body as it is; `extraHeaders` should give its Content-Type. */
export function sendText(res: ServerResponse, status: number, text: string, extraHeaders: Record<string, string> = {}): void {
  res.setHeader('Content-Length', String(Buffer.byteLength(text)));
  for (const [k, v] of Object.entries(extraHeaders)) res.setHeader(k, v);
  res.writeHead(status);
  res.end(res.req?.method === 'HEAD' ? undefined : text);
}

export function sendEmpty(res: ServerResponse, status: number, extraHeaders: Record<string, string> = {}): void {
  res.setHeader('Content-Length', '0');
  for (const [k, v] of Object.entries(extraHeaders)) res.setHeader(k, v);
  res.writeHead(status);
  res.end();
}

/** Reads a whole request body, refusing more than `limit` bytes. */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    const tooLarge = (): void => {
      clearTimeout(lingering);
      reject(Object.assign(new Error(`request body larger than ${limit} bytes`), { status: 413 }));
    };
    let lingering: NodeJS.Timeout | undefined;
    req.on('data', (chunk: Buffer) => {
      if (over) return;
      size += chunk.length;
      if (size > limit) {
        // Read and drop the rest (for a few seconds at most) before answering: closing a connection the client
        // is still writing to resets it, and the client would see a reset instead of the 413.
        over = true;
        chunks.length = 0;
        lingering = setTimeout(tooLarge, LINGER_MS);
        lingering.unref();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => (over ? tooLarge() : resolve(Buffer.concat(chunks))));
    req.on('error', (error) => {
      clearTimeout(lingering);
      reject(error);
    });
  });
}

/** How long a body over the limit is drained before the 413 is sent anyway. */
const LINGER_MS = 5000;

export interface ListenSpec {
  ip: string;
  port: number;
  /** Connections open with a PROXY protocol header (the entry's `proxy_protocol` flag). */
  proxy_protocol?: boolean;
}

/** Starts an HTTP server on one address; resolves when it listens. */
export function listenHttp(spec: ListenSpec, handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<Server> {
  return listenMaybeProxied(createServer({ keepAliveTimeout: 60_000 }, handler), spec, false);
}
