/**
 * `proxy_listen` entries with the `proxy_protocol` flag. A load balancer in front of them (AWS NLB, HAProxy,
 * an ingress in TCP mode) opens each connection with a PROXY protocol header (v1 or v2) naming the real client.
 * A plain TCP server accepts the connection, reads the header, remembers the address for the connection and
 * hands the rest of the bytes to the HTTP (or TLS) server, which then never knows the header was there. A
 * connection without a valid header is closed, as nginx closes it.
 */
import { createServer, type Server as NetServer, type Socket } from 'node:net';
import type { EventEmitter } from 'node:events';
import { peekProxyHeader } from './proxy-protocol.ts';

export interface ProxiedAddress {
  readonly ip: string;
  readonly port: number;
}

const proxied = new WeakMap<Socket, ProxiedAddress>();

/**
 * The client address the PROXY protocol header of `socket`'s connection named; undefined on other listeners
 * and for headers without an address (LOCAL, UNKNOWN).
 */
export function proxiedAddress(socket: Socket): ProxiedAddress | undefined {
  // A TLS socket (and the HTTP/2 request socket, which forwards to it) wraps the accepted socket as `_parent`.
  const accepted = (socket as Socket & { _parent?: Socket | null })._parent ?? socket;
  return proxied.get(accepted);
}

/** An IPv4 client written as IPv4-mapped IPv6 is reported as IPv4, as the proxy reports its peers. */
function withoutMappedPrefix(ip: string): string {
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}

/** How long a connection may take to send its header: nginx's `proxy_protocol_timeout` default. */
export const PROXY_HEADER_TIMEOUT_MS = 30_000;

/**
 * A TCP server whose connections, once their PROXY protocol header is read, go to `protocolServer` (an HTTP,
 * HTTPS or HTTP/2 server that does not listen itself) as its own `connection` events.
 */
export function proxyProtocolFront(protocolServer: EventEmitter, tls: boolean, timeoutMs = PROXY_HEADER_TIMEOUT_MS): NetServer {
  const front = createServer({ noDelay: true }, (socket) => {
    let buffered: Buffer = Buffer.alloc(0);
    const refuse = (): void => {
      clearTimeout(timer);
      socket.destroy();
    };
    const onData = (chunk: Buffer): void => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      const header = peekProxyHeader(buffered);
      if (header.kind === 'more') return;
      if (header.kind === 'invalid') return refuse();
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', refuse);
      socket.off('error', refuse);
      // Paused before the rest is put back, so that no byte flows before the HTTP server listens for them.
      socket.pause();
      if (header.sourceIp !== null) proxied.set(socket, { ip: withoutMappedPrefix(header.sourceIp), port: header.sourcePort ?? 0 });
      const rest = buffered.subarray(header.length);
      if (rest.length > 0) socket.unshift(rest);
      protocolServer.emit('connection', socket);
      // A TLS server wraps the socket's handle and reads it itself (taking what was put back first): resuming the
      // plain socket then would take bytes from under it. The HTTP server reads through the socket's stream.
      if (!tls) socket.resume();
    };
    const timer = setTimeout(refuse, timeoutMs);
    socket.on('data', onData);
    socket.once('end', refuse);
    socket.once('error', refuse);
  });
  // Closing the protocol server (which never listened: it emits `close` at once) stops the accepting too, so its
  // owner closes one server, as for any other listener.
  protocolServer.once('close', () => front.close());
  return front;
}

/**
 * Listens for `server` on one address: itself, or through a PROXY protocol front when the entry has the
 * `proxy_protocol` flag. Resolves when the address is bound.
 */
export function listenMaybeProxied<S extends NetServer>(
  server: S,
  spec: { ip: string; port: number; proxy_protocol?: boolean },
  tls: boolean,
  options: { backlog?: number; reusePort?: boolean } = {},
): Promise<S> {
  const listening: NetServer = spec.proxy_protocol === true ? proxyProtocolFront(server, tls) : server;
  return new Promise((resolve, reject) => {
    listening.once('error', reject);
    listening.listen({ host: spec.ip, port: spec.port, ...options }, () => {
      listening.off('error', reject);
      resolve(server);
    });
  });
}
