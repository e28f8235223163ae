/**
 * The TCP side of the stream proxy: one instance per `stream_listen` TCP entry. A connection is read only
 * as far as routing needs (a PROXY protocol header on `proxy_protocol` listeners; the ClientHello's server
 * name when `tls_passthrough` routes exist), TLS is terminated on `ssl` listeners, then the route's
 * upstream is connected and bytes are relayed both ways until either side closes or goes idle.
 */
import type { LookupFunction } from '../balancer/dns-lookup.ts';
import { Duplex, PassThrough } from 'node:stream';
import type { Socket } from 'node:net';
import { TLSSocket, type SecureContext } from 'node:tls';
import type { Snapshot } from '../snapshot/types.ts';
import type { StreamEntry } from './entry.ts';
import type { StreamProtocol } from './router.ts';
import { peekClientHello } from './client-hello.ts';
import { peekProxyHeader } from '../core/proxy-protocol.ts';
import { connectUpstream, type HealthReporter } from './upstream-connect.ts';
import type { StreamLogWriter } from './access-log.ts';

export interface StreamProxyDeps {
  /** The worker's current snapshot, read once per connection when it is routed. */
  snapshot(): Snapshot;
  reportHealth: HealthReporter;
  log(level: 'info' | 'error', message: string): void;
  /** The stream access log, or null when it is off. */
  accessLog: StreamLogWriter | null;
  /** Resolves upstream host names (`dns_resolver`); absent or null uses Node's `dns.lookup`. */
  lookup?: LookupFunction | null;
}

export interface TcpListenerOptions {
  ssl: boolean;
  proxyProtocol: boolean;
  /** The node's default certificate for `ssl` listeners. */
  defaultContext: SecureContext | null;
}

/** How long a plain connection may take to send its first bytes when a `tls_passthrough` route might want them. */
const SNI_PEEK_MS = 1000;
/** How long a `proxy_protocol` listener waits for the header (nginx's proxy_protocol_timeout default). */
const PROXY_HEADER_MS = 30_000;
/** How long a TLS handshake on an `ssl` listener may take (Node's own TLS servers allow 120 s). */
const HANDSHAKE_MS = 60_000;

interface Addresses {
  sourceIp: string;
  sourcePort: number;
  destinationIp: string;
  destinationPort: number;
}

/** IPv4-mapped IPv6 addresses (dual-stack sockets) are routed as the IPv4 address they carry. */
function plainIp(ip: string | undefined): string {
  if (ip === undefined) return '';
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}

export class TcpStreamProxy {
  readonly #deps: StreamProxyDeps;
  readonly #options: TcpListenerOptions;
  /** nginx's stream `$status` of each connection, for the access log: 200 unless something refused it. */
  readonly #statuses = new WeakMap<Socket, number>();

  constructor(deps: StreamProxyDeps, options: TcpListenerOptions) {
    this.#deps = deps;
    this.#options = options;
  }

  readonly handle = (socket: Socket): void => {
    socket.on('error', () => socket.destroy());
    const addresses: Addresses = {
      sourceIp: plainIp(socket.remoteAddress),
      sourcePort: socket.remotePort ?? 0,
      destinationIp: plainIp(socket.localAddress),
      destinationPort: socket.localPort ?? 0,
    };
    const accessLog = this.#deps.accessLog;
    if (accessLog !== null) {
      const startedAt = Date.now();
      // Bytes on the wire (TLS records included on ssl listeners).
      socket.once('close', () => accessLog({
        clientIp: addresses.sourceIp, protocol: 'TCP', status: this.#statuses.get(socket) ?? 200,
        bytesSent: socket.bytesWritten, bytesReceived: socket.bytesRead, startedAt,
      }));
    }
    const snapshot = this.#deps.snapshot();
    // As Kong's ssl_preread: the server name decides between passthrough and anything else, on every listener.
    const peekSni = snapshot.stream.hasPassthrough;
    if (!this.#options.proxyProtocol && !peekSni) {
      this.#afterPreread(socket, Buffer.alloc(0), addresses, null);
      return;
    }
    this.#preread(socket, addresses, peekSni);
  };

  /** Reads the PROXY header and/or the ClientHello, then hands the bytes read on. */
  #preread(socket: Socket, addresses: Addresses, peekSni: boolean): void {
    let buffered: Buffer = Buffer.alloc(0);
    let needHeader = this.#options.proxyProtocol;
    let done = false;
    const finish = (sni: string | null | undefined): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.removeListener('data', onData);
      socket.removeListener('end', onEnd);
      socket.pause();
      this.#afterPreread(socket, buffered, addresses, sni === undefined ? null : { sni });
    };
    const fail = (why: string): void => {
      done = true;
      clearTimeout(timer);
      this.#deps.log('info', `stream connection from ${addresses.sourceIp}:${addresses.sourcePort} closed: ${why}`);
      this.#statuses.set(socket, 400);
      socket.destroy();
    };
    const examine = (): void => {
      if (needHeader) {
        const header = peekProxyHeader(buffered);
        if (header.kind === 'more') return;
        if (header.kind === 'invalid') return fail('no valid PROXY protocol header');
        needHeader = false;
        if (header.sourceIp !== null) {
          addresses.sourceIp = plainIp(header.sourceIp);
          addresses.sourcePort = header.sourcePort ?? 0;
          addresses.destinationIp = plainIp(header.destinationIp ?? undefined);
          addresses.destinationPort = header.destinationPort ?? 0;
        }
        buffered = buffered.subarray(header.length);
        if (!peekSni) return finish(undefined);
        clearTimeout(timer);
        timer = setTimeout(() => finish(undefined), SNI_PEEK_MS);
      }
      const hello = peekClientHello(buffered);
      if (hello.kind === 'more') return;
      finish(hello.kind === 'tls' ? hello.sni : undefined);
    };
    const onData = (chunk: Buffer): void => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      examine();
    };
    const onEnd = (): void => (needHeader ? fail('closed before the PROXY protocol header') : finish(undefined));
    let timer = setTimeout(() => (needHeader ? fail('no PROXY protocol header in time') : finish(undefined)), needHeader ? PROXY_HEADER_MS : SNI_PEEK_MS);
    socket.on('data', onData);
    socket.once('end', onEnd);
  }

  /**
   * `passthrough` is set when a ClientHello was peeked (its server name may route the connection untouched).
   * On `ssl` listeners a ClientHello that no `tls_passthrough` route takes is terminated and routed as `tls`.
   */
  #afterPreread(socket: Socket, buffered: Buffer, addresses: Addresses, passthrough: { sni: string | null } | null): void {
    if (!this.#options.ssl) {
      const protocol: StreamProtocol = passthrough === null ? 'tcp' : 'tls_passthrough';
      this.#route(socket, socket, buffered, addresses, protocol, passthrough?.sni ?? null);
      return;
    }
    if (passthrough !== null && passthrough.sni !== null) {
      const entry = this.#deps.snapshot().stream.match({ protocol: 'tls_passthrough', sni: passthrough.sni, ...addresses }, true);
      if (entry !== null) {
        this.#proxy(socket, socket, buffered, addresses, entry, 'tls_passthrough');
        return;
      }
    }
    const context = this.#options.defaultContext;
    if (context === null) {
      socket.destroy();
      return;
    }
    // Bytes already read (a PROXY header's followers, a peeked ClientHello) must reach the TLS layer first.
    const transport = buffered.length === 0 ? socket : prepend(socket, buffered);
    const tls = new TLSSocket(transport, {
      isServer: true,
      secureContext: context,
      SNICallback: (servername, done) => done(null, this.#deps.snapshot().certificates.contextFor(servername) ?? context),
    });
    tls.on('error', () => {
      if (!tls.encrypted || tls.servername === undefined) this.#statuses.set(socket, 400);
      tls.destroy();
      socket.destroy();
    });
    const handshake = setTimeout(() => {
      tls.destroy();
      socket.destroy();
    }, HANDSHAKE_MS);
    socket.once('close', () => clearTimeout(handshake));
    tls.once('secure', () => {
      clearTimeout(handshake);
      const sni = typeof tls.servername === 'string' && tls.servername !== '' ? tls.servername.toLowerCase() : null;
      this.#route(socket, tls, Buffer.alloc(0), addresses, 'tls', sni);
    });
    socket.resume();
  }

  #route(raw: Socket, client: Duplex, buffered: Buffer, addresses: Addresses, protocol: StreamProtocol, sni: string | null): void {
    const entry = this.#deps.snapshot().stream.match({ protocol, sni, ...addresses });
    if (entry === null) {
      this.#deps.log('info', `no stream route for ${protocol} connection from ${addresses.sourceIp}:${addresses.sourcePort} to ${addresses.destinationIp}:${addresses.destinationPort}${sni === null ? '' : ` (SNI ${sni})`}`);
      this.#statuses.set(raw, 400);
      raw.destroy();
      return;
    }
    this.#proxy(raw, client, buffered, addresses, entry, protocol);
  }

  #proxy(raw: Socket, client: Duplex, buffered: Buffer, addresses: Addresses, entry: StreamEntry, protocol: StreamProtocol): void {
    if (entry.refusal !== null) {
      this.#deps.log('error', `stream route ${entry.route.name ?? entry.route.id} refused: ${entry.refusal}`);
      this.#statuses.set(raw, 503);
      raw.destroy();
      return;
    }
    const access = entry.access;
    if (access !== null && access.protocols.has(protocol) && !access.allows(addresses.sourceIp)) {
      this.#deps.log('info', `stream route ${entry.route.name ?? entry.route.id}: ip-restriction refused ${addresses.sourceIp}`);
      this.#statuses.set(raw, 403);
      raw.destroy();
      return;
    }
    // Bytes arriving while the upstream connects wait in the client's buffers.
    raw.pause();
    connectUpstream(entry, addresses.sourceIp, this.#deps.reportHealth, this.#deps.lookup ?? null).then(
      ({ socket: upstream }) => {
        if (raw.destroyed) {
          upstream.destroy();
          return;
        }
        if (buffered.length > 0) upstream.write(buffered);
        relay(client, raw, upstream, entry);
      },
      (err: Error) => {
        this.#deps.log('error', `stream route ${entry.route.name ?? entry.route.id}: could not connect upstream: ${err.message}`);
        this.#statuses.set(raw, 502);
        raw.destroy();
      },
    );
  }
}

/** Pipes both ways; either side's error or the idle timeout ends both. */
function relay(client: Duplex, raw: Socket, upstream: Socket, entry: StreamEntry): void {
  const close = (): void => {
    upstream.destroy();
    client.destroy();
    raw.destroy();
  };
  // Like nginx's proxy_timeout: the longer of the service's read and write timeouts without a byte either way.
  upstream.setTimeout(Math.max(entry.readTimeout, entry.writeTimeout), close);
  upstream.setNoDelay(true);
  client.on('error', close);
  upstream.on('error', close);
  upstream.once('close', () => {
    if (!client.writableEnded) client.end();
  });
  client.once('close', () => {
    if (!upstream.writableEnded) upstream.end();
  });
  client.pipe(upstream);
  upstream.pipe(client);
  raw.resume();
}

/** A duplex over `socket` that first yields `head` (bytes read before TLS starts). */
function prepend(socket: Socket, head: Buffer): Duplex {
  const readable = new PassThrough();
  readable.write(head);
  socket.pipe(readable);
  return Duplex.from({ readable, writable: socket });
}
