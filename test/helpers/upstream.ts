import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the echo upstream saw, returned as its JSON body. */
export interface Echo {
  server: string;
  method: string;
  url: string;
  httpVersion: string;
  headers: Record<string, string | string[] | undefined>;
  rawHeaders: string[];
  bodyLength: number;
}

export interface TestUpstream {
  server: Server;
  port: number;
  name: string;
  /** Requests seen. */
  count: number;
  close(): Promise<void>;
}

/**
 * A real HTTP server for tests. By default it echoes the request as JSON; special paths:
 * `/status/<code>` answers that status, `/delay/<ms>` waits before answering, `/bytes/<n>` streams n bytes,
 * `/sink` reads and counts the body.
 */
export async function startUpstream(name = 'upstream', handler?: (req: IncomingMessage, res: ServerResponse) => void): Promise<TestUpstream> {
  const state = { count: 0 };
  const server = createServer((req, res) => {
    state.count++;
    if (handler) return handler(req, res);
    echoHandler(name, req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    name,
    get count() {
      return state.count;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function echoHandler(name: string, req: IncomingMessage, res: ServerResponse): void {
  const url = req.url ?? '/';
  const delay = /^\/delay\/(\d+)/.exec(url);
  const status = /^\/status\/(\d+)/.exec(url);
  const bytes = /^\/bytes\/(\d+)/.exec(url);
  let bodyLength = 0;
  req.on('data', (c: Buffer) => (bodyLength += c.length));
  req.on('end', () => {
    if (bytes) return streamBytes(res, Number(bytes[1]));
    const send = () => {
      const echo: Echo = {
        server: name,
        method: req.method ?? '',
        url,
        httpVersion: req.httpVersion,
        headers: req.headers,
        rawHeaders: req.rawHeaders,
        bodyLength,
      };
      const body = JSON.stringify(echo);
      res.writeHead(status ? Number(status[1]) : 200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    };
    if (delay) setTimeout(send, Number(delay[1]));
    else send();
  });
}

function streamBytes(res: ServerResponse, total: number): void {
  const chunk = Buffer.alloc(64 * 1024, 97);
  let sent = 0;
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(total) });
  const pump = () => {
    while (sent < total) {
      const n = Math.min(chunk.length, total - sent);
      sent += n;
      if (!res.write(n === chunk.length ? chunk : chunk.subarray(0, n))) {
        res.once('drain', pump);
        return;
      }
    }
    res.end();
  };
  pump();
}
