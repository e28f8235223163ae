/**
 * The UDP side of the stream proxy: one socket per `stream_listen ... udp` entry. Each client address
 * (ip and port) gets a session: routed once, with its own socket connected to the chosen upstream target;
 * replies go back to the client from the listener's address. A session ends after the service's
 * `read_timeout` without datagrams either way.
 */
import type { LookupFunction } from '../balancer/dns-lookup.ts';
import { createSocket, type Socket as DgramSocket, type RemoteInfo } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { lookup } from 'node:dns/promises';
import type { StreamProxyDeps } from './tcp-proxy.ts';
import type { StreamEntry } from './entry.ts';

interface Session {
  clientIp: string;
  startedAt: number;
  bytesReceived: number;
  bytesSent: number;
  /** nginx's stream `$status` for the access log. */
  status: number;
  upstream: DgramSocket | null;
  /** Datagrams received while the upstream socket is being set up. */
  pending: Buffer[];
  timer: NodeJS.Timeout | null;
  idleMs: number;
}

/** Datagrams kept per session while its upstream is not ready yet. */
const MAX_PENDING = 64;

export class UdpStreamProxy {
  readonly #deps: StreamProxyDeps;
  readonly #socket: DgramSocket;
  readonly #sessions = new Map<string, Session>();

  constructor(deps: StreamProxyDeps, socket: DgramSocket) {
    this.#deps = deps;
    this.#socket = socket;
    socket.on('message', this.#onMessage);
  }

  get sessions(): number {
    return this.#sessions.size;
  }

  readonly #onMessage = (msg: Buffer, from: RemoteInfo): void => {
    const key = `${from.address}|${from.port}`;
    const session = this.#sessions.get(key);
    if (session !== undefined) {
      this.#touch(key, session);
      session.bytesReceived += msg.length;
      if (session.upstream === null) {
        if (session.pending.length < MAX_PENDING) session.pending.push(msg);
      } else {
        session.upstream.send(msg);
      }
      return;
    }
    const local = this.#socket.address();
    const entry = this.#deps.snapshot().stream.match({
      protocol: 'udp',
      sni: null,
      sourceIp: from.address,
      sourcePort: from.port,
      destinationIp: local.address,
      destinationPort: local.port,
    });
    if (entry === null) {
      this.#deps.log('info', `no stream route for udp datagram from ${from.address}:${from.port} to ${local.address}:${local.port}`);
      return;
    }
    if (entry.refusal !== null) {
      this.#deps.log('error', `stream route ${entry.route.name ?? entry.route.id} refused: ${entry.refusal}`);
      return;
    }
    const fresh: Session = {
      clientIp: from.address, startedAt: Date.now(), bytesReceived: msg.length, bytesSent: 0, status: 200,
      upstream: null, pending: [msg], timer: null, idleMs: Math.max(entry.readTimeout, entry.writeTimeout),
    };
    this.#sessions.set(key, fresh);
    this.#touch(key, fresh);
    void this.#open(key, fresh, entry, from);
  };

  async #open(key: string, session: Session, entry: StreamEntry, client: RemoteInfo): Promise<void> {
    const peer = entry.peers?.pick(null, null);
    if (peer === undefined) {
      this.#deps.log('error', `stream route ${entry.route.name ?? entry.route.id}: no upstream target available`);
      session.status = 502;
      this.#end(key, session);
      return;
    }
    try {
      const address = isIpLiteral(peer.host) ? peer.host : await resolveHost(peer.host, this.#deps.lookup ?? null);
      const upstream = createSocket(isIPv6(address) ? 'udp6' : 'udp4');
      upstream.on('error', (err) => {
        this.#deps.log('error', `stream route ${entry.route.name ?? entry.route.id}: udp upstream ${peer.address}: ${err.message}`);
        session.status = 502;
        this.#end(key, session);
      });
      upstream.on('message', (reply) => {
        this.#touch(key, session);
        session.bytesSent += reply.length;
        this.#socket.send(reply, client.port, client.address);
      });
      await new Promise<void>((resolve) => upstream.connect(peer.port, address, resolve));
      if (this.#sessions.get(key) !== session) {
        upstream.close();
        return;
      }
      session.upstream = upstream;
      for (const msg of session.pending.splice(0)) upstream.send(msg);
    } catch (err) {
      this.#deps.log('error', `stream route ${entry.route.name ?? entry.route.id}: udp upstream ${peer.address}: ${(err as Error).message}`);
      session.status = 502;
      this.#end(key, session);
    }
  }

  #touch(key: string, session: Session): void {
    if (session.timer !== null) session.timer.refresh();
    else {
      session.timer = setTimeout(() => this.#end(key, session), session.idleMs);
      session.timer.unref();
    }
  }

  #end(key: string, session: Session): void {
    if (session.timer !== null) clearTimeout(session.timer);
    if (this.#sessions.get(key) !== session) return;
    this.#sessions.delete(key);
    this.#deps.accessLog?.({ ...session, protocol: 'UDP' });
    try {
      session.upstream?.close();
    } catch {
      // already closed
    }
  }

  close(): void {
    for (const [key, session] of this.#sessions) this.#end(key, session);
    this.#socket.close();
  }
}

function isIpLiteral(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(':');
}

/** The host's address, from the node's resolver (`dns_resolver`) when it has one, else Node's `dns.lookup`. */
async function resolveHost(host: string, custom: LookupFunction | null): Promise<string> {
  if (custom === null) return (await lookup(host)).address;
  return new Promise((resolve, reject) => {
    custom(host, {}, (err, address) => (err === null ? resolve(address as string) : reject(err)));
  });
}
