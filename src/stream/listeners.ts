/**
 * Opens a worker's `stream_listen` sockets: a TCP server per TCP entry (TLS terminated on `ssl` ones) and
 * a UDP socket per `udp` entry, each handing its traffic to the stream proxy.
 */
import { createServer, type Server } from 'node:net';
import { createSocket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { createSecureContext } from 'node:tls';
import { serverTlsOptions, type ListenerTlsPolicy } from '../tls/listener-tls.ts';
import { TcpStreamProxy, type StreamProxyDeps } from './tcp-proxy.ts';
import { UdpStreamProxy } from './udp-proxy.ts';

/** One `stream_listen` entry as the supervisor sends it to its workers. */
export interface StreamListenerSpec {
  ip: string;
  port: number;
  ssl: boolean;
  udp: boolean;
  reuseport: boolean;
  backlog: number | null;
  proxy_protocol: boolean;
}

/** An open stream listener. */
export interface StreamListenerHandle {
  /** Stops accepting (TCP connections being proxied go on until the worker exits); a UDP socket closes with its sessions. */
  close(): void;
}

export async function openStreamListeners(
  specs: readonly StreamListenerSpec[],
  deps: StreamProxyDeps,
  tls: { cert: string; key: string; policy?: ListenerTlsPolicy } | null,
): Promise<StreamListenerHandle[]> {
  const handles: StreamListenerHandle[] = [];
  const policy = tls?.policy === undefined ? {} : serverTlsOptions(tls.policy);
  const defaultContext = tls === null ? null : createSecureContext({ cert: tls.cert, key: tls.key, ...policy });
  for (const spec of specs) {
    handles.push(spec.udp ? await openUdp(spec, deps) : await openTcp(spec, deps, spec.ssl ? defaultContext : null));
  }
  return handles;
}

function openTcp(spec: StreamListenerSpec, deps: StreamProxyDeps, defaultContext: ReturnType<typeof createSecureContext> | null): Promise<StreamListenerHandle> {
  const proxy = new TcpStreamProxy(deps, { ssl: spec.ssl, proxyProtocol: spec.proxy_protocol, defaultContext });
  const server: Server = createServer({ allowHalfOpen: true, pauseOnConnect: false, noDelay: true }, proxy.handle);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(
      { host: spec.ip, port: spec.port, backlog: spec.backlog ?? 511, reusePort: spec.reuseport && spec.port !== 0 },
      () => {
        server.off('error', reject);
        resolve({ close: () => server.close() });
      },
    );
  });
}

function openUdp(spec: StreamListenerSpec, deps: StreamProxyDeps): Promise<StreamListenerHandle> {
  const socket = createSocket({ type: isIPv6(spec.ip) ? 'udp6' : 'udp4', reuseAddr: spec.reuseport, reusePort: spec.reuseport && spec.port !== 0 });
  const proxy = new UdpStreamProxy(deps, socket);
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind({ address: spec.ip, port: spec.port }, () => {
      socket.off('error', reject);
      socket.on('error', (err) => deps.log('error', `udp stream listener ${spec.ip}:${spec.port}: ${err.message}`));
      resolve({ close: () => proxy.close() });
    });
  });
}
