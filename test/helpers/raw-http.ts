import { request, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';

/**
 * A request sent exactly as written, through node:http: no path normalisation (fetch and undici resolve
 * `..` segments client-side) and no refusal of hop-by-hop headers.
 */
export function rawRequest(
  base: string,
  path: string,
  options: { method?: string; headers?: OutgoingHttpHeaders; body?: string } = {},
): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, method: options.method ?? 'GET', headers: options.headers, agent: false });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/**
 * Calls `onHead` with each request head (everything up to the blank line) a client sends on a raw TCP
 * socket; requests are expected without bodies. Returning false stops reading.
 */
export function onRequestHeads(socket: Socket, onHead: (head: string) => boolean | void): void {
  let buffered = '';
  socket.on('data', (data: Buffer) => {
    buffered += data.toString('latin1');
    let end: number;
    while ((end = buffered.indexOf('\r\n\r\n')) !== -1) {
      const head = buffered.slice(0, end);
      buffered = buffered.slice(end + 4);
      if (onHead(head) === false) return;
    }
  });
}
