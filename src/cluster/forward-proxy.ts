/**
 * Kong's `cluster_use_proxy`: a data plane reaches its control plane through the node's `proxy_server`, an
 * HTTP(S) forward proxy, with an HTTP CONNECT tunnel; the cluster's own mutual TLS then runs inside the tunnel,
 * so the proxy sees only encrypted bytes. Given to the WebSocket clients as an `https.Agent`, whose
 * `createConnection` may answer through its callback once the tunnel is open.
 */
import { Agent, type AgentOptions } from 'node:https';
import { connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls, type ConnectionOptions, type TLSSocket } from 'node:tls';
import type { Duplex } from 'node:stream';

export interface ForwardProxy {
  /** `http://[user:password@]host:port` or `https://...` (Kong's `proxy_server`). */
  url: string;
  /** With an `https://` proxy: verify its certificate (`proxy_server_ssl_verify`). */
  verify: boolean;
  /** Trust anchors for that verification, or null for Node's bundled roots. */
  ca?: readonly string[] | null;
}

/** Most bytes of a proxy's answer to CONNECT before it counts as broken. */
const MAX_CONNECT_RESPONSE = 16 * 1024;

type Callback = (err: Error | null, socket?: Duplex) => void;

/** An agent whose connections are tunnels through `proxy` (no keep-alive: each WebSocket holds its own). */
export class ForwardProxyAgent extends Agent {
  readonly #proxy: URL;
  readonly #verify: boolean;
  readonly #ca: readonly string[] | null;

  constructor(proxy: ForwardProxy, options: AgentOptions = {}) {
    super({ ...options, keepAlive: false });
    this.#proxy = new URL(proxy.url);
    this.#verify = proxy.verify;
    this.#ca = proxy.ca ?? null;
  }

  // Node's Agent calls this with the request's TLS options and uses the socket passed to the callback.
  override createConnection(options: ConnectionOptions & { host?: string; port?: number | string }, callback: Callback): undefined {
    const target = `${bracketed(options.host ?? 'localhost')}:${options.port ?? 443}`;
    const proxyPort = Number(this.#proxy.port || (this.#proxy.protocol === 'https:' ? 443 : 80));
    const proxyHost = this.#proxy.hostname.replace(/^\[|\]$/g, '');
    const socket: Socket = this.#proxy.protocol === 'https:'
      ? connectTls({ host: proxyHost, port: proxyPort, servername: proxyHost, rejectUnauthorized: this.#verify, ...(this.#ca ? { ca: [...this.#ca] } : {}) })
      : connectTcp({ host: proxyHost, port: proxyPort });
    let done = false;
    const fail = (err: Error): void => {
      if (done) return;
      done = true;
      socket.destroy();
      callback(err);
    };
    socket.once('error', (err) => fail(new Error(`forward proxy ${this.#proxy.host}: ${err.message}`)));
    socket.once(this.#proxy.protocol === 'https:' ? 'secureConnect' : 'connect', () => {
      const auth = this.#proxy.username === ''
        ? ''
        : `Proxy-Authorization: Basic ${Buffer.from(`${decodeURIComponent(this.#proxy.username)}:${decodeURIComponent(this.#proxy.password)}`).toString('base64')}\r\n`;
      socket.write(`CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n${auth}\r\n`);
    });
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end === -1) {
        if (head.length > MAX_CONNECT_RESPONSE) fail(new Error(`forward proxy ${this.#proxy.host} sent no complete answer to CONNECT`));
        return;
      }
      socket.off('data', onData);
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(head.subarray(0, end).toString('latin1'));
      if (status === null || status[1] !== '200') {
        fail(new Error(`forward proxy ${this.#proxy.host} refused CONNECT ${target}: ${head.subarray(0, head.indexOf('\r\n')).toString('latin1')}`));
        return;
      }
      if (end + 4 < head.length) socket.unshift(head.subarray(end + 4));
      socket.removeAllListeners('error');
      done = true;
      const tunnel: TLSSocket = connectTls({ ...options, socket });
      callback(null, tunnel);
    };
    socket.on('data', onData);
    return undefined;
  }
}

function bracketed(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}
